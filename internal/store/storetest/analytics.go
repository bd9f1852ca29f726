package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// errStop is what the scan callbacks of the suite fail with.
var errStop = errors.New("stop")

// scanLines collects what ScanLines gives, copying each row.
func scanLines(t *testing.T, s store.Store, asOf time.Time) []store.LineRow {
	t.Helper()
	var rows []store.LineRow
	err := s.ScanLines(t.Context(), asOf, func(row *store.LineRow) error {
		rows = append(rows, *row)
		return nil
	})
	if err != nil {
		t.Fatalf("ScanLines(%v): %v", asOf, err)
	}
	return rows
}

func scanEvents(t *testing.T, s store.Store, from, to time.Time) []store.Event {
	t.Helper()
	var events []store.Event
	err := s.ScanEvents(t.Context(), from, to, func(e *store.Event) error {
		events = append(events, *e)
		return nil
	})
	if err != nil {
		t.Fatalf("ScanEvents(%v, %v): %v", from, to, err)
	}
	return events
}

func testScanLines(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "lines of an empty store", scanLines(t, s, time.Time{}), []store.LineRow(nil))

	c := newCustomers(t, s, t0, t0)
	o := []store.Order{
		{Source: "shop", ExtID: "1", CustomerID: c[0], PlacedAt: t1, Kind: store.OrderSale, Channel: "web", Payment: "card", Currency: "EUR", Coupon: "SPRING"},
		{Source: "pos", ExtID: "2", PlacedAt: t2, Kind: store.OrderSale, Channel: "store", Payment: "cash"}, // guest
		{Source: "shop", ExtID: "3", CustomerID: c[1], PlacedAt: t3, Kind: store.OrderCancel, RefExtID: "1", Channel: "web"},
		{Source: "shop", ExtID: "4", CustomerID: c[0], PlacedAt: t2, Kind: store.OrderSale, Channel: "app"}, // no lines
		{Source: "shop", ExtID: "5", CustomerID: c[1], PlacedAt: t5, Kind: store.OrderReturn, Payment: "card"},
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, it := range []store.Item{
			{ID: "A", Title: "Mug", Category: "home/kitchen/mugs", Brand: "Acme", Price: 5, Active: true, UpdatedAt: t0},
			{ID: "B", Title: "Ball", Category: "toys", Price: 4, Active: true, UpdatedAt: t0},
			{ID: "C", Title: "Plain", Price: 1, UpdatedAt: t0},
		} {
			if _, err := tx.PutItem(ctx, it); err != nil {
				return err
			}
		}
		for i := range o {
			if _, err := tx.PutOrder(ctx, &o[i]); err != nil {
				return err
			}
		}
		// Lines out of order, later orders first, line numbers with gaps.
		_, err := tx.PutOrderLines(ctx, []store.OrderLine{
			{OrderID: o[4].ID, LineNo: 1, ItemID: "C", Quantity: -1, UnitPrice: 1, Amount: -1},
			{OrderID: o[2].ID, LineNo: 1, ItemID: "A", Quantity: -1, UnitPrice: 5, Amount: -5},
			{OrderID: o[0].ID, LineNo: 7, ItemID: "Z", Quantity: 1, UnitPrice: 3, Amount: 3, Discount: 0.5, Coupon: "LINE"},
			{OrderID: o[1].ID, LineNo: 2, ItemID: "A", Quantity: 1, UnitPrice: 5, Amount: 5},
			{OrderID: o[0].ID, LineNo: 2, ItemID: "A", Quantity: 2, UnitPrice: 5, Amount: 10},
			{OrderID: o[1].ID, LineNo: 1, ItemID: "B", Quantity: 1.5, UnitPrice: 4, Amount: 6, Discount: 1, Coupon: "L2"},
		})
		return err
	})
	head := func(i int) store.LineRow {
		return store.LineRow{OrderID: o[i].ID, CustomerID: o[i].CustomerID, PlacedAt: o[i].PlacedAt, Kind: o[i].Kind,
			Channel: o[i].Channel, Payment: o[i].Payment, Coupon: o[i].Coupon}
	}
	line := func(i int, f func(*store.LineRow)) store.LineRow { r := head(i); f(&r); return r }
	all := []store.LineRow{
		line(0, func(r *store.LineRow) {
			r.ItemID, r.Category, r.Brand, r.Quantity, r.UnitPrice, r.Amount = "A", "home/kitchen/mugs", "Acme", 2, 5, 10
		}),
		line(0, func(r *store.LineRow) { // the order's coupon wins; an unknown item
			r.ItemID, r.Quantity, r.UnitPrice, r.Amount, r.Discount = "Z", 1, 3, 3, 0.5
		}),
		line(1, func(r *store.LineRow) { // the line's coupon
			r.ItemID, r.Category, r.Quantity, r.UnitPrice, r.Amount, r.Discount, r.Coupon = "B", "toys", 1.5, 4, 6, 1, "L2"
		}),
		line(1, func(r *store.LineRow) {
			r.ItemID, r.Category, r.Brand, r.Quantity, r.UnitPrice, r.Amount = "A", "home/kitchen/mugs", "Acme", 1, 5, 5
		}),
		line(2, func(r *store.LineRow) {
			r.ItemID, r.Category, r.Brand, r.Quantity, r.UnitPrice, r.Amount = "A", "home/kitchen/mugs", "Acme", -1, 5, -5
		}),
		line(4, func(r *store.LineRow) { // an item without category or brand
			r.ItemID, r.Quantity, r.UnitPrice, r.Amount = "C", -1, 1, -1
		}),
	}
	cases := []struct {
		name string
		asOf time.Time
		want []store.LineRow
	}{
		{"no bound", time.Time{}, all},
		{"before the first", t0, nil},
		{"at the first, inclusive", t1, all[:2]},
		{"at a guest order", t2, all[:4]},
		{"between", t4, all[:5]},
		{"after the last", t6, all},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "lines", scanLines(t, s, tc.asOf), tc.want)
		})
	}

	t.Run("callback error", func(t *testing.T) {
		calls := 0
		err := s.ScanLines(ctx, time.Time{}, func(*store.LineRow) error { calls++; return errStop })
		if !errors.Is(err, errStop) || calls != 1 {
			t.Errorf("ScanLines: %d calls, error %v; want 1 call and the callback's error", calls, err)
		}
		equal(t, "lines after a stopped scan", scanLines(t, s, time.Time{}), all)
	})

	t.Run("writes during the scan", func(t *testing.T) {
		// fn may use the store; the scan sees the store as it was when it
		// started.
		var got []store.LineRow
		err := s.ScanLines(ctx, time.Time{}, func(row *store.LineRow) error {
			if len(got) == 0 {
				update(t, s, func(ctx context.Context, tx store.Tx) error {
					n := store.Order{Source: "shop", ExtID: "6", CustomerID: c[0], PlacedAt: t1, Kind: store.OrderSale}
					if _, err := tx.PutOrder(ctx, &n); err != nil {
						return err
					}
					_, err := tx.PutOrderLines(ctx, []store.OrderLine{{OrderID: n.ID, LineNo: 1, ItemID: "A", Quantity: 1, Amount: 5}})
					return err
				})
				if _, err := s.Stats(ctx); err != nil {
					return err
				}
			}
			got = append(got, *row)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		equal(t, "lines", got, all)
		if n := len(scanLines(t, s, time.Time{})); n != len(all)+1 {
			t.Errorf("%d lines after the write, want %d", n, len(all)+1)
		}
	})
}

func testScanLinesMerged(t *testing.T, s store.Store) {
	// Orders move to the survivor of a merge; ScanLines gives the survivor.
	f := newMergeFixture(t, s)
	byOrder := map[int64]int64{}
	for _, r := range scanLines(t, s, time.Time{}) {
		byOrder[r.OrderID] = r.CustomerID
	}
	if byOrder[f.sOrder] != f.s || byOrder[f.mOrder] != f.s || len(byOrder) != 3 {
		t.Errorf("customers by order %v; want orders %d and %d of customer %d, 3 orders", byOrder, f.sOrder, f.mOrder, f.s)
	}
}

func testScanEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "events of an empty store", scanEvents(t, s, time.Time{}, time.Time{}), []store.Event(nil))
	c := newCustomers(t, s, t0)[0]
	ev := func(id int64, at time.Time) store.Event {
		return store.Event{ID: id, Source: "web", CustomerID: c, Type: store.EventView, At: at, ItemID: "A", Value: 1.5, Props: `{"p":1}`}
	}
	// Ids and instants in no particular order: the scan keeps the order of
	// insertion.
	e := []store.Event{ev(900, t3), ev(-4, t1), ev(55, t5), ev(7, t2), ev(1<<40, t2), ev(3, t4)}
	e[4].CustomerID, e[4].Type, e[4].ItemID, e[4].Value, e[4].Props = 0, store.EventSearch, "", 0, ""
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.PutEvents(ctx, e[:3]); err != nil {
			return err
		}
		_, err := tx.PutEvents(ctx, []store.Event{e[3], e[0], e[4]}) // e[0] again: stays first
		return err
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.PutEvents(ctx, e[5:])
		return err
	})
	cases := []struct {
		name     string
		from, to time.Time
		want     []store.Event
	}{
		{"no bounds", time.Time{}, time.Time{}, e},
		{"from, inclusive", t2, time.Time{}, []store.Event{e[0], e[2], e[3], e[4], e[5]}},
		{"to, inclusive", time.Time{}, t2, []store.Event{e[1], e[3], e[4]}},
		{"both", t2, t4, []store.Event{e[0], e[3], e[4], e[5]}},
		{"one instant", t2, t2, []store.Event{e[3], e[4]}},
		{"empty range", t4, t1, nil},
		{"after the last", t6, time.Time{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "events", scanEvents(t, s, tc.from, tc.to), tc.want)
		})
	}
	calls := 0
	err := s.ScanEvents(ctx, time.Time{}, time.Time{}, func(*store.Event) error { calls++; return errStop })
	if !errors.Is(err, errStop) || calls != 1 {
		t.Errorf("ScanEvents: %d calls, error %v; want 1 call and the callback's error", calls, err)
	}
	equal(t, "events after a stopped scan", scanEvents(t, s, time.Time{}, time.Time{}), e)
}

func testCustomerIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "ids of an empty store", must[[]int64](t, "customer ids")(s.CustomerIDs(ctx)), []int64(nil))
	c := newCustomers(t, s, t3, t1, t2, t0, t4)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.MergeCustomers(ctx, store.Merge{Survivor: c[2], Merged: c[0], Kind: store.KindEmail, Value: "a@example.com", At: t5}); err != nil {
			return err
		}
		return tx.MergeCustomers(ctx, store.Merge{Survivor: c[2], Merged: c[3], Kind: store.KindEmail, Value: "b@example.com", At: t5})
	})
	// Ids ascend with creation, whatever CreatedAt says.
	equal(t, "ids", must[[]int64](t, "customer ids")(s.CustomerIDs(ctx)), []int64{c[1], c[2], c[4]})
}

func testAttributeValues(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.PutAttributes(ctx, []store.Attribute{
			{CustomerID: c[0], Name: "city", Value: "Paris", Source: "crm", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[1], Name: "city", Value: "Lyon", Source: "crm", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[1], Name: "country", Value: "FR", Source: "crm", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[2], Name: "city", Value: "", Source: "crm", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[3], Name: "City", Value: "Nice", Source: "crm", ObservedAt: t1, Rule: "latest"},
		})
	})
	cases := []struct {
		name string
		want map[int64]string
	}{
		{"city", map[int64]string{c[0]: "Paris", c[1]: "Lyon", c[2]: ""}},
		{"country", map[int64]string{c[1]: "FR"}},
		{"City", map[int64]string{c[3]: "Nice"}},
		{"zip", map[int64]string{}},
	}
	for _, tc := range cases {
		got, err := s.AttributeValues(ctx, tc.name)
		if err != nil {
			t.Fatalf("AttributeValues(%q): %v", tc.name, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("AttributeValues(%q) = %v, want %v", tc.name, got, tc.want)
			continue
		}
		for id, v := range tc.want {
			if g, ok := got[id]; !ok || g != v {
				t.Errorf("AttributeValues(%q) = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
}

func testDefinitions(t *testing.T, s store.Store) {
	ctx := t.Context()
	def := func(kind, name, body string, at time.Time, deleted bool) store.Definition {
		return store.Definition{Kind: kind, Name: name, Body: []byte(body), Deleted: deleted, CreatedAt: at, Author: "key-" + name}
	}
	steps := []struct {
		d    store.Definition
		want int
	}{
		{def("tag", "vip", `{"min_spend":100}`, t1, false), 1},
		{def("tag", "vip", `{"min_spend":200}`, t2, false), 2},
		{def("segment", "vip", `{"tag":"vip"}`, t2, false), 1}, // versions count per kind and name
		{def("tag", "alpha", `{"a":1}`, t1, false), 1},
		{def("tag", "Zeta", `{"z":true}`, t1, false), 1},
		{def("tag", "beta", `{"b":[1,2]}`, t2, false), 1},
		{def("tag", "vip", `{"min_spend":300}`, t3, false), 3},
		{def("tag", "alpha", ``, t3, true), 2}, // deleted
		{def("tag", "gone", `{}`, t1, false), 1},
		{def("tag", "gone", `{}`, t2, true), 2},
	}
	steps[6].d.Version = 9 // ignored: the store numbers the versions
	for _, st := range steps {
		v, err := s.PutDefinition(ctx, st.d)
		if err != nil || v != st.want {
			t.Fatalf("PutDefinition(%s %q) = %d, %v; want %d", st.d.Kind, st.d.Name, v, err, st.want)
		}
	}
	withVersion := func(d store.Definition, v int) store.Definition { d.Version = v; return d }
	// Latest live versions, by name in byte order.
	equal(t, "tags", must[[]store.Definition](t, "definitions")(s.Definitions(ctx, "tag")), []store.Definition{
		withVersion(steps[4].d, 1), withVersion(steps[5].d, 1), withVersion(steps[6].d, 3),
	})
	equal(t, "segments", must[[]store.Definition](t, "definitions")(s.Definitions(ctx, "segment")), []store.Definition{
		withVersion(steps[2].d, 1),
	})
	equal(t, "policies", must[[]store.Definition](t, "definitions")(s.Definitions(ctx, "policy")), []store.Definition(nil))

	equal(t, "history of vip", must[[]store.Definition](t, "history")(s.DefinitionHistory(ctx, "tag", "vip")), []store.Definition{
		withVersion(steps[0].d, 1), withVersion(steps[1].d, 2), withVersion(steps[6].d, 3),
	})
	// A deleted definition comes back as a new version.
	again := def("tag", "alpha", `{"a":2}`, t4, false)
	if v, err := s.PutDefinition(ctx, again); err != nil || v != 3 {
		t.Fatalf("PutDefinition of a deleted definition = %d, %v; want 3", v, err)
	}
	equal(t, "history of alpha", must[[]store.Definition](t, "history")(s.DefinitionHistory(ctx, "tag", "alpha")), []store.Definition{
		withVersion(steps[3].d, 1), withVersion(steps[7].d, 2), withVersion(again, 3),
	})
	equal(t, "tags with alpha again", must[[]store.Definition](t, "definitions")(s.Definitions(ctx, "tag")), []store.Definition{
		withVersion(steps[4].d, 1), withVersion(again, 3), withVersion(steps[5].d, 1), withVersion(steps[6].d, 3),
	})
	equal(t, "history of a deleted one", must[[]store.Definition](t, "history")(s.DefinitionHistory(ctx, "tag", "gone")), []store.Definition{
		withVersion(steps[8].d, 1), withVersion(steps[9].d, 2),
	})
	for _, k := range [][2]string{{"tag", "nope"}, {"segment", "Zeta"}, {"", "vip"}} {
		_, err := s.DefinitionHistory(ctx, k[0], k[1])
		wantErr(t, "DefinitionHistory("+k[0]+", "+k[1]+")", err, store.ErrNotFound)
	}
}

func testAdmission(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0, t0)
	entry := func(list string, id int64, reason string, expires time.Time) store.AdmissionEntry {
		return store.AdmissionEntry{List: list, CustomerID: id, Reason: reason, Source: "upload", AddedAt: t1, ExpiresAt: expires}
	}
	all := func(at time.Time) []store.AdmissionEntry {
		t.Helper()
		return must[[]store.AdmissionEntry](t, "admission")(s.Admission(ctx, "", at))
	}
	equal(t, "empty", all(time.Time{}), []store.AdmissionEntry(nil))

	if err := s.PutAdmission(ctx, []store.AdmissionEntry{
		entry(store.ListBlack, c[0], "fraud", t3),
		entry(store.ListWhite, c[0], "vip", time.Time{}), // another list
		entry(store.ListGrey, c[2], "chargeback", t2),
		entry(store.ListBlack, c[1], "abuse", time.Time{}),
		entry(store.ListGrey, c[3], "first", t6),
		entry(store.ListGrey, c[3], "second", time.Time{}), // the last of the batch wins
	}); err != nil {
		t.Fatal(err)
	}
	replaced := entry(store.ListBlack, c[0], "fraud confirmed", time.Time{})
	replaced.Source, replaced.AddedAt = "rule:fraud", t2
	if err := s.PutAdmission(ctx, []store.AdmissionEntry{replaced}); err != nil {
		t.Fatal(err)
	}
	err := s.PutAdmission(ctx, []store.AdmissionEntry{entry(store.ListGrey, c[1], "x", time.Time{}), entry("purple", c[1], "x", time.Time{})})
	if err == nil {
		t.Error("PutAdmission to an unknown list succeeded")
	}
	if err := s.PutAdmission(ctx, nil); err != nil {
		t.Errorf("PutAdmission(nil): %v", err)
	}

	blackC0 := replaced
	blackC1 := entry(store.ListBlack, c[1], "abuse", time.Time{})
	greyC2 := entry(store.ListGrey, c[2], "chargeback", t2)
	greyC3 := entry(store.ListGrey, c[3], "second", time.Time{})
	whiteC0 := entry(store.ListWhite, c[0], "vip", time.Time{})
	cases := []struct {
		name, list string
		at         time.Time
		want       []store.AdmissionEntry
	}{
		{"all, by list and customer", "", time.Time{}, []store.AdmissionEntry{blackC0, blackC1, greyC2, greyC3, whiteC0}},
		{"all at t1", "", t1, []store.AdmissionEntry{blackC0, blackC1, greyC2, greyC3, whiteC0}},
		{"grey before it expires", store.ListGrey, t1, []store.AdmissionEntry{greyC2, greyC3}},
		{"grey when it expires", store.ListGrey, t2, []store.AdmissionEntry{greyC3}},
		{"grey long after", store.ListGrey, t6.Add(time.Hour), []store.AdmissionEntry{greyC3}},
		{"black", store.ListBlack, t6, []store.AdmissionEntry{blackC0, blackC1}},
		{"white", store.ListWhite, time.Time{}, []store.AdmissionEntry{whiteC0}},
		{"unknown list", "purple", time.Time{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "entries", must[[]store.AdmissionEntry](t, "admission")(s.Admission(ctx, tc.list, tc.at)), tc.want)
		})
	}

	wantErr(t, "RemoveAdmission", s.RemoveAdmission(ctx, store.ListWhite, c[0]), nil)
	wantErr(t, "RemoveAdmission again", s.RemoveAdmission(ctx, store.ListWhite, c[0]), store.ErrNotFound)
	wantErr(t, "RemoveAdmission from another list", s.RemoveAdmission(ctx, store.ListWhite, c[1]), store.ErrNotFound)
	wantErr(t, "RemoveAdmission of an unknown customer", s.RemoveAdmission(ctx, store.ListBlack, 1<<40), store.ErrNotFound)
	equal(t, "after removal", all(time.Time{}), []store.AdmissionEntry{blackC0, blackC1, greyC2, greyC3})
}

func testAdmissionMerge(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0, t0)
	sv, m, a, x := c[0], c[1], c[2], c[3] // a is merged into m, then m into sv
	entry := func(list string, id int64, reason string) store.AdmissionEntry {
		return store.AdmissionEntry{List: list, CustomerID: id, Reason: reason, Source: "api", AddedAt: t1, ExpiresAt: t6}
	}
	if err := s.PutAdmission(ctx, []store.AdmissionEntry{
		entry(store.ListBlack, sv, "survivor's"),
		entry(store.ListBlack, m, "merged's"), // clash: the survivor's stays
		entry(store.ListWhite, m, "moves"),
		entry(store.ListGrey, a, "moves twice"),
		entry(store.ListGrey, x, "unrelated"),
	}); err != nil {
		t.Fatal(err)
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.MergeCustomers(ctx, store.Merge{Survivor: m, Merged: a, Kind: store.KindEmail, Value: "a@example.com", At: t2})
	})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.MergeCustomers(ctx, store.Merge{Survivor: sv, Merged: m, Kind: store.KindEmail, Value: "m@example.com", At: t3})
	})
	equal(t, "entries", must[[]store.AdmissionEntry](t, "admission")(s.Admission(ctx, "", time.Time{})), []store.AdmissionEntry{
		entry(store.ListBlack, sv, "survivor's"),
		entry(store.ListGrey, sv, "moves twice"),
		entry(store.ListGrey, x, "unrelated"),
		entry(store.ListWhite, sv, "moves"),
	})
	for _, id := range []int64{m, a} {
		for _, list := range []string{store.ListBlack, store.ListWhite, store.ListGrey} {
			wantErr(t, "RemoveAdmission of a merged customer", s.RemoveAdmission(ctx, list, id), store.ErrNotFound)
		}
	}
}

func testSegmentSizes(t *testing.T, s store.Store) {
	ctx := t.Context()
	size := func(seg string, at time.Time, n int64) store.SegmentSize {
		return store.SegmentSize{Segment: seg, At: at, Count: n}
	}
	if err := s.AddSegmentSizes(ctx, []store.SegmentSize{
		size("vip", t1, 10), size("vip", t3, 12), size("vip", t2, 11), size("churn", t1, 5),
		size("vip", t4, 1), size("vip", t4, 2), // the last of the batch wins
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSegmentSizes(ctx, []store.SegmentSize{size("vip", t2, 15), size("VIP", t2, 7)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSegmentSizes(ctx, nil); err != nil {
		t.Errorf("AddSegmentSizes(nil): %v", err)
	}
	cases := []struct {
		name, segment string
		from, to      time.Time
		want          []store.SegmentSize
	}{
		{"all, oldest first, a size at the same instant replaced", "vip", time.Time{}, time.Time{},
			[]store.SegmentSize{size("vip", t1, 10), size("vip", t2, 15), size("vip", t3, 12), size("vip", t4, 2)}},
		{"inclusive range", "vip", t2, t3, []store.SegmentSize{size("vip", t2, 15), size("vip", t3, 12)}},
		{"from", "vip", t3, time.Time{}, []store.SegmentSize{size("vip", t3, 12), size("vip", t4, 2)}},
		{"to", "vip", time.Time{}, t1, []store.SegmentSize{size("vip", t1, 10)}},
		{"empty range", "vip", t5, t6, nil},
		{"another segment", "churn", time.Time{}, time.Time{}, []store.SegmentSize{size("churn", t1, 5)}},
		{"case matters", "VIP", time.Time{}, time.Time{}, []store.SegmentSize{size("VIP", t2, 7)}},
		{"unknown segment", "nope", time.Time{}, time.Time{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "sizes", must[[]store.SegmentSize](t, "segment sizes")(s.SegmentSizes(ctx, tc.segment, tc.from, tc.to)), tc.want)
		})
	}
}
