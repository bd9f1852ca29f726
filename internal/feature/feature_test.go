package feature

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
)

var day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

func at(days int, hour int) time.Time {
	return day0.AddDate(0, 0, days).Add(time.Duration(hour) * time.Hour)
}

func line(order, cust int64, t time.Time, kind store.OrderKind, item, cat string, amount float64) store.LineRow {
	return store.LineRow{OrderID: order, CustomerID: cust, PlacedAt: t, Kind: kind, ItemID: item, Category: cat,
		Quantity: 1, UnitPrice: amount, Amount: amount, Channel: "web", Payment: "card"}
}

func TestComputeSmall(t *testing.T) {
	asOf := at(100, 0)
	f := &fakeStore{ids: []int64{1, 2, 3, 4}, attrs: map[string]map[int64]string{"country": {1: "GB", 3: "FR"}}}
	f.lines = []store.LineRow{
		line(1, 1, at(10, 9), store.OrderSale, "a", "toys", 10),
		line(1, 1, at(10, 9), store.OrderSale, "a", "toys", 10), // identical line counts
		line(2, 1, at(95, 9), store.OrderSale, "b", "books", 3),
		line(3, 1, at(96, 20), store.OrderCancel, "b", "books", -3),
		line(4, 2, at(99, 14), store.OrderSale, "c", "", 7),
		line(5, 0, at(99, 14), store.OrderSale, "c", "", 100), // guest
		line(6, 2, at(101, 1), store.OrderSale, "c", "", 7),   // after as-of
	}
	f.lines[4].Discount, f.lines[4].Coupon = 3.5, "X"
	f.events = []store.Event{
		{CustomerID: 3, Type: store.EventView, At: at(98, 1), ItemID: "a"},
		{CustomerID: 3, Type: store.EventView, At: at(80, 1), ItemID: "a"},
		{CustomerID: 3, Type: store.EventCartAdd, At: at(97, 1), ItemID: "a"},  // abandoned
		{CustomerID: 2, Type: store.EventCartAdd, At: at(99, 1), ItemID: "c"},  // bought 13 h later
		{CustomerID: 2, Type: store.EventCartAdd, At: at(99, 20), ItemID: "c"}, // pending: < 24 h
	}
	tab, err := Compute(context.Background(), f, asOf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	num := func(col string, id int64) float64 {
		i, _ := tab.Index(id)
		return tab.Num[col][i]
	}
	text := func(col string, id int64) string {
		i, _ := tab.Index(id)
		return tab.Text[col][i]
	}
	for _, tc := range []struct {
		col  string
		id   int64
		want float64
	}{
		{ColRecency, 1, 5}, {ColFrequency, 1, 2}, {ColMonetary, 1, 23}, {ColReturns, 1, 3}, {ColTenure, 1, 90},
		{ColDaysSinceLast, 1, 5}, {ColOrders30, 1, 1}, {ColOrders365, 1, 2}, {ColSpend90, 1, 3}, {ColAOV, 1, 11.5},
		{ColCategories180, 1, 2}, {ColRepeat, 1, 1}, {ColReturnRate, 1, 3.0 / 23}, {ColDaysSinceActive, 1, 4},
		{ColRecency, 2, 1}, {ColFrequency, 2, 1}, {ColMonetary, 2, 7}, {ColDiscountShare, 2, 1}, {ColDiscountDepth, 2, 0.5},
		{ColCouponShare, 2, 1}, {ColCartAdds30, 2, 2}, {ColCartAbandons30, 2, 0}, {ColRepeat, 2, 0}, {ColDiscountShare, 1, 0},
		{ColRecency, 3, math.NaN()}, {ColFrequency, 3, 0}, {ColViews7, 3, 1}, {ColViews30, 3, 2}, {ColCartAbandons30, 3, 1},
		{ColDaysSinceActive, 3, 2}, {ColR, 3, math.NaN()},
		{ColFrequency, 4, 0}, {ColDaysSinceActive, 4, math.NaN()}, {ColPreferredHour, 1, 9},
	} {
		if got := num(tc.col, tc.id); got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("customer %d %s = %v, want %v", tc.id, tc.col, got, tc.want)
		}
	}
	for _, tc := range []struct {
		col  string
		id   int64
		want string
	}{
		{ColTopCategory, 1, "toys"}, {ColTopCategory, 3, "toys"}, {ColPreferredChannel, 1, "web"},
		{ColPreferredPayment, 2, "card"}, {ColStage, 3, rfm.Prospect}, {ColStage, 4, rfm.Prospect},
		{ColClass, 3, ""}, {"country", 1, "GB"}, {"country", 2, ""}, {ColSegment, 3, ""},
	} {
		if got := text(tc.col, tc.id); got != tc.want {
			t.Errorf("customer %d %s = %q, want %q", tc.id, tc.col, got, tc.want)
		}
	}
	for _, c := range tab.Cols {
		if c.Description == "" || c.TypeName == "" {
			t.Errorf("column %s lacks a description or type", c.Name)
		}
		if c.Type == Number && len(tab.Num[c.Name]) != tab.Len() || c.Type == Text && len(tab.Text[c.Name]) != tab.Len() {
			t.Errorf("column %s has no values", c.Name)
		}
	}
}

// want is a brute-force evaluation of the features of one customer.
type want struct {
	rec, freq, mon, ret, tenure                   float64
	o30, o90, o365, s30, s90, s365                float64
	cats180, v7, v30, ca30, cab30, dshare, cshare float64
}

func brute(f *fakeStore, asOf time.Time) map[int64]*want {
	asDay := rfm.DayOf(asOf, time.UTC)
	out := map[int64]*want{}
	for _, id := range f.ids {
		out[id] = &want{rec: math.NaN(), tenure: math.NaN()}
	}
	type ord struct {
		cust          int64
		sec           int64
		day           rfm.Day
		sale          bool
		amount        float64
		lines, dlines int
		coupon        bool
		cats          []string
	}
	var orders []*ord
	for _, l := range f.lines {
		if l.PlacedAt.After(asOf) || l.CustomerID == 0 {
			continue
		}
		if len(orders) == 0 || orders[len(orders)-1].sec != l.PlacedAt.Unix() || orders[len(orders)-1].cust != l.CustomerID {
			orders = append(orders, &ord{cust: l.CustomerID, sec: l.PlacedAt.Unix(), day: rfm.DayOf(l.PlacedAt, time.UTC), sale: l.Kind == store.OrderSale})
		}
		o := orders[len(orders)-1]
		o.amount += l.Amount
		o.lines++
		if l.Discount > 0 {
			o.dlines++
		}
		if l.Coupon != "" {
			o.coupon = true
		}
		if l.Category != "" {
			o.cats = append(o.cats, l.Category)
		}
	}
	first := map[int64]rfm.Day{}
	last := map[int64]rfm.Day{}
	lines, dlines, coupons := map[int64]int{}, map[int64]int{}, map[int64]int{}
	cats := map[int64]map[string]bool{}
	for _, o := range orders {
		w := out[o.cust]
		if !o.sale {
			w.ret += math.Abs(o.amount)
			continue
		}
		w.freq++
		w.mon += o.amount
		if d, ok := first[o.cust]; !ok || o.day < d {
			first[o.cust] = o.day
		}
		if d, ok := last[o.cust]; !ok || o.day > d {
			last[o.cust] = o.day
		}
		lines[o.cust] += o.lines
		dlines[o.cust] += o.dlines
		if o.coupon {
			coupons[o.cust]++
		}
		age := asDay - o.day
		if age < 365 {
			w.o365++
			w.s365 += o.amount
		}
		if age < 90 {
			w.o90++
			w.s90 += o.amount
		}
		if age < 30 {
			w.o30++
			w.s30 += o.amount
		}
		if age < 180 {
			if cats[o.cust] == nil {
				cats[o.cust] = map[string]bool{}
			}
			for _, c := range o.cats {
				cats[o.cust][c] = true
			}
		}
	}
	for id, w := range out {
		if w.freq > 0 {
			w.rec = float64(asDay - last[id])
			w.tenure = float64(asDay - first[id])
			w.dshare = float64(dlines[id]) / float64(lines[id])
			w.cshare = float64(coupons[id]) / w.freq
		}
		w.cats180 = float64(len(cats[id]))
	}
	for _, e := range f.events {
		if e.At.After(asOf) {
			continue
		}
		w := out[e.CustomerID]
		age := asDay - rfm.DayOf(e.At, time.UTC)
		if age >= 30 {
			continue
		}
		switch e.Type {
		case store.EventView:
			w.v30++
			if age < 7 {
				w.v7++
			}
		case store.EventCartAdd:
			w.ca30++
			if e.At.Unix()+24*3600 > asOf.Unix() {
				continue
			}
			bought := false
			for _, o := range orders {
				if o.cust == e.CustomerID && o.sale && o.sec >= e.At.Unix() && o.sec <= e.At.Unix()+24*3600 {
					bought = true
				}
			}
			if !bought {
				w.cab30++
			}
		}
	}
	return out
}

func checkBrute(t *testing.T, tab *Table, f *fakeStore, asOf time.Time) {
	t.Helper()
	exp := brute(f, asOf)
	bad := 0
	for i, id := range tab.IDs {
		w := exp[id]
		for _, c := range []struct {
			col  string
			want float64
		}{
			{ColRecency, w.rec}, {ColFrequency, w.freq}, {ColMonetary, w.mon}, {ColReturns, w.ret}, {ColTenure, w.tenure},
			{ColOrders30, w.o30}, {ColOrders90, w.o90}, {ColOrders365, w.o365}, {ColSpend30, w.s30}, {ColSpend90, w.s90},
			{ColSpend365, w.s365}, {ColCategories180, w.cats180}, {ColViews7, w.v7}, {ColViews30, w.v30},
			{ColCartAdds30, w.ca30}, {ColCartAbandons30, w.cab30},
		} {
			got := tab.Num[c.col][i]
			if !closeTo(got, c.want) {
				if bad++; bad < 20 {
					t.Errorf("customer %d %s = %v, want %v", id, c.col, got, c.want)
				}
			}
		}
		if w.freq > 0 {
			if got := tab.Num[ColDiscountShare][i]; !closeTo(got, w.dshare) {
				t.Errorf("customer %d discount_share = %v, want %v", id, got, w.dshare)
			}
			if got := tab.Num[ColCouponShare][i]; !closeTo(got, w.cshare) {
				t.Errorf("customer %d coupon_share = %v, want %v", id, got, w.cshare)
			}
		}
	}
}

func closeTo(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b))
}

func TestComputeMatchesBruteForce(t *testing.T) {
	for seed := range uint64(5) {
		f := genShop(seed, 150, 1500, 3000, 500, day0)
		asOf := day0.Add(-time.Duration(seed*7) * time.Hour)
		tab, err := Compute(context.Background(), f, asOf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkBrute(t, tab, f, asOf)
		// the plain reference of package rfm agrees
		var rl []rfm.Line
		for _, l := range f.lines {
			if l.PlacedAt.After(asOf) {
				continue // rfm.Compute bounds by day, Compute by instant
			}
			c := -1
			if i, ok := tab.Index(l.CustomerID); ok {
				c = i
			}
			rl = append(rl, rfm.Line{Customer: c, Order: l.OrderID, Day: rfm.DayOf(l.PlacedAt, time.UTC),
				Sale: l.Kind == store.OrderSale, Amount: l.Amount})
		}
		ref := rfm.Compute(rl, tab.Len(), rfm.DayOf(asOf, time.UTC))
		for i := range tab.IDs {
			if !closeTo(tab.Num[ColRecency][i], ref.Recency[i]) || tab.Num[ColFrequency][i] != ref.Frequency[i] ||
				!closeTo(tab.Num[ColMonetary][i], ref.Monetary[i]) || !closeTo(tab.Num[ColReturns][i], ref.Returns[i]) {
				t.Fatalf("customer %d differs from rfm.Compute", tab.IDs[i])
			}
		}
		// scores follow the rfm package's definition over the buyers
		var rec, freq, mon []float64
		for i := range tab.IDs {
			if tab.Num[ColFrequency][i] > 0 {
				rec, freq, mon = append(rec, tab.Num[ColRecency][i]), append(freq, tab.Num[ColFrequency][i]), append(mon, tab.Num[ColMonetary][i])
			}
		}
		rs, fs, ms := rfm.NewScorer(rec, 5, true), rfm.NewScorer(freq, 5, false), rfm.NewScorer(mon, 5, false)
		for i := range tab.IDs {
			if tab.Num[ColFrequency][i] == 0 {
				continue
			}
			r, fr, m := rs.Score(tab.Num[ColRecency][i]), fs.Score(tab.Num[ColFrequency][i]), ms.Score(tab.Num[ColMonetary][i])
			if tab.Num[ColR][i] != float64(r) || tab.Num[ColF][i] != float64(fr) || tab.Num[ColM][i] != float64(m) ||
				tab.Text[ColSegment][i] != rfm.Segment(r, fr, m, 5) {
				t.Fatalf("customer %d: scores %v%v%v %s, want %d%d%d", tab.IDs[i], tab.Num[ColR][i], tab.Num[ColF][i],
					tab.Num[ColM][i], tab.Text[ColSegment][i], r, fr, m)
			}
			if tab.Text[ColClass][i] == "" || tab.Text[ColStage][i] == rfm.Prospect || math.IsNaN(tab.Num[ColPriceSensitivity][i]) {
				t.Fatalf("customer %d: buyer without class, stage or price sensitivity", tab.IDs[i])
			}
		}
	}
}

// split returns the store's data up to t as a store of its own.
func split(f *fakeStore, t time.Time) (*fakeStore, []store.LineRow, []store.Event) {
	g := &fakeStore{ids: f.ids, attrs: f.attrs}
	var lines []store.LineRow
	var events []store.Event
	for _, l := range f.lines {
		if l.PlacedAt.After(t) {
			lines = append(lines, l)
		} else {
			g.lines = append(g.lines, l)
		}
	}
	for _, e := range f.events {
		if e.At.After(t) {
			events = append(events, e)
		} else {
			g.events = append(g.events, e)
		}
	}
	return g, lines, events
}

func TestApplyAndAdvanceMatchCompute(t *testing.T) {
	ctx := context.Background()
	opts := Options{ViewWeight: 1}
	for seed := range uint64(4) {
		f := genShop(100+seed, 120, 1500, 4000, 400, day0)
		t1 := day0.AddDate(0, 0, -20).Add(5 * time.Hour)
		t2 := day0.AddDate(0, 0, 3).Add(2 * time.Hour)
		// customers 101.. are new: their data comes after t1
		f.lines = slices.DeleteFunc(f.lines, func(l store.LineRow) bool { return l.CustomerID > 100 && !l.PlacedAt.After(t1) })
		f.events = slices.DeleteFunc(f.events, func(e store.Event) bool { return e.CustomerID > 100 && !e.At.After(t1) })
		old, newLines, newEvents := split(f, t1)
		old.ids = f.ids[:100]
		tab, err := Compute(ctx, old, t1, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := tab.Apply(newLines, newEvents); err != nil {
			t.Fatal(err)
		}
		if err := tab.Advance(t2); err != nil {
			t.Fatal(err)
		}
		full, err := Compute(ctx, f, t2, opts)
		if err != nil {
			t.Fatal(err)
		}
		compareTables(t, tab, full, "country") // Apply reads no attributes
		checkBrute(t, tab, f, t2)

		// Apply on its own (no refit) keeps the raw features exact.
		tab2, _ := Compute(ctx, old, t1, opts)
		if err := tab2.Apply(newLines, newEvents); err != nil {
			t.Fatal(err)
		}
		last := t1
		for _, l := range newLines {
			last = maxTime(last, l.PlacedAt)
		}
		for _, e := range newEvents {
			last = maxTime(last, e.At)
		}
		if !tab2.AsOf.Equal(last) {
			t.Errorf("Apply moved AsOf to %v, want the newest item %v", tab2.AsOf, last)
		}
		checkBrute(t, tab2, f, last)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// compareTables compares got's customers (a subset of want's) column by
// column; skip names columns Apply does not maintain.
func compareTables(t *testing.T, got, want *Table, skip ...string) {
	t.Helper()
	if !got.AsOf.Equal(want.AsOf) {
		t.Errorf("as-of %v, want %v", got.AsOf, want.AsOf)
	}
	rows := make([]int, len(got.IDs))
	for i, id := range got.IDs {
		j, ok := want.Index(id)
		if !ok {
			t.Fatalf("customer %d is not in the reference table", id)
		}
		rows[i] = j
	}
	for name, w := range want.Num {
		g := got.Num[name]
		for i, j := range rows {
			if !closeTo(g[i], w[j]) && !(math.Abs(g[i]-w[j]) < 1e-6) {
				t.Errorf("%s of customer %d: %v, want %v", name, got.IDs[i], g[i], w[j])
				break
			}
		}
	}
	for name, w := range want.Text {
		if slices.Contains(skip, name) {
			continue
		}
		g := got.Text[name]
		for i, j := range rows {
			if g[i] != w[j] {
				t.Errorf("%s of customer %d: %q, want %q", name, got.IDs[i], g[i], w[j])
				break
			}
		}
	}
}

func TestApplyErrors(t *testing.T) {
	f := genShop(7, 50, 200, 100, 100, day0)
	f.ids = slices.DeleteFunc(slices.Clone(f.ids), func(id int64) bool { return id == 10 })
	tab, err := Compute(context.Background(), f, day0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = tab.Apply([]store.LineRow{line(99999, 10, day0.Add(time.Hour), store.OrderSale, "x", "", 1)}, nil)
	if !errors.Is(err, ErrRecompute) {
		t.Errorf("unknown older customer: %v, want ErrRecompute", err)
	}
	if err := tab.Advance(day0.Add(-time.Hour)); !errors.Is(err, ErrRecompute) {
		t.Errorf("advance backwards: %v, want ErrRecompute", err)
	}
	var hand Table
	if err := hand.Apply(nil, nil); !errors.Is(err, ErrNoState) {
		t.Errorf("hand-made table: %v, want ErrNoState", err)
	}
}

func TestSaveLoad(t *testing.T) {
	ctx := context.Background()
	f := genShop(11, 80, 800, 1500, 300, day0)
	t1 := day0.AddDate(0, 0, -10)
	old, newLines, newEvents := split(f, t1)
	tab, err := Compute(ctx, old, t1, Options{Location: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tab.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	compareTables(t, loaded, tab)
	if !slices.Equal(loaded.Cols, tab.Cols) {
		t.Error("schema differs after load")
	}
	if &loaded.Num[ColTenure][0] != &loaded.Num[ColDaysSinceFirst][0] {
		t.Error("alias columns should share their values after load")
	}
	// both continue identically
	for _, x := range []*Table{tab, loaded} {
		if err := x.Apply(newLines, newEvents); err != nil {
			t.Fatal(err)
		}
		if err := x.Advance(day0.AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
	}
	compareTables(t, loaded, tab)

	if _, err := Load(bytes.NewReader([]byte("nope"))); !errors.Is(err, ErrFormat) {
		t.Errorf("garbage: %v, want ErrFormat", err)
	}
	b := buf.Bytes()
	b[len(fileMagic)] = 99
	if _, err := Load(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
		t.Errorf("future version: %v, want ErrFormat", err)
	}
}

func FuzzLoad(f *testing.F) {
	tab, err := Compute(context.Background(), genShop(3, 5, 20, 20, 60, day0), day0, Options{})
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tab.Save(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(fileMagic + "\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		// a table that loads can be used
		_ = x.Summarize()
		_ = x.Advance(x.AsOf.Add(48 * time.Hour))
	})
}

func TestSummary(t *testing.T) {
	f := genShop(5, 300, 3000, 100, 400, day0)
	tab, err := Compute(context.Background(), f, day0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := tab.Summarize()
	var cells, classes, segs, stages int
	var share float64
	for _, c := range s.Grid {
		cells += c.Customers
		share += c.RevenueShare
	}
	for _, c := range s.Classes {
		classes += c.Customers
	}
	for _, c := range s.Segments {
		segs += c.Customers
	}
	for _, c := range s.Lifecycle {
		stages += c.Customers
	}
	if cells != s.Buyers || classes != s.Buyers || segs != s.Buyers || stages != s.Customers || math.Abs(share-1) > 1e-9 {
		t.Errorf("summary does not add up: buyers %d, grid %d (share %v), classes %d, segments %d, stages %d of %d",
			s.Buyers, cells, share, classes, segs, stages, s.Customers)
	}
	if len(s.Grid) != 9 || s.Grid[0].Class != rfm.ClassA || s.Grid[1].Class != rfm.ClassB || s.Grid[8].Class != rfm.ClassC {
		t.Errorf("grid cells: %+v", s.Grid)
	}
}

func TestDenseIndex(t *testing.T) {
	for _, ids := range [][]int64{{1, 2, 3, 7}, {5, 1 << 40}, nil} {
		dense := denseIndex(ids)
		for i, id := range ids {
			if dense(id) != int32(i) {
				t.Errorf("%v: dense(%d) = %d, want %d", ids, id, dense(id), i)
			}
		}
		for _, id := range []int64{0, 4, -1, 1<<40 + 1} {
			if slices.Contains(ids, id) {
				continue
			}
			if dense(id) != -1 {
				t.Errorf("%v: dense(%d) = %d, want -1", ids, id, dense(id))
			}
		}
	}
}

// A churn probability column added by another package moves customers who
// have not churned into the high-churn-risk stage, and keeps doing so
// through Advance, Apply and a save and load.
func TestHighChurnRiskStage(t *testing.T) {
	f := genShop(11, 200, 2000, 1000, 200, day0)
	tab, err := Compute(context.Background(), f, day0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stage := tab.Text["lifecycle_stage"]
	risk := make([]float64, tab.Len())
	var live []int
	for i := range risk {
		risk[i] = math.NaN()
		if s := stage[i]; s == rfm.Active || s == rfm.Silent || s == rfm.StageNew || s == rfm.WonBack {
			live = append(live, i)
		}
	}
	if len(live) < 10 {
		t.Fatalf("only %d live customers in the test shop", len(live))
	}
	for _, i := range live[:5] {
		risk[i] = 0.9
	}
	risk[live[5]] = 0.2
	tab.Num[ChurnColumn] = risk
	before := slices.Clone(stage)
	if err := tab.Rederive(); err != nil {
		t.Fatal(err)
	}
	check := func(when string, tab *Table) {
		t.Helper()
		stage := tab.Text["lifecycle_stage"]
		for k, i := range live[:6] {
			want := rfm.HighChurnRisk
			if k == 5 {
				want = before[i]
			}
			if stage[i] != want {
				t.Errorf("%s: customer row %d (%s, risk %v): %s, want %s", when, i, before[i], risk[i], stage[i], want)
			}
		}
	}
	check("rederive", tab)
	if err := tab.Advance(day0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("advance", tab)
	var buf bytes.Buffer
	if err := tab.Save(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Advance(day0.Add(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("load and advance", loaded)
}

// Without a threshold set, the high-churn-risk stage takes the riskiest
// fifth of the live customers, whatever level the model's probabilities
// sit at.
func TestHighChurnRiskFitted(t *testing.T) {
	f := genShop(12, 600, 6000, 1000, 200, day0)
	tab, err := Compute(context.Background(), f, day0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stage := tab.Text["lifecycle_stage"]
	risk := make([]float64, tab.Len())
	live := 0
	for i := range risk {
		risk[i] = math.NaN()
		if s := stage[i]; s != rfm.Prospect && s != rfm.Churned {
			risk[i] = 0.9 + 0.09*float64(live%100)/100 // all high: 0.90 .. 0.99
			live++
		}
	}
	if live < 50 {
		t.Fatalf("only %d live customers", live)
	}
	tab.Num[ChurnColumn] = risk
	if err := tab.Rederive(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range tab.Text["lifecycle_stage"] {
		if s == rfm.HighChurnRisk {
			n++
		}
	}
	if share := float64(n) / float64(live); share < 0.15 || share > 0.25 {
		t.Errorf("%d of %d live customers (%.0f%%) at high churn risk, want about a fifth", n, live, 100*share)
	}
	// a threshold set in the options is used as it is
	tab2, _ := Compute(context.Background(), f, day0, Options{Lifecycle: rfm.LifecycleOptions{HighRiskFrom: 0.5}})
	tab2.Num[ChurnColumn] = risk
	if err := tab2.Rederive(); err != nil {
		t.Fatal(err)
	}
	m := 0
	for _, s := range tab2.Text["lifecycle_stage"] {
		if s == rfm.HighChurnRisk {
			m++
		}
	}
	if m != live {
		t.Errorf("threshold 0.5: %d at high churn risk, want all %d live customers", m, live)
	}
}
