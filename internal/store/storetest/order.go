package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func testItem(t *testing.T, s store.Store) {
	ctx := t.Context()
	mug := store.Item{ID: "MUG-1", Title: "Mug", Category: "home/kitchen/mugs", Brand: "Acme", Price: 7.5,
		Active: true, Source: "catalog", UpdatedAt: t1}
	with := func(f func(*store.Item)) store.Item { it := mug; f(&it); return it }
	steps := []struct {
		name string
		it   store.Item
		want bool
	}{
		{"new", mug, true},
		{"identical", mug, false},
		{"price", with(func(it *store.Item) { it.Price = 8 }), true},
		{"identical again", with(func(it *store.Item) { it.Price = 8 }), false},
		{"updated at only", with(func(it *store.Item) { it.Price, it.UpdatedAt = 8, t2 }), true},
		{"inactive", with(func(it *store.Item) { it.Price, it.UpdatedAt, it.Active = 8, t2, false }), true},
		{"title", with(func(it *store.Item) { it.Price, it.UpdatedAt, it.Active, it.Title = 8, t2, false, "Big mug" }), true},
		{"another item", store.Item{ID: "TEE-1", Title: "T-shirt", Price: 12, Active: true, Source: "catalog", UpdatedAt: t1}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				changed, err := tx.PutItem(ctx, st.it)
				if err != nil {
					return err
				}
				if changed != st.want {
					t.Errorf("PutItem(%+v) changed = %v, want %v", st.it, changed, st.want)
				}
				got, err := tx.Item(ctx, st.it.ID)
				if err != nil {
					return err
				}
				equal(t, "item in tx", got, st.it)
				return nil
			})
			equal(t, "item", must[store.Item](t, "item")(s.Item(ctx, st.it.ID)), st.it)
		})
	}
	equal(t, "final mug", must[store.Item](t, "item")(s.Item(ctx, "MUG-1")), with(func(it *store.Item) {
		it.Price, it.UpdatedAt, it.Active, it.Title = 8, t2, false, "Big mug"
	}))
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{Items: 2})
}

func testOrder(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0)[0]
	steps := []struct {
		name      string
		o         store.Order
		refToSale bool // set RefOrderID to the sale's ID
		inserted  bool
	}{
		{"new sale", store.Order{Source: "shop", ExtID: "1001", CustomerID: c, PlacedAt: t1, Kind: store.OrderSale,
			Channel: "web", Payment: "card", Currency: "EUR", Coupon: "SPRING"}, false, true},
		{"again, other fields", store.Order{Source: "shop", ExtID: "1001", PlacedAt: t3, Kind: store.OrderSale, Channel: "store"}, false, false},
		{"cancellation", store.Order{Source: "shop", ExtID: "C1001", CustomerID: c, PlacedAt: t2, Kind: store.OrderCancel,
			RefExtID: "1001", Currency: "EUR"}, false, true},
		{"same ext id, other source", store.Order{Source: "pos", ExtID: "1001", PlacedAt: t2, Kind: store.OrderSale, Payment: "cash"}, false, true},
		{"return with a known ref", store.Order{Source: "shop", ExtID: "R1", CustomerID: c, PlacedAt: t3, Kind: store.OrderReturn,
			RefExtID: "1001"}, true, true},
	}
	ids := map[string]int64{} // by source/ext id
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			o := st.o
			if st.refToSale {
				o.RefOrderID = ids["shop/1001"]
			}
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				inserted, err := tx.PutOrder(ctx, &o)
				if err != nil {
					return err
				}
				if inserted != st.inserted {
					t.Errorf("PutOrder inserted = %v, want %v", inserted, st.inserted)
				}
				return nil
			})
			key := o.Source + "/" + o.ExtID
			switch {
			case o.ID <= 0:
				t.Fatalf("PutOrder set ID %d, want a positive id", o.ID)
			case !st.inserted && o.ID != ids[key]:
				t.Errorf("PutOrder of an existing order set ID %d, want %d", o.ID, ids[key])
			case st.inserted:
				for k, id := range ids {
					if id == o.ID {
						t.Errorf("PutOrder gave %s the ID %d of %s", key, id, k)
					}
				}
				ids[key] = o.ID
			}
		})
	}
	saleID := ids["shop/1001"]
	equal(t, "orders", must[[]store.Order](t, "orders")(s.Orders(ctx, c, time.Time{}, 0)), []store.Order{
		{ID: ids["shop/R1"], Source: "shop", ExtID: "R1", CustomerID: c, PlacedAt: t3, Kind: store.OrderReturn, RefExtID: "1001", RefOrderID: saleID},
		{ID: ids["shop/C1001"], Source: "shop", ExtID: "C1001", CustomerID: c, PlacedAt: t2, Kind: store.OrderCancel, RefExtID: "1001", Currency: "EUR"},
		{ID: saleID, Source: "shop", ExtID: "1001", CustomerID: c, PlacedAt: t1, Kind: store.OrderSale, Channel: "web", Payment: "card", Currency: "EUR", Coupon: "SPRING"},
	})
	equal(t, "guest orders", must[[]store.Order](t, "orders")(s.Orders(ctx, 0, time.Time{}, 0)), []store.Order{
		{ID: ids["pos/1001"], Source: "pos", ExtID: "1001", PlacedAt: t2, Kind: store.OrderSale, Payment: "cash"},
	})
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{Customers: 1, Orders: 4, AnonymousOrders: 1})
}

func testOrderLines(t *testing.T, s store.Store) {
	ctx := t.Context()
	var o1, o2 int64
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		a := store.Order{Source: "shop", ExtID: "1", PlacedAt: t1, Kind: store.OrderSale}
		b := store.Order{Source: "shop", ExtID: "2", PlacedAt: t2, Kind: store.OrderSale}
		if _, err := tx.PutOrder(ctx, &a); err != nil {
			return err
		}
		if _, err := tx.PutOrder(ctx, &b); err != nil {
			return err
		}
		o1, o2 = a.ID, b.ID
		return nil
	})
	line := func(order int64, no int, item string, q, price float64) store.OrderLine {
		return store.OrderLine{OrderID: order, LineNo: no, ItemID: item, Quantity: q, UnitPrice: price, Amount: q * price}
	}
	l1 := line(o1, 1, "A", 2, 1.5)
	l2 := line(o1, 2, "A", 2, 1.5) // identical to l1 but for LineNo
	l3 := store.OrderLine{OrderID: o1, LineNo: 3, ItemID: "B", Quantity: 1, UnitPrice: 10, Amount: 10, Discount: 1, Coupon: "SPRING"}
	l4 := line(o1, 4, "C", -1, 0.25)
	l5 := line(o2, 1, "A", 1, 1.5)
	big := make([]store.OrderLine, 1234)
	for i := range big {
		big[i] = line(o2, 100+i, fmt.Sprintf("I%d", i%37), float64(1+i%5), 0.5)
	}
	steps := []struct {
		name  string
		lines []store.OrderLine
		want  int
	}{
		{"empty", nil, 0},
		{"identical lines with different numbers", []store.OrderLine{l1, l2, l3}, 3},
		{"again", []store.OrderLine{l1, l2, l3}, 0},
		{"one new among old", []store.OrderLine{l3, l4, l1}, 1},
		{"duplicate within the batch", []store.OrderLine{l5, l5}, 1},
		{"part of a big batch", big[200:700], 500},
		{"big batch", big, 734},
		{"big batch again, with two orders", append([]store.OrderLine{l1, l2, l3, l4, l5}, big...), 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				n, err := tx.PutOrderLines(ctx, st.lines)
				if err != nil {
					return err
				}
				if n != st.want {
					t.Errorf("PutOrderLines inserted %d, want %d", n, st.want)
				}
				return nil
			})
		})
	}
	equal(t, "lines of o1", must[[]store.OrderLine](t, "lines")(s.OrderLines(ctx, o1)), []store.OrderLine{l1, l2, l3, l4})
	equal(t, "lines of o2", must[[]store.OrderLine](t, "lines")(s.OrderLines(ctx, o2)), append([]store.OrderLine{l5}, big...))
	equal(t, "lines of an unknown order", must[[]store.OrderLine](t, "lines")(s.OrderLines(ctx, 1<<40)), []store.OrderLine(nil))
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{Orders: 2, AnonymousOrders: 2, OrderLines: 1239})
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	ev := func(id int64, at time.Time, typ string) store.Event {
		return store.Event{ID: id, Source: "web", CustomerID: c[0], Type: typ, At: at, ItemID: "A", Value: 1.25, Props: `{"page":"/a"}`}
	}
	e1, e2, e3 := ev(1, t1, store.EventView), ev(2, t2, store.EventCartAdd), ev(3, t3, "custom_type")
	e4 := store.Event{ID: -5, Source: "app", Type: store.EventSearch, At: t2, Props: `{"q":"mug"}`} // unknown visitor
	changed := e1
	changed.Type, changed.At = store.EventLogin, t4
	big := make([]store.Event, 1234)
	for i := range big {
		big[i] = store.Event{ID: int64(1000 + 7919*i), Source: "web", CustomerID: c[1], Type: store.EventView,
			At: t0.Add(time.Duration(i) * time.Second), ItemID: fmt.Sprintf("I%d", i%37)}
	}
	steps := []struct {
		name   string
		events []store.Event
		want   int
	}{
		{"empty", nil, 0},
		{"two", []store.Event{e1, e2}, 2},
		{"one new among old", []store.Event{e2, e3, e1}, 1},
		{"same id, other content", []store.Event{changed}, 0},
		{"duplicate within the batch", []store.Event{e4, e4}, 1},
		{"part of a big batch", big[300:900], 600},
		{"big batch", big, 634},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				n, err := tx.PutEvents(ctx, st.events)
				if err != nil {
					return err
				}
				if n != st.want {
					t.Errorf("PutEvents inserted %d, want %d", n, st.want)
				}
				return nil
			})
		})
	}
	equal(t, "events", must[[]store.Event](t, "events")(s.Events(ctx, c[0], time.Time{}, 0)), []store.Event{e3, e2, e1})
	equal(t, "anonymous events", must[[]store.Event](t, "events")(s.Events(ctx, 0, time.Time{}, 0)), []store.Event{e4})
	gotBig := must[[]store.Event](t, "events")(s.Events(ctx, c[1], time.Time{}, 0))
	wantBig := make([]store.Event, len(big))
	for i := range big {
		wantBig[len(big)-1-i] = big[i]
	}
	equal(t, "big batch events", gotBig, wantBig)
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{Customers: 2, Events: 1238})
}

func testOrdersAsOf(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, o := range []store.Order{
			{ExtID: "a", CustomerID: c[0], PlacedAt: t1},
			{ExtID: "b", CustomerID: c[0], PlacedAt: t3},
			{ExtID: "c", CustomerID: c[0], PlacedAt: t2},
			{ExtID: "d", CustomerID: c[0], PlacedAt: t3}, // same instant as b, stored later
			{ExtID: "e", CustomerID: c[0], PlacedAt: t5},
			{ExtID: "x", CustomerID: c[1], PlacedAt: t4},
		} {
			o.Source, o.Kind = "shop", store.OrderSale
			if _, err := tx.PutOrder(ctx, &o); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name     string
		customer int64
		asOf     time.Time
		limit    int
		want     string
	}{
		{"all", c[0], time.Time{}, 0, "e d b c a"},
		{"negative limit", c[0], time.Time{}, -1, "e d b c a"},
		{"as of an order's instant", c[0], t3, 0, "d b c a"},
		{"as of just before", c[0], t3.Add(-time.Microsecond), 0, "c a"},
		{"limit", c[0], time.Time{}, 2, "e d"},
		{"as of and limit", c[0], t4, 3, "d b c"},
		{"limit above count", c[0], t2, 10, "c a"},
		{"before everything", c[0], t0, 0, ""},
		{"other customer", c[1], time.Time{}, 0, "x"},
		{"unknown customer", 1 << 40, time.Time{}, 0, ""},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := must[[]store.Order](t, "orders")(s.Orders(ctx, cs.customer, cs.asOf, cs.limit))
			var ext string
			for i, o := range got {
				if i > 0 {
					ext += " "
				}
				ext += o.ExtID
			}
			if ext != cs.want {
				t.Errorf("Orders(%d, %v, %d) = %q, want %q", cs.customer, cs.asOf, cs.limit, ext, cs.want)
			}
		})
	}
}

func testEventsAsOf(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PutEvents(ctx, []store.Event{
			{ID: 10, CustomerID: c[0], At: t1},
			{ID: 31, CustomerID: c[0], At: t3},
			{ID: 20, CustomerID: c[0], At: t2},
			{ID: 30, CustomerID: c[0], At: t3}, // same instant as 31, lower id
			{ID: 50, CustomerID: c[0], At: t5},
			{ID: 40, CustomerID: c[1], At: t4},
		})
		return err
	})
	cases := []struct {
		name     string
		customer int64
		asOf     time.Time
		limit    int
		want     string
	}{
		{"all", c[0], time.Time{}, 0, "50 31 30 20 10"},
		{"negative limit", c[0], time.Time{}, -1, "50 31 30 20 10"},
		{"as of an event's instant", c[0], t3, 0, "31 30 20 10"},
		{"as of just before", c[0], t3.Add(-time.Microsecond), 0, "20 10"},
		{"limit", c[0], time.Time{}, 2, "50 31"},
		{"as of and limit", c[0], t4, 3, "31 30 20"},
		{"before everything", c[0], t0, 0, ""},
		{"other customer", c[1], time.Time{}, 0, "40"},
		{"unknown customer", 1 << 40, time.Time{}, 0, ""},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := must[[]store.Event](t, "events")(s.Events(ctx, cs.customer, cs.asOf, cs.limit))
			var ids string
			for i, e := range got {
				if i > 0 {
					ids += " "
				}
				ids += fmt.Sprint(e.ID)
			}
			if ids != cs.want {
				t.Errorf("Events(%d, %v, %d) = %q, want %q", cs.customer, cs.asOf, cs.limit, ids, cs.want)
			}
		})
	}
}

func testOrderSummary(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0)
	amounts := map[string]float64{"A": 10, "B": 2.5, "C": 20, "D": 100, "E": 5}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		orders := []struct {
			o     store.Order
			items []string
		}{
			{store.Order{ExtID: "S1", CustomerID: c[0], PlacedAt: t1, Kind: store.OrderSale}, []string{"A", "B"}},
			{store.Order{ExtID: "S4", CustomerID: c[0], PlacedAt: t2, Kind: store.OrderSale}, nil}, // header only
			{store.Order{ExtID: "C1", CustomerID: c[0], PlacedAt: t2, Kind: store.OrderCancel}, []string{"B"}},
			{store.Order{ExtID: "S2", CustomerID: c[0], PlacedAt: t3, Kind: store.OrderSale}, []string{"C"}},
			{store.Order{ExtID: "R1", CustomerID: c[0], PlacedAt: t4, Kind: store.OrderReturn}, []string{"E"}},
			{store.Order{ExtID: "S3", CustomerID: c[0], PlacedAt: t6, Kind: store.OrderSale}, []string{"D"}},
			{store.Order{ExtID: "X1", CustomerID: c[1], PlacedAt: t2, Kind: store.OrderSale}, []string{"D", "D"}},
			{store.Order{ExtID: "G1", PlacedAt: t2, Kind: store.OrderSale}, []string{"A"}},
		}
		for _, o := range orders {
			o.o.Source = "shop"
			if _, err := putOrder(ctx, tx, o.o, amounts, o.items...); err != nil {
				return err
			}
		}
		return nil
	})
	cases := []struct {
		name     string
		customer int64
		asOf     time.Time
		want     store.OrderSummary
	}{
		{"all", c[0], time.Time{}, store.OrderSummary{Orders: 4, Cancellations: 2, Lines: 4, Revenue: 132.5, Refunded: 7.5, FirstOrder: t1, LastOrder: t6}},
		{"as of", c[0], t5, store.OrderSummary{Orders: 3, Cancellations: 2, Lines: 3, Revenue: 32.5, Refunded: 7.5, FirstOrder: t1, LastOrder: t3}},
		{"as of a cancellation", c[0], t2, store.OrderSummary{Orders: 2, Cancellations: 1, Lines: 2, Revenue: 12.5, Refunded: 2.5, FirstOrder: t1, LastOrder: t2}},
		{"before everything", c[0], t0, store.OrderSummary{}},
		{"other customer", c[1], time.Time{}, store.OrderSummary{Orders: 1, Lines: 2, Revenue: 200, FirstOrder: t2, LastOrder: t2}},
		{"no orders", c[2], time.Time{}, store.OrderSummary{}},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			got := must[store.OrderSummary](t, "summary")(s.OrderSummary(ctx, cs.customer, cs.asOf))
			equal(t, "summary", got, cs.want)
			if cs.want.FirstOrder.IsZero() && (!got.FirstOrder.IsZero() || !got.LastOrder.IsZero()) {
				t.Errorf("first/last order %v/%v, want zero times", got.FirstOrder, got.LastOrder)
			}
		})
	}
}

func testLinkOrders(t *testing.T, s store.Store) {
	ctx := t.Context()
	cs := newCustomers(t, s, t0, t0)
	c, d := cs[0], cs[1]
	half := 30 * time.Minute
	amounts := map[string]float64{"A": 10, "B": 2.5, "C": 20}
	type spec struct {
		source, ext string
		customer    int64
		kind        store.OrderKind
		at          time.Time
		ref         string
		refOrder    string // ext id (source shop) of a RefOrderID set before linking
		items       []string
	}
	specs := []spec{
		{"shop", "s1", c, store.OrderSale, t1, "", "", []string{"A", "B"}},
		{"shop", "s2", c, store.OrderSale, t2, "", "", []string{"B"}},
		{"shop", "s3", c, store.OrderSale, t2.Add(half), "", "", []string{"C"}},
		{"shop", "s4", c, store.OrderSale, t5, "", "", []string{"B"}},
		{"shop", "s5", d, store.OrderSale, t2.Add(half), "", "", []string{"B"}},
		{"shop", "x1", c, store.OrderCancel, t3, "", "", []string{"B"}},              // latest earlier sale with B: s2
		{"shop", "x2", c, store.OrderReturn, t4, "s1", "", []string{"B"}},            // by ref: s1
		{"shop", "x3", c, store.OrderCancel, t4, "late", "", []string{"B"}},          // ref not stored yet
		{"shop", "x4", 0, store.OrderCancel, t4, "", "", []string{"B"}},              // guest without ref
		{"shop", "x5", c, store.OrderCancel, t1, "", "", []string{"A"}},              // same instant as s1
		{"shop", "x6", c, store.OrderCancel, t0, "", "", []string{"A"}},              // nothing earlier
		{"shop", "x7", c, store.OrderCancel, t4, "", "s3", []string{"B"}},            // already linked
		{"shop", "x8", c, store.OrderCancel, t6, "", "", []string{"A", "C"}},         // s3 (C) is later than s1 (A)
		{"pos", "x9", c, store.OrderCancel, t4, "s1", "", []string{"A"}},             // ref in another source
		{"shop", "x10", 0, store.OrderReturn, t4, "s5", "", []string{"B"}},           // guest with ref: s5
		{"shop", "x11", c, store.OrderCancel, t3, "", "", []string{"Z"}},             // item never sold
		{"shop", "s6", c, store.OrderSale, t6.Add(half), "", "", []string{"A", "C"}}, // after x8
	}
	ids := map[string]int64{}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, sp := range specs {
			o := store.Order{Source: sp.source, ExtID: sp.ext, CustomerID: sp.customer, Kind: sp.kind, PlacedAt: sp.at,
				RefExtID: sp.ref, RefOrderID: ids["shop/"+sp.refOrder]}
			id, err := putOrder(ctx, tx, o, amounts, sp.items...)
			if err != nil {
				return err
			}
			ids[sp.source+"/"+sp.ext] = id
		}
		return nil
	})
	want := map[string]string{ // order -> the order it is linked to
		"shop/x1": "shop/s2", "shop/x2": "shop/s1", "shop/x5": "shop/s1", "shop/x7": "shop/s3",
		"shop/x8": "shop/s3", "shop/x10": "shop/s5",
	}
	check := func(t *testing.T) {
		t.Helper()
		byID := map[int64]string{}
		for k, id := range ids {
			byID[id] = k
		}
		for _, cust := range []int64{c, d, 0} {
			for _, o := range must[[]store.Order](t, "orders")(s.Orders(ctx, cust, time.Time{}, 0)) {
				key := o.Source + "/" + o.ExtID
				if got := byID[o.RefOrderID]; o.RefOrderID != ids[want[key]] {
					t.Errorf("%s linked to %q (%d), want %q", key, got, o.RefOrderID, want[key])
				}
			}
		}
	}
	steps := []struct {
		name   string
		before func()
		linked int
	}{
		{"first run", nil, 5},
		{"second run", nil, 0},
		{"after the referenced order arrives", func() {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				id, err := putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "late", CustomerID: d, Kind: store.OrderSale, PlacedAt: t5}, amounts, "A")
				ids["shop/late"] = id
				return err
			})
			want["shop/x3"] = "shop/late"
		}, 1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.before != nil {
				st.before()
			}
			n, err := s.LinkOrders(ctx)
			if err != nil {
				t.Fatalf("LinkOrders: %v", err)
			}
			if n != st.linked {
				t.Errorf("LinkOrders linked %d, want %d", n, st.linked)
			}
			check(t)
		})
	}
}
