package synth

// Reference tables for people. Names carry an ASCII form for e-mail
// addresses; phone numbers are the country code, a mobile prefix and eight
// digits unique to the person.
//
// Names and cities are written unquoted: they must hold no comma, tab,
// double quote or backslash.

type country struct {
	code        string
	weight      float64
	cc          string   // international dialling code
	mobile      []string // national mobile prefixes (without trunk 0)
	cities      []string
	cityWeights []float64 // relative population
}

var countries = []country{
	{code: "DE", weight: 30, cc: "49", mobile: []string{"151", "160", "170", "176"},
		cities:      []string{"Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Leipzig", "Bremen"},
		cityWeights: []float64{10, 5, 4.5, 3, 2.3, 1.9, 1.6, 1.1}},
	{code: "FR", weight: 16, cc: "33", mobile: []string{"6", "7"},
		cities:      []string{"Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes", "Bordeaux"},
		cityWeights: []float64{10, 3, 3, 2, 2, 1.5, 1.5}},
	{code: "GB", weight: 12, cc: "44", mobile: []string{"77", "78", "79", "75"},
		cities:      []string{"London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol"},
		cityWeights: []float64{10, 3, 3, 2, 2, 1.5}},
	{code: "NL", weight: 9, cc: "31", mobile: []string{"6"},
		cities:      []string{"Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven"},
		cityWeights: []float64{8, 6, 5, 3.5, 2.3}},
	{code: "ES", weight: 8, cc: "34", mobile: []string{"6", "7"},
		cities:      []string{"Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga"},
		cityWeights: []float64{10, 5, 3, 2, 2, 2}},
	{code: "IT", weight: 8, cc: "39", mobile: []string{"32", "33", "34", "38"},
		cities:      []string{"Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze"},
		cityWeights: []float64{10, 5, 3, 3, 1.5, 1.5}},
	{code: "AT", weight: 5, cc: "43", mobile: []string{"664", "650", "676"},
		cities:      []string{"Wien", "Graz", "Linz", "Salzburg", "Innsbruck"},
		cityWeights: []float64{10, 2.5, 2, 1.5, 1.3}},
	{code: "BE", weight: 4, cc: "32", mobile: []string{"4"},
		cities:      []string{"Bruxelles", "Antwerpen", "Gent", "Liège"},
		cityWeights: []float64{6, 5, 2.6, 2}},
	{code: "PL", weight: 4, cc: "48", mobile: []string{"5", "6", "7"},
		cities:      []string{"Warszawa", "Kraków", "Wrocław", "Łódź", "Poznań"},
		cityWeights: []float64{10, 4, 3.5, 3.3, 2.7}},
	{code: "SE", weight: 2, cc: "46", mobile: []string{"7"},
		cities:      []string{"Stockholm", "Göteborg", "Malmö", "Uppsala"},
		cityWeights: []float64{10, 6, 3.5, 2}},
	{code: "IE", weight: 2, cc: "353", mobile: []string{"8"},
		cities:      []string{"Dublin", "Cork", "Galway", "Limerick"},
		cityWeights: []float64{10, 2, 1, 1}},
}

// A name and the ASCII spelling used in e-mail addresses.
type name struct{ text, ascii string }

var femaleNames = []name{
	{"Anna", "anna"}, {"Ana", "ana"}, {"Marie", "marie"}, {"Sophie", "sophie"}, {"Emma", "emma"},
	{"Laura", "laura"}, {"Julia", "julia"}, {"Léa", "lea"}, {"Chloé", "chloe"}, {"Sarah", "sarah"},
	{"Lucía", "lucia"}, {"Giulia", "giulia"}, {"Francesca", "francesca"}, {"Olivia", "olivia"},
	{"Amelia", "amelia"}, {"Isla", "isla"}, {"Zoë", "zoe"}, {"Hanna", "hanna"}, {"Lena", "lena"},
	{"Mia", "mia"}, {"Sofia", "sofia"}, {"Elena", "elena"}, {"Maja", "maja"}, {"Agnieszka", "agnieszka"},
	{"Ingrid", "ingrid"}, {"Saoirse", "saoirse"}, {"Fatima", "fatima"}, {"Mei", "mei"}, {"Aylin", "aylin"},
	{"Nora", "nora"}, {"Clara", "clara"}, {"Inès", "ines"},
}

var maleNames = []name{
	{"Lukas", "lukas"}, {"Leon", "leon"}, {"Paul", "paul"}, {"Jonas", "jonas"}, {"Felix", "felix"},
	{"Lucas", "lucas"}, {"Hugo", "hugo"}, {"Louis", "louis"}, {"Noah", "noah"}, {"Oliver", "oliver"},
	{"George", "george"}, {"Jack", "jack"}, {"Daan", "daan"}, {"Sem", "sem"}, {"Samuel", "samuel"},
	{"Mateo", "mateo"}, {"Álvaro", "alvaro"}, {"Lorenzo", "lorenzo"}, {"Matteo", "matteo"},
	{"Jakub", "jakub"}, {"Erik", "erik"}, {"Seán", "sean"}, {"Ahmet", "ahmet"}, {"Wei", "wei"},
	{"Omar", "omar"}, {"Maximilian", "maximilian"}, {"Théo", "theo"}, {"David", "david"},
	{"Tomás", "tomas"}, {"Niklas", "niklas"},
}

var lastNames = []name{
	{"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Schneider", "schneider"}, {"Fischer", "fischer"},
	{"Weber", "weber"}, {"Meyer", "meyer"}, {"Wagner", "wagner"}, {"Becker", "becker"},
	{"Martin", "martin"}, {"Bernard", "bernard"}, {"Dubois", "dubois"}, {"Lefèvre", "lefevre"},
	{"Smith", "smith"}, {"Jones", "jones"}, {"Taylor", "taylor"}, {"Brown", "brown"}, {"O'Brien", "obrien"},
	{"de Jong", "dejong"}, {"Jansen", "jansen"}, {"van Dijk", "vandijk"}, {"García", "garcia"},
	{"Fernández", "fernandez"}, {"López", "lopez"}, {"Rossi", "rossi"}, {"Russo", "russo"},
	{"Ferrari", "ferrari"}, {"Gruber", "gruber"}, {"Huber", "huber"}, {"Peeters", "peeters"},
	{"Nowak", "nowak"}, {"Kowalski", "kowalski"}, {"Wiśniewska", "wisniewska"}, {"Andersson", "andersson"},
	{"Johansson", "johansson"}, {"Murphy", "murphy"}, {"Kelly", "kelly"}, {"Li", "li"}, {"Wang", "wang"},
	{"Yılmaz", "yilmaz"}, {"Haddad", "haddad"}, {"Silva", "silva"}, {"Nguyen", "nguyen"},
	{"Klein", "klein"}, {"Wolf", "wolf"}, {"Moreau", "moreau"}, {"Conti", "conti"},
}

var emailDomains = []string{"example.com", "example.org", "example.net", "mail.example", "post.test", "inbox.test"}
