package synth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testOpts is small enough for every test to share one data set.
var testOpts = Options{Customers: 6000, Seed: 42}

var sample = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "synth-test-")
	if err != nil {
		return "", err
	}
	_, err = Generate(context.Background(), dir, testOpts)
	return dir, err
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := sample(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// dataset is the shared sample, parsed.
type dataset struct {
	dir      string
	manifest Manifest
	tables   map[string][]map[string]string // by file name
}

var parsed = sync.OnceValues(func() (*dataset, error) {
	dir, err := sample()
	if err != nil {
		return nil, err
	}
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	d := &dataset{dir: dir, manifest: m, tables: map[string][]map[string]string{}}
	for _, f := range m.Files {
		rows, err := readTable(f.Path, f.Format, f.Columns)
		if err != nil {
			return nil, err
		}
		d.tables[filepath.Base(f.Path)] = rows
	}
	rows, err := readTable(m.Truth.Path, "csv", m.Truth.Columns)
	d.tables[filepath.Base(m.Truth.Path)] = rows
	return d, err
})

func load(t *testing.T) *dataset {
	t.Helper()
	d, err := parsed()
	if err != nil {
		t.Fatalf("generate sample: %v", err)
	}
	return d
}

// readTable parses a whole file the way an importer would, checking the
// header and the number of fields on every line.
func readTable(path, format string, columns []string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []map[string]string
	if format == "jsonl" {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var rec map[string]string
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				return nil, errors.New(path + ": " + err.Error())
			}
			if len(rec) != len(columns) {
				return nil, errors.New(path + ": keys " + sc.Text())
			}
			for _, c := range columns {
				if _, ok := rec[c]; !ok {
					return nil, errors.New(path + ": no " + c + " in " + sc.Text())
				}
			}
			out = append(out, rec)
		}
		return out, sc.Err()
	}
	r := csv.NewReader(bufio.NewReader(f))
	if format == "tsv" {
		r.Comma = '\t'
	}
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	if strings.Join(head, ",") != strings.Join(columns, ",") {
		return nil, errors.New(path + ": header " + strings.Join(head, ","))
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, errors.New(path + ": " + err.Error())
		}
		m := make(map[string]string, len(rec))
		for i, c := range columns {
			m[c] = rec[i]
		}
		out = append(out, m)
	}
}

func TestDeterministic(t *testing.T) {
	opts := Options{Customers: 2500, Seed: 7}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if _, err := Generate(context.Background(), a, opts); err != nil {
		t.Fatal(err)
	}
	// The number of workers must not matter.
	prev := runtime.GOMAXPROCS(1)
	_, err := Generate(context.Background(), b, opts)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	opts.Seed = 8
	if _, err := Generate(context.Background(), c, opts); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(a, "*"))
	if len(names) != 9 {
		t.Fatalf("%d files, want 9: %v", len(names), names)
	}
	for _, n := range names {
		base := filepath.Base(n)
		x, _ := os.ReadFile(n)
		y, _ := os.ReadFile(filepath.Join(b, base))
		z, _ := os.ReadFile(filepath.Join(c, base))
		if base == ManifestName { // the same but for the directory
			x = bytes.ReplaceAll(x, []byte(a), nil)
			y = bytes.ReplaceAll(y, []byte(b), nil)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", base)
		}
		if base != ManifestName && bytes.Equal(x, z) {
			t.Errorf("%s is the same for seeds 7 and 8", base)
		}
	}
}

func TestRowCounts(t *testing.T) {
	d := load(t)
	m := d.manifest
	want := map[string]string{
		"items.csv": "items/shop/csv", "customers_crm.csv": "customers/crm/csv",
		"customers_shop.jsonl": "customers/shop/jsonl", "customers_pos.tsv": "customers/pos/tsv",
		"orders_shop.csv": "orders/shop/csv", "orders_pos.csv": "orders/pos/csv", "events_web.csv": "events/shop/csv",
	}
	if len(m.Files) != len(want) {
		t.Fatalf("%d files in manifest, want %d", len(m.Files), len(want))
	}
	for _, f := range m.Files {
		name := filepath.Base(f.Path)
		if got := f.Kind + "/" + f.Source + "/" + f.Format; got != want[name] || filepath.Join(d.dir, name) != f.Path {
			t.Errorf("%s: %s, want %s in %s", f.Path, got, want[name], d.dir)
		}
		if n := int64(len(d.tables[name])); n != f.Rows || n == 0 {
			t.Errorf("%s: %d rows, manifest says %d", f.Path, n, f.Rows)
		}
	}
	if n := len(d.tables["truth.csv"]); n != testOpts.Customers || int64(n) != m.Truth.Rows {
		t.Errorf("truth.csv: %d rows, want %d", n, testOpts.Customers)
	}
	tr := m.Truth
	if tr.People != int64(testOpts.Customers) || m.Customers != testOpts.Customers {
		t.Errorf("people %d, customers %d, want %d", tr.People, m.Customers, testOpts.Customers)
	}
	if n := int64(len(d.tables["customers_crm.csv"])); n != tr.InCRM {
		t.Errorf("crm rows %d, in_crm %d", n, tr.InCRM)
	}
	if n := int64(len(d.tables["events_web.csv"])); n != tr.Events {
		t.Errorf("event rows %d, events %d", n, tr.Events)
	}
	if lines := int64(len(d.tables["orders_shop.csv"]) + len(d.tables["orders_pos.csv"])); lines != tr.OrderLines {
		t.Errorf("order lines %d, truth %d", lines, tr.OrderLines)
	}
	perPerson := float64(tr.Events) / float64(tr.People)
	if perPerson < 9 || perPerson > 11.5 {
		t.Errorf("%.2f events per person, want about %v", perPerson, DefaultEventsPerCustomer)
	}
	if n := len(d.tables["items.csv"]); n < 300 || n > 20000 {
		t.Errorf("%d items", n)
	}
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func normPhone(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return strings.TrimPrefix(string(b), "00")
}

func TestIdentityOverlap(t *testing.T) {
	d := load(t)
	crm := map[string]map[string]string{}
	for _, r := range d.tables["customers_crm.csv"] {
		crm[r["customer"]] = r
	}
	shop := map[string]map[string]string{}
	for _, r := range d.tables["customers_shop.jsonl"] {
		shop[r["customer"]] = r
	}
	pos := map[string]map[string]string{}
	for _, r := range d.tables["customers_pos.tsv"] {
		pos[r["customer"]] = r
	}
	var emails, phones, messy, formats int64
	seenEmail, seenPhone := map[string]string{}, map[string]string{}
	for _, tr := range d.tables["truth.csv"] {
		c, s, p := tr["crm_id"], tr["shop_id"], tr["pos_id"]
		for id, set := range map[string]map[string]map[string]string{c: crm, s: shop, p: pos} {
			if id != "" && set[id] == nil {
				t.Fatalf("person %s: %s missing from its source file", tr["person"], id)
			}
		}
		if c != "" && s != "" {
			ce, se := crm[c]["email"], shop[s]["email"]
			if normEmail(ce) != normEmail(se) || !strings.Contains(ce, "@") {
				t.Errorf("person %s: crm e-mail %q, shop %q", tr["person"], ce, se)
			}
			emails++
			if ce != se {
				messy++
			}
		}
		if c != "" && p != "" {
			cp, pp := crm[c]["phone"], pos[p]["phone"]
			if normPhone(cp) != normPhone(pp) || len(normPhone(cp)) < 9 {
				t.Errorf("person %s: crm phone %q, pos %q", tr["person"], cp, pp)
			}
			phones++
			if cp != pp {
				formats++
			}
		}
		// No two people share an e-mail or a phone.
		for _, e := range []string{crm[c]["email"], shop[s]["email"]} {
			if e = normEmail(e); strings.Contains(e, "@") {
				if o, ok := seenEmail[e]; ok && o != tr["person"] {
					t.Errorf("e-mail %s of persons %s and %s", e, o, tr["person"])
				}
				seenEmail[e] = tr["person"]
			}
		}
		for _, ph := range []string{crm[c]["phone"], pos[p]["phone"]} {
			if ph = normPhone(ph); len(ph) >= 9 {
				if o, ok := seenPhone[ph]; ok && o != tr["person"] {
					t.Errorf("phone %s of persons %s and %s", ph, o, tr["person"])
				}
				seenPhone[ph] = tr["person"]
			}
		}
	}
	m := d.manifest.Truth
	if emails == 0 || emails != m.SharedEmails {
		t.Errorf("%d shared e-mails, manifest says %d", emails, m.SharedEmails)
	}
	if phones == 0 || phones != m.SharedPhones {
		t.Errorf("%d shared phones, manifest says %d", phones, m.SharedPhones)
	}
	if messy < emails/2 || messy == emails {
		t.Errorf("%d of %d shared e-mails written differently", messy, emails)
	}
	if formats < phones/2 || formats == phones {
		t.Errorf("%d of %d shared phones written differently", formats, phones)
	}
	only := map[string]int{}
	for _, tr := range d.tables["truth.csv"] {
		only[strconv.FormatBool(tr["crm_id"] != "")+strconv.FormatBool(tr["shop_id"] != "")+strconv.FormatBool(tr["pos_id"] != "")]++
	}
	for _, k := range []string{"truefalsefalse", "falsetruefalse", "falsefalsetrue", "truetruetrue"} {
		if only[k] == 0 {
			t.Errorf("nobody with sources %s", k)
		}
	}
	if m.ExpectedCustomers != m.People+m.Unlinkable || m.Unlinkable != int64(only["falsetruetrue"]) {
		t.Errorf("expected customers %d, people %d, unlinkable %d (%d)", m.ExpectedCustomers, m.People, m.Unlinkable, only["falsetruetrue"])
	}
}

func TestOrders(t *testing.T) {
	d := load(t)
	items := map[string]bool{}
	inactive := 0
	for _, r := range d.tables["items.csv"] {
		items[r["item"]] = true
		if len(strings.Split(r["category"], "/")) != 3 {
			t.Errorf("category %q", r["category"])
		}
		if _, err := strconv.ParseFloat(r["price"], 64); err != nil {
			t.Errorf("price %q", r["price"])
		}
		if r["active"] == "false" {
			inactive++
		}
	}
	if inactive == 0 || inactive > len(items)/5 {
		t.Errorf("%d of %d items inactive", inactive, len(items))
	}
	shopIDs := ids(d.tables["customers_shop.jsonl"])
	posIDs := ids(d.tables["customers_pos.tsv"])
	start, end := d.manifest.Start, d.manifest.End

	type head struct {
		customer, kind string
		time           time.Time
		lines          int
	}
	sales := map[string]*head{}
	kinds := map[string]int{}
	coupons := 0
	for _, r := range d.tables["orders_shop.csv"] {
		if !items[r["item"]] {
			t.Fatalf("order %s: item %s not in items.csv", r["order"], r["item"])
		}
		if !shopIDs[r["customer"]] {
			t.Fatalf("order %s: customer %q not in customers_shop", r["order"], r["customer"])
		}
		at := parseTime(t, r["time"], start, end)
		q, _ := strconv.Atoi(r["quantity"])
		h := sales[r["order"]]
		if h == nil {
			h = &head{customer: r["customer"], kind: r["kind"], time: at}
			sales[r["order"]] = h
			kinds[r["kind"]]++
		}
		h.lines++
		if n, _ := strconv.Atoi(r["line"]); n != h.lines {
			t.Fatalf("order %s: line %s, want %d", r["order"], r["line"], h.lines)
		}
		switch r["kind"] {
		case "sale":
			if q <= 0 || r["ref_order"] != "" {
				t.Fatalf("sale %s: quantity %d, ref %q", r["order"], q, r["ref_order"])
			}
		case "cancel", "return":
			ref := sales[r["ref_order"]]
			if q >= 0 || ref == nil || ref.kind != "sale" || ref.customer != r["customer"] || !ref.time.Before(at) {
				t.Fatalf("%s %s: quantity %d, ref %q (%+v)", r["kind"], r["order"], q, r["ref_order"], ref)
			}
		default:
			t.Fatalf("order %s: kind %q", r["order"], r["kind"])
		}
		if r["coupon"] != "" {
			coupons++
		}
		if !oneOf(r["channel"], "web", "app") || !oneOf(r["payment"], "card", "paypal", "cod", "wallet") || r["currency"] != "EUR" {
			t.Fatalf("order %s: %v", r["order"], r)
		}
	}
	tr := d.manifest.Truth
	if kinds["cancel"] == 0 || kinds["return"] == 0 || int64(kinds["cancel"]) != tr.Cancellations || int64(kinds["return"]) != tr.Returns {
		t.Errorf("kinds %v, truth %d cancellations %d returns", kinds, tr.Cancellations, tr.Returns)
	}
	if r := float64(kinds["return"]) / float64(kinds["sale"]); r > 0.15 {
		t.Errorf("return rate %.2f", r)
	}
	if coupons == 0 {
		t.Error("no coupons")
	}

	anon := map[string]bool{}
	orders := map[string]bool{}
	for _, r := range d.tables["orders_pos.csv"] {
		if !items[r["item"]] {
			t.Fatalf("pos order %s: item %s not in items.csv", r["order"], r["item"])
		}
		if r["customer"] == "" {
			anon[r["order"]] = true
		} else if !posIDs[r["customer"]] {
			t.Fatalf("pos order %s: customer %q not in customers_pos", r["order"], r["customer"])
		}
		parseTime(t, r["time"], start, end)
		orders[r["order"]] = true
		if r["channel"] != "store" || sales[r["order"]] != nil {
			t.Fatalf("pos order %s: %v", r["order"], r)
		}
	}
	if len(anon) == 0 || int64(len(anon)) != tr.AnonymousOrders {
		t.Errorf("%d anonymous POS orders, truth %d", len(anon), tr.AnonymousOrders)
	}
	if int64(len(orders)+len(sales)) != tr.Orders {
		t.Errorf("%d orders, truth %d", len(orders)+len(sales), tr.Orders)
	}
}

func TestEvents(t *testing.T) {
	d := load(t)
	items := ids(d.tables["items.csv"])
	shopIDs := ids(d.tables["customers_shop.jsonl"])
	seen := map[string]bool{}
	types := map[string]int{}
	anon := 0
	for _, r := range d.tables["events_web.csv"] {
		if seen[r["event"]] {
			t.Fatalf("event id %s twice", r["event"])
		}
		seen[r["event"]] = true
		types[r["type"]]++
		if r["customer"] == "" {
			anon++
		} else if !shopIDs[r["customer"]] {
			t.Fatalf("event %s: customer %q not in customers_shop", r["event"], r["customer"])
		}
		if r["item"] != "" && !items[r["item"]] {
			t.Fatalf("event %s: item %q", r["event"], r["item"])
		}
		parseTime(t, r["time"], d.manifest.Start, d.manifest.End)
		if r["value"] != "" {
			if _, err := strconv.ParseFloat(r["value"], 64); err != nil {
				t.Fatalf("event %s: value %q", r["event"], r["value"])
			}
		}
	}
	for _, typ := range []string{"view", "search", "cart_add", "cart_remove", "favorite", "login", "review", "service_ticket"} {
		if types[typ] == 0 {
			t.Errorf("no %s events", typ)
		}
	}
	if len(types) != 8 {
		t.Errorf("event types %v", types)
	}
	if anon == 0 || int64(anon) != d.manifest.Truth.AnonymousEvents {
		t.Errorf("%d anonymous events, truth %d", anon, d.manifest.Truth.AnonymousEvents)
	}
}

func TestInvalidValues(t *testing.T) {
	d := load(t)
	end := d.manifest.End
	var emails, badEmails, phones, badPhones, births, badBirths int64
	for _, r := range d.tables["customers_crm.csv"] {
		if e := r["email"]; e != "" {
			emails++
			if !strings.Contains(e, "@") {
				badEmails++
			}
		}
		if p := r["phone"]; p != "" {
			phones++
			if len(normPhone(p)) < 8 {
				badPhones++
			}
		}
		if b := r["birth_date"]; b != "" {
			births++
			day, err := time.Parse(time.DateOnly, b)
			if err != nil {
				t.Fatalf("birth date %q: %v", b, err)
			}
			if day.After(end) {
				badBirths++
			}
		}
		for _, k := range []string{"consent_email", "consent_sms"} {
			if !oneOf(r[k], "opt_in", "opt_out", "") {
				t.Fatalf("%s %q", k, r[k])
			}
		}
	}
	for _, r := range d.tables["customers_shop.jsonl"] {
		emails++
		if !strings.Contains(r["email"], "@") {
			badEmails++
		}
	}
	for _, r := range d.tables["customers_pos.tsv"] {
		phones++
		if len(normPhone(r["phone"])) < 8 {
			badPhones++
		}
	}
	tr := d.manifest.Truth
	for _, c := range []struct {
		what       string
		bad, all   int64
		truthCount int64
	}{
		{"e-mails", badEmails, emails, tr.InvalidEmails},
		{"phones", badPhones, phones, tr.InvalidPhones},
		{"birth dates", badBirths, births, tr.InvalidBirthDates},
	} {
		rate := float64(c.bad) / float64(c.all)
		if c.bad == 0 || rate > 0.03 || c.bad != c.truthCount {
			t.Errorf("%d of %d %s invalid (%.3f), truth %d", c.bad, c.all, c.what, rate, c.truthCount)
		}
	}
}

// TestBehaviour checks the shape of the data, not exact figures.
func TestBehaviour(t *testing.T) {
	d := load(t)
	perMonth := map[time.Month]int{}
	perWeek := map[time.Weekday]int{}
	for _, r := range d.tables["orders_shop.csv"] {
		if r["line"] == "1" && r["kind"] == "sale" {
			at, _ := time.Parse(time.RFC3339, r["time"])
			perMonth[at.Month()]++
			perWeek[at.Weekday()]++
		}
	}
	avg := 0
	for _, n := range perMonth {
		avg += n
	}
	avg /= 12
	if perMonth[time.November] < avg*13/10 || perMonth[time.December] < avg*6/5 || perMonth[time.August] > avg {
		t.Errorf("orders by month %v, average %d", perMonth, avg)
	}
	if perWeek[time.Sunday] <= perWeek[time.Saturday] {
		t.Errorf("orders by weekday %v", perWeek)
	}

	// Customers who dropped out buy nothing afterwards; price-sensitive ones
	// use more coupons.
	byShop := map[string]map[string]string{}
	for _, r := range d.tables["truth.csv"] {
		if r["shop_id"] != "" {
			byShop[r["shop_id"]] = r
		}
	}
	var alive, dead int
	var couponHi, ordersHi, couponLo, ordersLo float64
	for _, r := range d.tables["orders_shop.csv"] {
		if r["line"] != "1" || r["kind"] != "sale" {
			continue
		}
		tr := byShop[r["customer"]]
		if tr["alive_at_end"] == "false" {
			dead++
			if r["time"] > tr["dropped"] {
				t.Fatalf("order %s at %s after dropout at %s", r["order"], r["time"], tr["dropped"])
			}
		} else {
			alive++
		}
		ps, _ := strconv.ParseFloat(tr["price_sensitivity"], 64)
		c := 0.0
		if r["coupon"] != "" {
			c = 1
		}
		if ps > 0.5 {
			couponHi, ordersHi = couponHi+c, ordersHi+1
		} else if ps < 0.2 {
			couponLo, ordersLo = couponLo+c, ordersLo+1
		}
	}
	if alive == 0 || dead == 0 {
		t.Errorf("orders of alive %d, dropped %d customers", alive, dead)
	}
	if hi, lo := couponHi/ordersHi, couponLo/ordersLo; hi < 2*lo {
		t.Errorf("coupon share %.2f for price-sensitive, %.2f for others", hi, lo)
	}
	tr := d.manifest.Truth
	if tr.AliveAtEnd == 0 || tr.AliveAtEnd >= tr.Buyers {
		t.Errorf("alive at end %d of %d buyers", tr.AliveAtEnd, tr.Buyers)
	}
	var lambda float64
	for _, r := range d.tables["truth.csv"] {
		l, _ := strconv.ParseFloat(r["lambda"], 64)
		lambda += l
	}
	if m := lambda / float64(tr.People); m < 0.008 || m > 0.012 {
		t.Errorf("mean lambda %.4f, want about 0.01", m)
	}
}

func TestProgressAndCancel(t *testing.T) {
	var last, total int64
	_, err := Generate(context.Background(), t.TempDir(), Options{Customers: 3000, EventsPerCustomer: 2, Progress: func(d, n int64) {
		if d < last {
			t.Errorf("progress went back from %d to %d", last, d)
		}
		last, total = d, n
	}})
	if err != nil || last != 3000 || total != 3000 {
		t.Errorf("progress ended at %d/%d, err %v", last, total, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	_, err = Generate(ctx, dir, Options{Customers: 1_000_000, Progress: func(d, n int64) {
		if d >= 10*chunkSize {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestName)); !os.IsNotExist(err) {
		t.Errorf("manifest written after cancellation: %v", err)
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{
		{Customers: -1},
		{Customers: MaxCustomers + 1},
		{EventsPerCustomer: -1},
		{Start: DefaultEnd, End: DefaultEnd},
		{Start: DefaultEnd.AddDate(0, 0, 1)},
	} {
		if _, err := Generate(context.Background(), t.TempDir(), o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: err %v, want ErrInvalidOptions", o, err)
		}
	}
	o, err := Options{}.withDefaults()
	if err != nil || o.Customers != DefaultCustomers || !o.End.Equal(DefaultEnd) || !o.Start.Equal(DefaultEnd.AddDate(-2, 0, 0)) {
		t.Errorf("defaults %+v, %v", o, err)
	}
}

func TestAppendRFC3339(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range append([]int64{0, -1, 951782400, 4102444799, -62135596800}, func() []int64 {
		v := make([]int64, 10000)
		for i := range v {
			v[i] = r.Int64N(253402300800+62135596800) - 62135596800
		}
		return v
	}()...) {
		want := time.Unix(s, 0).UTC().Format(time.RFC3339)
		if got := string(appendRFC3339(nil, s)); got != want {
			t.Fatalf("appendRFC3339(%d) = %s, want %s", s, got, want)
		}
		if days := floorDiv(s, 86400); daysFromCivil(civil(days)) != days {
			t.Fatalf("daysFromCivil(civil(%d)) = %d", days, daysFromCivil(civil(days)))
		}
	}
}

func TestAppendCents(t *testing.T) {
	for c, want := range map[int64]string{0: "0.00", 5: "0.05", 1299: "12.99", -1234: "-12.34", -7: "-0.07", 100000: "1000.00"} {
		if got := string(appendCents(nil, c)); got != want {
			t.Errorf("appendCents(%d) = %s, want %s", c, got, want)
		}
	}
}

func TestBlackFriday(t *testing.T) {
	for y, want := range map[int64]string{2024: "2024-11-29", 2025: "2025-11-28", 2026: "2026-11-27"} {
		if got := string(appendDate(nil, blackFriday(y))); got != want {
			t.Errorf("Black Friday %d = %s, want %s", y, got, want)
		}
	}
}

func ids(rows []map[string]string) map[string]bool {
	m := make(map[string]bool, len(rows))
	for _, r := range rows {
		if id := r["customer"]; id != "" {
			m[id] = true
		} else if id := r["item"]; id != "" {
			m[id] = true
		}
	}
	return m
}

func parseTime(t *testing.T, s string, start, end time.Time) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		t.Fatalf("time %q: %v", s, err)
	}
	if at.Before(start) || !at.Before(end) {
		t.Fatalf("time %s outside %s..%s", s, start, end)
	}
	return at
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func TestReadManifestMoved(t *testing.T) {
	root := t.TempDir()
	from, to := filepath.Join(root, "a"), filepath.Join(root, "b")
	m, err := Generate(context.Background(), from, Options{Customers: 500, EventsPerCustomer: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if !filepath.IsAbs(f.Path) {
			t.Errorf("path %s is not absolute", f.Path)
		}
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(to)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != len(m.Files) || got.Truth.Rows != 500 {
		t.Fatalf("read %d files, %d truth rows", len(got.Files), got.Truth.Rows)
	}
	for i, f := range got.Files {
		if f.Path != filepath.Join(to, filepath.Base(m.Files[i].Path)) || f.Rows != m.Files[i].Rows {
			t.Errorf("file %d: %+v, want %+v moved to %s", i, f, m.Files[i], to)
		}
		if _, err := os.Stat(f.Path); err != nil {
			t.Error(err)
		}
	}
}
