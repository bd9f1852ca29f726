package synth

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
)

// leafDef is a leaf category of the taxonomy.
type leafDef struct {
	path       string
	nouns      []string
	median     float64 // typical price
	spread     float64 // log-normal sigma of prices
	weight     float64 // share of demand
	returnRate float64 // probability that a bought line is returned
	consumable bool    // bought again and again
}

// topDef is a top-level category with its brands and monthly seasonality.
type topDef struct {
	name   string
	brands []string
	month  [12]float64 // demand multiplier per calendar month
	leaves []leafDef
}

var flat = [12]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}

var taxonomy = []topDef{
	{name: "home", brands: []string{"Nordwik", "Kallio", "Hearth & Co", "Brightwell"},
		month: [12]float64{0.9, 0.9, 1, 1, 1, 0.9, 0.9, 0.9, 1, 1.1, 1.3, 1.4},
		leaves: []leafDef{
			{path: "home/kitchen/mugs", nouns: []string{"Mug", "Cup", "Espresso Cup"}, median: 12, spread: 0.4, weight: 3, returnRate: 0.02},
			{path: "home/kitchen/knives", nouns: []string{"Chef's Knife", "Knife Set", "Paring Knife"}, median: 45, spread: 0.6, weight: 1.5, returnRate: 0.03},
			{path: "home/kitchen/cookware", nouns: []string{"Frying Pan", "Saucepan", "Dutch Oven"}, median: 55, spread: 0.5, weight: 1.5, returnRate: 0.04},
			{path: "home/bath/towels", nouns: []string{"Bath Towel", "Hand Towel", "Bath Mat"}, median: 18, spread: 0.4, weight: 2, returnRate: 0.04},
			{path: "home/decor/candles", nouns: []string{"Scented Candle", "Candle Holder", "Tealights"}, median: 14, spread: 0.5, weight: 2, returnRate: 0.02, consumable: true},
			{path: "home/furniture/lamps", nouns: []string{"Table Lamp", "Floor Lamp", "Desk Lamp"}, median: 70, spread: 0.5, weight: 0.8, returnRate: 0.06},
		}},
	{name: "fashion", brands: []string{"Marlow", "Aldea", "Kiko & Finch", "Urbanlane", "Veloce"},
		month: [12]float64{1.1, 0.9, 1, 1.1, 1.1, 1, 1.1, 1, 1.1, 1, 1.1, 1.1},
		leaves: []leafDef{
			{path: "fashion/women/dresses", nouns: []string{"Wrap Dress", "Midi Dress", "Shirt Dress"}, median: 59, spread: 0.5, weight: 3, returnRate: 0.22},
			{path: "fashion/women/tops", nouns: []string{"Blouse", "T-Shirt", "Knit Top"}, median: 29, spread: 0.5, weight: 3, returnRate: 0.15},
			{path: "fashion/men/shirts", nouns: []string{"Oxford Shirt", "Linen Shirt", "Polo Shirt"}, median: 39, spread: 0.4, weight: 2.5, returnRate: 0.14},
			{path: "fashion/men/trousers", nouns: []string{"Chinos", "Jeans", "Joggers"}, median: 49, spread: 0.4, weight: 2, returnRate: 0.18},
			{path: "fashion/shoes/sneakers", nouns: []string{"Sneakers", "Running Sneakers", "Canvas Shoes"}, median: 79, spread: 0.4, weight: 2.5, returnRate: 0.2},
			{path: "fashion/accessories/bags", nouns: []string{"Tote Bag", "Backpack", "Crossbody Bag"}, median: 45, spread: 0.6, weight: 1.5, returnRate: 0.08},
		}},
	{name: "electronics", brands: []string{"Voltra", "Sonique", "Pixelon", "Hexa"},
		month: [12]float64{0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1, 1, 1.6, 1.8},
		leaves: []leafDef{
			{path: "electronics/audio/headphones", nouns: []string{"Headphones", "Earbuds", "Headset"}, median: 89, spread: 0.7, weight: 2, returnRate: 0.07},
			{path: "electronics/audio/speakers", nouns: []string{"Bluetooth Speaker", "Soundbar", "Smart Speaker"}, median: 99, spread: 0.6, weight: 1.2, returnRate: 0.06},
			{path: "electronics/phones/cases", nouns: []string{"Phone Case", "Screen Protector", "Phone Grip"}, median: 15, spread: 0.4, weight: 2.5, returnRate: 0.05},
			{path: "electronics/phones/chargers", nouns: []string{"USB-C Charger", "Wireless Charger", "Power Bank"}, median: 25, spread: 0.5, weight: 2, returnRate: 0.04},
			{path: "electronics/computers/keyboards", nouns: []string{"Keyboard", "Mouse", "Laptop Sleeve"}, median: 39, spread: 0.6, weight: 1.2, returnRate: 0.06},
			{path: "electronics/computers/monitors", nouns: []string{"Monitor", "Monitor Arm", "Webcam"}, median: 189, spread: 0.6, weight: 0.5, returnRate: 0.08},
		}},
	{name: "beauty", brands: []string{"Lumière", "Aurelle", "Pure Leaf", "Nordic Skin"},
		month: [12]float64{1, 1, 1, 1, 1.1, 1.1, 1, 1, 1, 1, 1.2, 1.4},
		leaves: []leafDef{
			{path: "beauty/skin/creams", nouns: []string{"Day Cream", "Night Cream", "Eye Cream"}, median: 22, spread: 0.6, weight: 2.5, returnRate: 0.02, consumable: true},
			{path: "beauty/skin/cleansers", nouns: []string{"Cleansing Gel", "Micellar Water", "Face Scrub"}, median: 12, spread: 0.4, weight: 2, returnRate: 0.01, consumable: true},
			{path: "beauty/hair/shampoo", nouns: []string{"Shampoo", "Conditioner", "Hair Mask"}, median: 9, spread: 0.4, weight: 2.5, returnRate: 0.01, consumable: true},
			{path: "beauty/fragrance/perfume", nouns: []string{"Eau de Parfum", "Eau de Toilette", "Body Mist"}, median: 59, spread: 0.6, weight: 1.2, returnRate: 0.03},
		}},
	{name: "sports", brands: []string{"Stride", "Peakform", "Tidewater", "Kinetik"},
		month: [12]float64{1.6, 1.2, 1.1, 1.1, 1.1, 1.1, 1, 0.9, 1, 0.9, 0.9, 1},
		leaves: []leafDef{
			{path: "sports/running/shoes", nouns: []string{"Running Shoes", "Trail Shoes", "Racing Flats"}, median: 109, spread: 0.35, weight: 1.5, returnRate: 0.15},
			{path: "sports/running/apparel", nouns: []string{"Running Shirt", "Running Tights", "Rain Jacket"}, median: 39, spread: 0.5, weight: 1.2, returnRate: 0.1},
			{path: "sports/fitness/mats", nouns: []string{"Yoga Mat", "Exercise Mat", "Foam Roller"}, median: 29, spread: 0.4, weight: 1, returnRate: 0.04},
			{path: "sports/fitness/weights", nouns: []string{"Dumbbell Set", "Kettlebell", "Resistance Bands"}, median: 35, spread: 0.7, weight: 1, returnRate: 0.03},
			{path: "sports/nutrition/protein", nouns: []string{"Whey Protein", "Protein Bars", "Electrolyte Mix"}, median: 29, spread: 0.4, weight: 1.2, returnRate: 0.01, consumable: true},
		}},
	{name: "toys", brands: []string{"Brickly", "Tumble", "Wunderkind"},
		month: [12]float64{0.6, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.1, 2.2, 3.2},
		leaves: []leafDef{
			{path: "toys/building/blocks", nouns: []string{"Building Set", "Brick Box", "Marble Run"}, median: 39, spread: 0.7, weight: 1.5, returnRate: 0.03},
			{path: "toys/puzzles/jigsaw", nouns: []string{"Jigsaw Puzzle", "3D Puzzle", "Puzzle Mat"}, median: 19, spread: 0.4, weight: 1, returnRate: 0.02},
			{path: "toys/games/board", nouns: []string{"Board Game", "Card Game", "Party Game"}, median: 29, spread: 0.4, weight: 1.2, returnRate: 0.03},
		}},
	{name: "books", brands: []string{"Quill House", "Lantern Press", "Northbound"},
		month: [12]float64{0.9, 0.9, 0.9, 1, 1, 1, 1.2, 1.2, 1, 1, 1.2, 1.6},
		leaves: []leafDef{
			{path: "books/fiction/crime", nouns: []string{"Crime Novel", "Thriller", "Detective Story"}, median: 14, spread: 0.3, weight: 2, returnRate: 0.01},
			{path: "books/fiction/fantasy", nouns: []string{"Fantasy Novel", "Saga Box Set", "Graphic Novel"}, median: 16, spread: 0.4, weight: 1.5, returnRate: 0.01},
			{path: "books/children/picture", nouns: []string{"Picture Book", "Board Book", "Activity Book"}, median: 11, spread: 0.3, weight: 1.5, returnRate: 0.01},
			{path: "books/nonfiction/cooking", nouns: []string{"Cookbook", "Baking Book", "Vegan Cookbook"}, median: 24, spread: 0.3, weight: 1, returnRate: 0.01},
		}},
	{name: "grocery", brands: []string{"Casa Verde", "Roastery 9", "Teahouse", "Harvest"},
		month: flat,
		leaves: []leafDef{
			{path: "grocery/coffee/beans", nouns: []string{"Coffee Beans", "Ground Coffee", "Espresso Blend"}, median: 13, spread: 0.3, weight: 3, returnRate: 0.005, consumable: true},
			{path: "grocery/tea/loose", nouns: []string{"Loose Tea", "Green Tea", "Herbal Tea"}, median: 9, spread: 0.4, weight: 2, returnRate: 0.005, consumable: true},
			{path: "grocery/pantry/oils", nouns: []string{"Olive Oil", "Balsamic Vinegar", "Spice Mix"}, median: 11, spread: 0.4, weight: 2, returnRate: 0.005, consumable: true},
			{path: "grocery/snacks/chocolate", nouns: []string{"Dark Chocolate", "Pralines", "Nut Mix"}, median: 6, spread: 0.5, weight: 2.5, returnRate: 0.005, consumable: true},
		}},
	{name: "garden", brands: []string{"Greenfold", "Terrana", "Wildroot"},
		month: [12]float64{0.4, 0.6, 1.3, 2, 2, 1.6, 1.1, 0.9, 0.8, 0.6, 0.4, 0.4},
		leaves: []leafDef{
			{path: "garden/tools/shears", nouns: []string{"Pruning Shears", "Hedge Trimmer", "Garden Gloves"}, median: 25, spread: 0.6, weight: 1, returnRate: 0.04},
			{path: "garden/plants/seeds", nouns: []string{"Seed Kit", "Flower Bulbs", "Herb Seeds"}, median: 6, spread: 0.5, weight: 1.2, returnRate: 0.01, consumable: true},
			{path: "garden/outdoor/furniture", nouns: []string{"Garden Chair", "Parasol", "Outdoor Cushion"}, median: 120, spread: 0.7, weight: 0.6, returnRate: 0.06},
		}},
}

var adjectives = []string{"Classic", "Essential", "Premium", "Eco", "Compact", "Deluxe", "Everyday", "Signature", "Vintage", "Pro", "Soft", "Bold"}

var variants = []string{"", "", "", ", Black", ", White", ", Set of 2", ", 350 ml", ", Large", " (Limited Edition)", ` 13"`, `, "Nordic" Edition`, ", Oak"}

// item is one catalogue entry.
type item struct {
	id       string
	title    string
	leaf     int32
	brand    string
	price    int64 // cents
	active   bool
	lastDay  int32 // an inactive item is sold up to this day of the window
	category string
}

// leaf is a category with its items sorted by price and by popularity.
type leaf struct {
	def     leafDef
	top     int
	items   []int32 // item indices sorted by price
	prices  []int64 // prices of items, same order
	popular []int32 // item indices, best sellers first
}

type catalog struct {
	items   []item
	lastDay []int32 // items[i].lastDay, kept apart for the cache
	leaves  []leaf
	// leafCum[month] is the cumulative demand over leaves in that month.
	leafCum [12][]float64
}

// catalogSize scales the number of items with the number of customers.
func catalogSize(customers int) int {
	n := int(20 * math.Sqrt(float64(customers)))
	return min(max(n, 300), 20000)
}

// newCatalog makes n items; an inactive item is sold up to a day between
// first and last (days of the calendar).
func newCatalog(r *rand.Rand, n, first, last int) *catalog {
	c := &catalog{}
	var weights []float64
	for ti, t := range taxonomy {
		for _, l := range t.leaves {
			c.leaves = append(c.leaves, leaf{def: l, top: ti})
			weights = append(weights, l.weight)
		}
	}
	for m := 0; m < 12; m++ {
		w := make([]float64, len(c.leaves))
		for i, l := range c.leaves {
			w[i] = l.def.weight * taxonomy[l.top].month[m]
		}
		c.leafCum[m] = cumulative(w)
	}
	// Share the items out by demand, at least four per leaf.
	total := 0.0
	for _, w := range weights {
		total += w
	}
	per := make([]int, len(c.leaves))
	sum := 0
	for i, w := range weights {
		per[i] = max(4, int(float64(n)*w/total))
		sum += per[i]
	}
	for i := 0; sum < n; i = (i + 1) % len(per) {
		per[i]++
		sum++
	}
	c.items = make([]item, 0, sum)
	for li := range c.leaves {
		l := &c.leaves[li]
		top := taxonomy[l.top]
		for k := 0; k < per[li]; k++ {
			idx := int32(len(c.items))
			price := l.def.median * math.Exp(l.def.spread*r.NormFloat64())
			var cents int64
			switch {
			case price < 5:
				cents = int64(math.Floor(price))*100 + []int64{49, 99}[r.IntN(2)]
			case price < 100:
				cents = int64(math.Floor(price))*100 + 99
			default:
				cents = int64(math.Round(price/10))*1000 - 1
			}
			brand := top.brands[r.IntN(len(top.brands))]
			title := brand + " " + adjectives[r.IntN(len(adjectives))] + " " +
				l.def.nouns[r.IntN(len(l.def.nouns))] + variants[r.IntN(len(variants))]
			it := item{
				id:       "I" + pad(int64(idx)+1, 6),
				title:    title,
				leaf:     int32(li),
				brand:    brand,
				price:    cents,
				active:   true,
				lastDay:  int32(last),
				category: l.def.path,
			}
			if r.Float64() < 0.08 {
				it.active = false
				it.lastDay = int32(first + int(float64(last-first)*(0.1+0.7*r.Float64())))
			}
			c.items = append(c.items, it)
			c.lastDay = append(c.lastDay, it.lastDay)
			l.items = append(l.items, idx)
			l.popular = append(l.popular, idx)
		}
		sort.Slice(l.items, func(a, b int) bool {
			ia, ib := c.items[l.items[a]], c.items[l.items[b]]
			if ia.price != ib.price {
				return ia.price < ib.price
			}
			return l.items[a] < l.items[b]
		})
		l.prices = make([]int64, len(l.items))
		for k, ix := range l.items {
			l.prices[k] = c.items[ix].price
		}
		r.Shuffle(len(l.popular), func(a, b int) { l.popular[a], l.popular[b] = l.popular[b], l.popular[a] })
	}
	return c
}

func pad(n int64, width int) string { return string(appendPadded(nil, n, width)) }

// sellable reports whether the item can be sold or shown on day d.
func (c *catalog) sellable(ix int32, d int32) bool { return d <= c.lastDay[ix] }

// byPrice picks an item of the leaf priced near target (cents) that is still
// sold on day d.
func (c *catalog) byPrice(r *rand.Rand, li int, target int64, d int32) int32 {
	l := &c.leaves[li]
	k := sort.Search(len(l.prices), func(i int) bool { return l.prices[i] >= target })
	// Jitter so that not every customer buys the same item.
	k += geometric(r, 0.4) * (1 - 2*r.IntN(2))
	k = min(max(k, 0), len(l.items)-1)
	for step := 0; step < len(l.items); step++ {
		ix := l.items[(k+step)%len(l.items)]
		if c.sellable(ix, d) {
			return ix
		}
	}
	return l.items[k]
}

// byPopularity picks an item of the leaf, best sellers more often, still sold
// on day d.
func (c *catalog) byPopularity(r *rand.Rand, li int, d int32) int32 {
	l := &c.leaves[li]
	u := r.Float64()
	k := int(float64(len(l.popular)) * u * u * u)
	for step := 0; step < len(l.popular); step++ {
		ix := l.popular[(k+step)%len(l.popular)]
		if c.sellable(ix, d) {
			return ix
		}
	}
	return l.popular[k]
}

// appendItemsCSV renders items.csv.
func (c *catalog) appendItemsCSV(b []byte) []byte {
	b = append(b, "item,title,category,brand,price,active\n"...)
	for _, it := range c.items {
		b = append(b, it.id...)
		b = append(b, ',')
		b = appendCSV(b, it.title, ',')
		b = append(b, ',')
		b = append(b, it.category...)
		b = append(b, ',')
		b = appendCSV(b, it.brand, ',')
		b = append(b, ',')
		b = appendCents(b, it.price)
		b = append(b, ',')
		b = strconv.AppendBool(b, it.active)
		b = append(b, '\n')
	}
	return b
}
