package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func testCustomer(t *testing.T, s store.Store) {
	ctx := t.Context()
	ids := newCustomers(t, s, t1, t2, t1)
	seen := map[int64]bool{}
	for _, id := range ids {
		if id <= 0 || seen[id] {
			t.Fatalf("NewCustomer ids %v: want distinct positive ids", ids)
		}
		seen[id] = true
	}
	for i, at := range []time.Time{t1, t2, t1} {
		got := must[store.Customer](t, "customer")(s.Customer(ctx, ids[i]))
		equal(t, "customer", got, store.Customer{ID: ids[i], CreatedAt: at})
	}
	st := must[store.Stats](t, "stats")(s.Stats(ctx))
	equal(t, "stats", st, store.Stats{Customers: 3})
}

func testIdentity(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	a, b := c[0], c[1]
	steps := []struct {
		name string
		id   store.Identity
		want error
	}{
		{"new external id", store.Identity{CustomerID: a, Kind: store.KindExternalID, Namespace: "crm", Value: "17", Source: "crm", FirstSeen: t1}, nil},
		{"same value in another namespace", store.Identity{CustomerID: b, Kind: store.KindExternalID, Namespace: "shop", Value: "17", Source: "shop", FirstSeen: t2}, nil},
		{"email", store.Identity{CustomerID: a, Kind: store.KindEmail, Value: "ann@example.com", Source: "shop", FirstSeen: t2}, nil},
		{"again for the same customer", store.Identity{CustomerID: a, Kind: store.KindExternalID, Namespace: "crm", Value: "17", Source: "pos", FirstSeen: t3}, nil},
		{"held by another customer", store.Identity{CustomerID: b, Kind: store.KindEmail, Value: "ann@example.com", Source: "crm", FirstSeen: t3}, store.ErrConflict},
		{"external id held by another customer", store.Identity{CustomerID: a, Kind: store.KindExternalID, Namespace: "shop", Value: "17", Source: "shop", FirstSeen: t3}, store.ErrConflict},
		{"phone", store.Identity{CustomerID: b, Kind: store.KindPhone, Value: "+33612345678", Source: "crm", FirstSeen: t3}, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := s.Update(ctx, func(tx store.Tx) error { return tx.AddIdentity(ctx, st.id) })
			wantErr(t, "AddIdentity", err, st.want)
		})
	}

	finds := []struct {
		kind, ns, value string
		want            int64
		ok              bool
	}{
		{store.KindExternalID, "crm", "17", a, true},
		{store.KindExternalID, "shop", "17", b, true},
		{store.KindExternalID, "pos", "17", 0, false},
		{store.KindEmail, "", "ann@example.com", a, true},
		{store.KindEmail, "", "bob@example.com", 0, false},
		{store.KindPhone, "", "+33612345678", b, true},
		{store.KindPhone, "", "ann@example.com", 0, false},
	}
	for _, f := range finds {
		id, ok, err := s.FindIdentity(ctx, f.kind, f.ns, f.value)
		if err != nil || id != f.want || ok != f.ok {
			t.Errorf("FindIdentity(%q, %q, %q) = %d, %v, %v; want %d, %v, nil",
				f.kind, f.ns, f.value, id, ok, err, f.want, f.ok)
		}
	}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, f := range finds {
			id, ok, err := tx.FindIdentity(ctx, f.kind, f.ns, f.value)
			if err != nil || id != f.want || ok != f.ok {
				t.Errorf("tx FindIdentity(%q, %q, %q) = %d, %v, %v; want %d, %v, nil",
					f.kind, f.ns, f.value, id, ok, err, f.want, f.ok)
			}
		}
		return nil
	})

	equal(t, "identities of a", sortIdentities(must[[]store.Identity](t, "identities")(s.Identities(ctx, a))), []store.Identity{
		{CustomerID: a, Kind: store.KindEmail, Value: "ann@example.com", Source: "shop", FirstSeen: t2},
		{CustomerID: a, Kind: store.KindExternalID, Namespace: "crm", Value: "17", Source: "crm", FirstSeen: t1},
	})
	equal(t, "identities of b", sortIdentities(must[[]store.Identity](t, "identities")(s.Identities(ctx, b))), []store.Identity{
		{CustomerID: b, Kind: store.KindExternalID, Namespace: "shop", Value: "17", Source: "shop", FirstSeen: t2},
		{CustomerID: b, Kind: store.KindPhone, Value: "+33612345678", Source: "crm", FirstSeen: t3},
	})
}

// mergeFixture sets up survivor S, merged M (which absorbed A earlier) and
// an unrelated X, each with identities, observations, attributes, consents,
// orders and events.
type mergeFixture struct {
	s, m, a, x     int64
	sOrder, mOrder int64
	first, second  store.Merge
}

func newMergeFixture(t *testing.T, s store.Store) mergeFixture {
	c := newCustomers(t, s, t0, t1, t2, t3)
	f := mergeFixture{s: c[0], m: c[1], a: c[2], x: c[3]}
	f.first = store.Merge{Survivor: f.m, Merged: f.a, Kind: store.KindExternalID, Namespace: "shop",
		Value: "A1", Source: "shop", At: t3}
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		ids := []store.Identity{
			{CustomerID: f.s, Kind: store.KindEmail, Value: "s@example.com", Source: "crm", FirstSeen: t0},
			{CustomerID: f.m, Kind: store.KindExternalID, Namespace: "crm", Value: "M1", Source: "crm", FirstSeen: t1},
			{CustomerID: f.m, Kind: store.KindEmail, Value: "m@example.com", Source: "shop", FirstSeen: t1},
			{CustomerID: f.a, Kind: store.KindExternalID, Namespace: "shop", Value: "A1", Source: "shop", FirstSeen: t2},
			{CustomerID: f.x, Kind: store.KindEmail, Value: "x@example.com", Source: "crm", FirstSeen: t3},
		}
		for _, id := range ids {
			if err := tx.AddIdentity(ctx, id); err != nil {
				return err
			}
		}
		obs := []store.Observation{
			{CustomerID: f.s, Name: "email", Value: "s@example.com", Source: "crm", ObservedAt: t1, Valid: true},
			{CustomerID: f.s, Name: "city", Value: "Paris", Source: "crm", ObservedAt: t2, Valid: true},
			{CustomerID: f.s, Name: "country", Value: "FR", Source: "crm", ObservedAt: t3, Valid: true},
			{CustomerID: f.s, Name: "zip", Value: "75001", Source: "crm", ObservedAt: t2, Valid: true},
			{CustomerID: f.m, Name: "email", Value: "m@example.com", Source: "shop", ObservedAt: t1, Valid: true},
			{CustomerID: f.m, Name: "city", Value: "Lyon", Source: "crm", ObservedAt: t3, Valid: true},
			{CustomerID: f.m, Name: "country", Value: "DE", Source: "crm", ObservedAt: t2, Valid: true},
			{CustomerID: f.m, Name: "zip", Value: "69001", Source: "crm", ObservedAt: t2, Valid: true},
			{CustomerID: f.m, Name: "name", Value: "??", Source: "crm", ObservedAt: t1, Problem: "not a name"},
			{CustomerID: f.x, Name: "city", Value: "Nice", Source: "crm", ObservedAt: t1, Valid: true},
		}
		for _, o := range obs {
			if _, err := tx.PutObservation(ctx, o); err != nil {
				return err
			}
		}
		attrs := []store.Attribute{
			{CustomerID: f.s, Name: "city", Value: "Paris", Source: "crm", ObservedAt: t2, Rule: "latest"},
			{CustomerID: f.s, Name: "country", Value: "FR", Source: "crm", ObservedAt: t3, Rule: "priority"},
			{CustomerID: f.s, Name: "zip", Value: "75001", Source: "crm", ObservedAt: t2, Rule: "latest"},
			{CustomerID: f.m, Name: "city", Value: "Lyon", Source: "crm", ObservedAt: t3, Rule: "latest"},
			{CustomerID: f.m, Name: "country", Value: "DE", Source: "crm", ObservedAt: t2, Rule: "priority"},
			{CustomerID: f.m, Name: "zip", Value: "69001", Source: "crm", ObservedAt: t2, Rule: "latest"},
			{CustomerID: f.m, Name: "gender", Value: "f", Source: "shop", ObservedAt: t1, Rule: "latest"},
		}
		for _, a := range attrs {
			if err := tx.PutAttribute(ctx, a); err != nil {
				return err
			}
		}
		consents := []store.Consent{
			{CustomerID: f.s, Channel: "email", Status: store.ConsentOptIn, At: t1, Source: "crm"},
			{CustomerID: f.s, Channel: "push", Status: store.ConsentOptIn, At: t3, Source: "app"},
			{CustomerID: f.s, Channel: "call", Status: store.ConsentOptIn, At: t2, Source: "crm"},
			{CustomerID: f.m, Channel: "email", Status: store.ConsentOptOut, At: t2, Source: "shop"},
			{CustomerID: f.m, Channel: "push", Status: store.ConsentOptOut, At: t2, Source: "app"},
			{CustomerID: f.m, Channel: "call", Status: store.ConsentOptOut, At: t2, Source: "shop"},
			{CustomerID: f.m, Channel: "sms", Status: store.ConsentOptIn, At: t1, Source: "shop"},
		}
		for _, c := range consents {
			if _, err := tx.PutConsent(ctx, c); err != nil {
				return err
			}
		}
		var err error
		amounts := map[string]float64{"A": 10, "B": 2.5}
		if f.sOrder, err = putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "S-1", CustomerID: f.s, PlacedAt: t2, Kind: store.OrderSale}, amounts, "A"); err != nil {
			return err
		}
		if f.mOrder, err = putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "M-1", CustomerID: f.m, PlacedAt: t1, Kind: store.OrderSale}, amounts, "A", "B"); err != nil {
			return err
		}
		if _, err = putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "X-1", CustomerID: f.x, PlacedAt: t1, Kind: store.OrderSale}, amounts, "B"); err != nil {
			return err
		}
		events := []store.Event{
			{ID: 101, Source: "web", CustomerID: f.m, Type: store.EventView, At: t1, ItemID: "A"},
			{ID: 102, Source: "web", CustomerID: f.s, Type: store.EventCartAdd, At: t2, ItemID: "B", Value: 2.5},
			{ID: 103, Source: "web", CustomerID: f.a, Type: store.EventLogin, At: t0},
			{ID: 104, Source: "web", CustomerID: f.x, Type: store.EventLogin, At: t0},
		}
		if _, err := tx.PutEvents(ctx, events); err != nil {
			return err
		}
		return tx.MergeCustomers(ctx, f.first)
	})
	f.second = store.Merge{Survivor: f.s, Merged: f.m, Kind: store.KindEmail, Value: "m@example.com", Source: "shop", At: t4}
	update(t, s, func(ctx context.Context, tx store.Tx) error { return tx.MergeCustomers(ctx, f.second) })
	return f
}

func testMerge(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newMergeFixture(t, s)

	customers := []store.Customer{
		{ID: f.s, CreatedAt: t0},
		{ID: f.m, CreatedAt: t1, MergedInto: f.s},
		{ID: f.a, CreatedAt: t2, MergedInto: f.s}, // merged earlier into m, now points to s
		{ID: f.x, CreatedAt: t3},
	}
	for _, c := range customers {
		equal(t, "customer", must[store.Customer](t, "customer")(s.Customer(ctx, c.ID)), c)
	}

	finds := []struct {
		kind, ns, value string
		want            int64
	}{
		{store.KindEmail, "", "s@example.com", f.s},
		{store.KindExternalID, "crm", "M1", f.s},
		{store.KindEmail, "", "m@example.com", f.s},
		{store.KindExternalID, "shop", "A1", f.s},
		{store.KindEmail, "", "x@example.com", f.x},
	}
	for _, fi := range finds {
		id, ok, err := s.FindIdentity(ctx, fi.kind, fi.ns, fi.value)
		if err != nil || !ok || id != fi.want {
			t.Errorf("FindIdentity(%q, %q, %q) = %d, %v, %v; want %d, true, nil", fi.kind, fi.ns, fi.value, id, ok, err, fi.want)
		}
	}

	equal(t, "identities of s", sortIdentities(must[[]store.Identity](t, "identities")(s.Identities(ctx, f.s))), []store.Identity{
		{CustomerID: f.s, Kind: store.KindEmail, Value: "m@example.com", Source: "shop", FirstSeen: t1},
		{CustomerID: f.s, Kind: store.KindEmail, Value: "s@example.com", Source: "crm", FirstSeen: t0},
		{CustomerID: f.s, Kind: store.KindExternalID, Namespace: "crm", Value: "M1", Source: "crm", FirstSeen: t1},
		{CustomerID: f.s, Kind: store.KindExternalID, Namespace: "shop", Value: "A1", Source: "shop", FirstSeen: t2},
	})
	equal(t, "merges of s", must[[]store.Merge](t, "merges")(s.Merges(ctx, f.s)), []store.Merge{f.second})
	equal(t, "merges of m", must[[]store.Merge](t, "merges")(s.Merges(ctx, f.m)), []store.Merge{f.first})

	equal(t, "observations of s", sortObservations(must[[]store.Observation](t, "observations")(s.Observations(ctx, f.s, ""))), []store.Observation{
		{CustomerID: f.s, Name: "city", Value: "Lyon", Source: "crm", ObservedAt: t3, Valid: true},  // newer from m
		{CustomerID: f.s, Name: "country", Value: "FR", Source: "crm", ObservedAt: t3, Valid: true}, // s newer
		{CustomerID: f.s, Name: "email", Value: "s@example.com", Source: "crm", ObservedAt: t1, Valid: true},
		{CustomerID: f.s, Name: "email", Value: "m@example.com", Source: "shop", ObservedAt: t1, Valid: true},
		{CustomerID: f.s, Name: "name", Value: "??", Source: "crm", ObservedAt: t1, Problem: "not a name"},
		{CustomerID: f.s, Name: "zip", Value: "75001", Source: "crm", ObservedAt: t2, Valid: true}, // tie keeps s
	})
	equal(t, "attributes of s", sortAttributes(must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, f.s))), []store.Attribute{
		{CustomerID: f.s, Name: "city", Value: "Lyon", Source: "crm", ObservedAt: t3, Rule: "latest"},
		{CustomerID: f.s, Name: "country", Value: "FR", Source: "crm", ObservedAt: t3, Rule: "priority"},
		{CustomerID: f.s, Name: "gender", Value: "f", Source: "shop", ObservedAt: t1, Rule: "latest"},
		{CustomerID: f.s, Name: "zip", Value: "75001", Source: "crm", ObservedAt: t2, Rule: "latest"},
	})
	equal(t, "consents of s", sortConsents(must[[]store.Consent](t, "consents")(s.Consents(ctx, f.s))), []store.Consent{
		{CustomerID: f.s, Channel: "call", Status: store.ConsentOptIn, At: t2, Source: "crm"},
		{CustomerID: f.s, Channel: "email", Status: store.ConsentOptOut, At: t2, Source: "shop"},
		{CustomerID: f.s, Channel: "push", Status: store.ConsentOptIn, At: t3, Source: "app"},
		{CustomerID: f.s, Channel: "sms", Status: store.ConsentOptIn, At: t1, Source: "shop"},
	})
	equal(t, "orders of s", must[[]store.Order](t, "orders")(s.Orders(ctx, f.s, time.Time{}, 0)), []store.Order{
		{ID: f.sOrder, Source: "shop", ExtID: "S-1", CustomerID: f.s, PlacedAt: t2, Kind: store.OrderSale},
		{ID: f.mOrder, Source: "shop", ExtID: "M-1", CustomerID: f.s, PlacedAt: t1, Kind: store.OrderSale},
	})
	equal(t, "events of s", must[[]store.Event](t, "events")(s.Events(ctx, f.s, time.Time{}, 0)), []store.Event{
		{ID: 102, Source: "web", CustomerID: f.s, Type: store.EventCartAdd, At: t2, ItemID: "B", Value: 2.5},
		{ID: 101, Source: "web", CustomerID: f.s, Type: store.EventView, At: t1, ItemID: "A"},
		{ID: 103, Source: "web", CustomerID: f.s, Type: store.EventLogin, At: t0},
	})
	equal(t, "order summary of s", must[store.OrderSummary](t, "summary")(s.OrderSummary(ctx, f.s, time.Time{})), store.OrderSummary{
		Orders: 2, Lines: 3, Revenue: 22.5, FirstOrder: t1, LastOrder: t2,
	})

	for _, id := range []int64{f.m, f.a} {
		if got := must[[]store.Identity](t, "identities")(s.Identities(ctx, id)); len(got) != 0 {
			t.Errorf("identities of merged %d: %v, want none", id, got)
		}
		if got := must[[]store.Observation](t, "observations")(s.Observations(ctx, id, "")); len(got) != 0 {
			t.Errorf("observations of merged %d: %v, want none", id, got)
		}
		if got := must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, id)); len(got) != 0 {
			t.Errorf("attributes of merged %d: %v, want none", id, got)
		}
		if got := must[[]store.Consent](t, "consents")(s.Consents(ctx, id)); len(got) != 0 {
			t.Errorf("consents of merged %d: %v, want none", id, got)
		}
		if got := must[[]store.Order](t, "orders")(s.Orders(ctx, id, time.Time{}, 0)); len(got) != 0 {
			t.Errorf("orders of merged %d: %v, want none", id, got)
		}
		if got := must[[]store.Event](t, "events")(s.Events(ctx, id, time.Time{}, 0)); len(got) != 0 {
			t.Errorf("events of merged %d: %v, want none", id, got)
		}
	}
	equal(t, "observations of x", must[[]store.Observation](t, "observations")(s.Observations(ctx, f.x, "")), []store.Observation{
		{CustomerID: f.x, Name: "city", Value: "Nice", Source: "crm", ObservedAt: t1, Valid: true},
	})
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{
		Customers: 2, Orders: 3, OrderLines: 4, Events: 4,
	})
}

func testMergeErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	f := newMergeFixture(t, s)
	cases := []struct {
		name string
		m    store.Merge
		want error
	}{
		{"into itself", store.Merge{Survivor: f.x, Merged: f.x, Kind: store.KindEmail, Value: "x@example.com", At: t5}, store.ErrConflict},
		{"already merged", store.Merge{Survivor: f.x, Merged: f.m, Kind: store.KindEmail, Value: "x@example.com", At: t5}, store.ErrConflict},
		{"into a merged customer", store.Merge{Survivor: f.m, Merged: f.x, Kind: store.KindEmail, Value: "x@example.com", At: t5}, store.ErrConflict},
		{"unknown merged", store.Merge{Survivor: f.x, Merged: 1 << 40, Kind: store.KindEmail, Value: "x@example.com", At: t5}, store.ErrNotFound},
		{"unknown survivor", store.Merge{Survivor: 1 << 40, Merged: f.x, Kind: store.KindEmail, Value: "x@example.com", At: t5}, store.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Update(ctx, func(tx store.Tx) error { return tx.MergeCustomers(ctx, c.m) })
			wantErr(t, "MergeCustomers", err, c.want)
		})
	}
	equal(t, "x", must[store.Customer](t, "customer")(s.Customer(ctx, f.x)), store.Customer{ID: f.x, CreatedAt: t3})
	equal(t, "merges of x", must[[]store.Merge](t, "merges")(s.Merges(ctx, f.x)), []store.Merge(nil))
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)).Customers, int64(2))
}

func testObservation(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	city := func(value, source string, at time.Time) store.Observation {
		return store.Observation{CustomerID: c[0], Name: "city", Value: value, Source: source, ObservedAt: at, Valid: true}
	}
	invalid := city("???", "crm", t3)
	invalid.Valid, invalid.Problem = false, "not a city"
	steps := []struct {
		name string
		o    store.Observation
		want bool
	}{
		{"first value", city("Paris", "crm", t1), true},
		{"same again", city("Paris", "crm", t1), false},
		{"older from the same source", city("Lyon", "crm", t0), false},
		{"newer", city("Lyon", "crm", t2), true},
		{"same instant, other value", city("Nice", "crm", t2), true},
		{"same instant, same value", city("Nice", "crm", t2), false},
		{"newer, same value", city("Nice", "crm", t3), true},
		{"other source, older", city("Marseille", "shop", t0), true},
		{"invalid value, same instant", invalid, true},
		{"invalid again", invalid, false},
		{"other attribute", store.Observation{CustomerID: c[0], Name: "email", Value: "a@b.example", Source: "crm", ObservedAt: t1, Valid: true}, true},
		{"other customer", store.Observation{CustomerID: c[1], Name: "city", Value: "Paris", Source: "crm", ObservedAt: t0, Valid: true}, true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				changed, err := tx.PutObservation(ctx, st.o)
				if err != nil {
					return err
				}
				if changed != st.want {
					t.Errorf("PutObservation(%+v) changed = %v, want %v", st.o, changed, st.want)
				}
				return nil
			})
		})
	}
	cases := []struct {
		customer int64
		name     string
		want     []store.Observation
	}{
		{c[0], "city", []store.Observation{invalid, city("Marseille", "shop", t0)}},
		{c[0], "", []store.Observation{invalid, city("Marseille", "shop", t0),
			{CustomerID: c[0], Name: "email", Value: "a@b.example", Source: "crm", ObservedAt: t1, Valid: true}}},
		{c[0], "zip", nil},
		{c[1], "", []store.Observation{{CustomerID: c[1], Name: "city", Value: "Paris", Source: "crm", ObservedAt: t0, Valid: true}}},
	}
	for _, cs := range cases {
		got := must[[]store.Observation](t, "observations")(s.Observations(ctx, cs.customer, cs.name))
		equal(t, "observations "+cs.name, sortObservations(got), cs.want)
	}
}

func testAttribute(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	attr := func(name, value, source string, at time.Time, rule string) store.Attribute {
		return store.Attribute{CustomerID: c[0], Name: name, Value: value, Source: source, ObservedAt: at, Rule: rule}
	}
	steps := []struct {
		name   string
		put    *store.Attribute
		delete string
		want   []store.Attribute
	}{
		{"put", ptr(attr("city", "Paris", "crm", t1, "latest")), "", []store.Attribute{attr("city", "Paris", "crm", t1, "latest")}},
		{"replace with an older value", ptr(attr("city", "Lyon", "shop", t0, "priority")), "", []store.Attribute{attr("city", "Lyon", "shop", t0, "priority")}},
		{"another", ptr(attr("country", "FR", "crm", t2, "priority")), "", []store.Attribute{
			attr("city", "Lyon", "shop", t0, "priority"), attr("country", "FR", "crm", t2, "priority")}},
		{"delete", nil, "city", []store.Attribute{attr("country", "FR", "crm", t2, "priority")}},
		{"delete missing", nil, "zip", []store.Attribute{attr("country", "FR", "crm", t2, "priority")}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				if st.put != nil {
					return tx.PutAttribute(ctx, *st.put)
				}
				return tx.DeleteAttribute(ctx, c[0], st.delete)
			})
			equal(t, "attributes", sortAttributes(must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, c[0]))), st.want)
		})
	}
	equal(t, "attributes of the other customer", must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, c[1])), []store.Attribute(nil))
}

func testConsent(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0)[0]
	consent := func(channel, status string, at time.Time, source string) store.Consent {
		return store.Consent{CustomerID: c, Channel: channel, Status: status, At: at, Source: source}
	}
	steps := []struct {
		name string
		c    store.Consent
		want bool
	}{
		{"first decision", consent("email", store.ConsentOptIn, t1, "crm"), true},
		{"same again", consent("email", store.ConsentOptIn, t1, "crm"), false},
		{"older", consent("email", store.ConsentOptOut, t0, "shop"), false},
		{"same instant", consent("email", store.ConsentOptOut, t1, "shop"), false},
		{"newer", consent("email", store.ConsentOptOut, t2, "shop"), true},
		{"newer, same status", consent("email", store.ConsentOptOut, t3, "crm"), true},
		{"other channel", consent("sms", store.ConsentOptIn, t0, "crm"), true},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				changed, err := tx.PutConsent(ctx, st.c)
				if err != nil {
					return err
				}
				if changed != st.want {
					t.Errorf("PutConsent(%+v) changed = %v, want %v", st.c, changed, st.want)
				}
				return nil
			})
		})
	}
	equal(t, "consents", sortConsents(must[[]store.Consent](t, "consents")(s.Consents(ctx, c))), []store.Consent{
		consent("email", store.ConsentOptOut, t3, "crm"),
		consent("sms", store.ConsentOptIn, t0, "crm"),
	})
}

func ptr[T any](v T) *T { return &v }
