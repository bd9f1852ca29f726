package profile_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture loads two customers of crm and one of shop, then a shop record
// that merges shop's customer into crm's second, and orders and events of
// the first.
type fixture struct {
	st               store.Store
	ann, bob, merged int64
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := identity.NewResolver(identity.DefaultPolicy())
	r.Now = func() time.Time { return at("2012-01-01T00:00:00Z") }
	load := func(b ingest.Batch) {
		t.Helper()
		res, err := ingest.NewLoader(st, r).Load(ctx, &b)
		if err != nil || res.Rejected != 0 {
			t.Fatalf("load: %v %+v", err, res.Rejects)
		}
	}
	load(ingest.Batch{Customers: []ingest.CustomerRecord{
		{Source: "crm", ID: "c1", Email: "Ann@Example.com", Phone: "+44 7700 900123", Updated: at("2011-01-01T00:00:00Z"),
			Attrs: map[string]string{"gender": "f", "birth_date": "yesterday"}, Consent: map[string]string{"email": store.ConsentOptIn}},
		{Source: "crm", ID: "c2", Email: "bob@example.com", Updated: at("2011-01-01T00:00:00Z")},
		{Source: "shop", ID: "s2", Phone: "+1 555 010 0200", Updated: at("2011-01-02T00:00:00Z")},
	}})
	f := fixture{st: st}
	for _, c := range []struct {
		ns, id string
		to     *int64
	}{{"crm", "c1", &f.ann}, {"crm", "c2", &f.bob}, {"shop", "s2", &f.merged}} {
		id, ok, err := st.FindIdentity(ctx, store.KindExternalID, c.ns, c.id)
		if err != nil || !ok {
			t.Fatalf("find %s:%s: %v %v", c.ns, c.id, ok, err)
		}
		*c.to = id
	}
	load(ingest.Batch{Customers: []ingest.CustomerRecord{{Source: "shop", ID: "s2", Email: "bob@example.com",
		Updated: at("2011-03-01T00:00:00Z")}}})
	var lines []ingest.OrderLineRecord
	var events []ingest.EventRecord
	for i := range 25 { // one order a month, an event a week
		placed := at("2010-01-01T10:00:00Z").AddDate(0, i, 0)
		lines = append(lines, ingest.OrderLineRecord{Source: "crm", Order: "o" + strconv.Itoa(i), Customer: "c1", Time: placed,
			Kind: store.OrderSale, Item: "mug", Quantity: 2, UnitPrice: 5, Amount: 10})
		for j := range 4 {
			events = append(events, ingest.EventRecord{Source: "web", ID: strconv.Itoa(i*4 + j), Email: "ann@example.com", Type: store.EventView,
				Time: placed.AddDate(0, 0, 7*j), Item: "mug"})
		}
	}
	lines = append(lines, ingest.OrderLineRecord{Source: "crm", Order: "r1", Customer: "c1", Time: at("2010-02-15T00:00:00Z"),
		Kind: store.OrderReturn, RefOrder: "o1", Item: "mug", Quantity: -1, UnitPrice: 5, Amount: -5})
	load(ingest.Batch{Lines: lines, Events: events})
	return f
}

func TestLookup(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		ref  string
		want int64
		err  error
	}{
		{strconv.FormatInt(f.ann, 10), f.ann, nil},
		{"email:ANN@example.com", f.ann, nil},
		{" ann@example.com ", f.ann, nil},
		{"phone:+44 7700 900123", f.ann, nil},
		{"phone:0044 (7700) 900-123", f.ann, nil},
		{"+447700900123", f.ann, nil},
		{"crm:c1", f.ann, nil},
		{"crm:c2", f.bob, nil},
		{"shop:s2", f.bob, nil},
		{"phone:+1 555 010 0200", f.bob, nil},
		{strconv.FormatInt(f.merged, 10), f.bob, nil},
		{"999999", 0, store.ErrNotFound},
		{"0", 0, profile.ErrBadRef},
		{"crm:c404", 0, store.ErrNotFound},
		{"C1:c1", 0, store.ErrNotFound}, // sources are case-sensitive
		{"nobody@example.com", 0, store.ErrNotFound},
		{"phone:+44 7700 900999", 0, store.ErrNotFound},
		{"email:nobody", 0, identity.ErrInvalidEmail},
		{"phone:call me", 0, identity.ErrInvalidPhone},
		{"ann", 0, profile.ErrBadRef},
	} {
		got, err := profile.Lookup(ctx, f.st, c.ref)
		if got != c.want || !errors.Is(err, c.err) || (err == nil) != (c.err == nil) {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", c.ref, got, err, c.want, c.err)
		}
	}
}

func TestBuild(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("merged", func(t *testing.T) {
		p, err := profile.Build(ctx, f.st, f.merged, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		want := []profile.Merge{{Merged: f.merged, Into: f.bob, Kind: store.KindExternalID, Namespace: "shop", Value: "s2",
			Source: "shop", At: at("2011-03-01T00:00:00Z")}}
		if p.ID != f.bob || len(p.MergedFrom) != 1 || p.MergedFrom[0] != want[0] {
			t.Errorf("Build(merged) = id %d, merged_from %+v; want %d, %+v", p.ID, p.MergedFrom, f.bob, want)
		}
		if len(p.Identities) != 4 {
			t.Errorf("identities %+v, want crm:c2, shop:s2, e-mail and phone", p.Identities)
		}
	})

	t.Run("all", func(t *testing.T) {
		p, err := profile.Build(ctx, f.st, f.ann, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.RecentOrders) == 0 || len(p.RecentEvents) == 0 {
			t.Fatalf("no recent orders or events: %+v", p)
		}
		if len(p.RecentOrders) != profile.RecentOrders || p.RecentOrders[0].ExtID != "o24" || p.RecentOrders[0].Lines[0].Item != "mug" {
			t.Errorf("recent orders: %d, first %+v", len(p.RecentOrders), p.RecentOrders[0])
		}
		if len(p.RecentEvents) != profile.RecentEvents || !p.RecentEvents[0].At.Equal(at("2012-01-22T10:00:00Z")) {
			t.Errorf("recent events: %d, first %+v", len(p.RecentEvents), p.RecentEvents[0])
		}
		s := p.OrderSummary
		if s.Orders != 25 || s.Cancellations != 1 || s.Revenue != 250 || s.Refunded != 5 || s.NetRevenue != 245 ||
			!s.FirstOrder.Equal(at("2010-01-01T10:00:00Z")) || !s.LastOrder.Equal(at("2012-01-01T10:00:00Z")) {
			t.Errorf("summary %+v", s)
		}
		if len(p.InvalidValues) != 1 || p.InvalidValues[0].Name != "birth_date" || p.InvalidValues[0].Problem == "" {
			t.Errorf("invalid values %+v, want birth_date", p.InvalidValues)
		}
		attrs := map[string]string{}
		for _, a := range p.Attributes {
			attrs[a.Name] = a.Value + "/" + a.Source + "/" + a.Rule
		}
		if attrs["gender"] != "female/crm/latest" || attrs["email"] != "ann@example.com/crm/latest" || attrs["birth_date"] != "" {
			t.Errorf("attributes %v", attrs)
		}
		if len(p.Consent) != 1 || p.Consent[0].Channel != "email" || p.Consent[0].Status != store.ConsentOptIn {
			t.Errorf("consent %+v", p.Consent)
		}
	})

	t.Run("as of", func(t *testing.T) {
		p, err := profile.Build(ctx, f.st, f.ann, at("2010-03-01T10:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		s := p.OrderSummary
		if s.Orders != 3 || s.Cancellations != 1 || !s.LastOrder.Equal(at("2010-03-01T10:00:00Z")) {
			t.Errorf("summary as of 2010-03-01: %+v, want 3 orders (at or before) and the return", s)
		}
		if len(p.RecentOrders) != 4 || len(p.RecentEvents) != 9 {
			t.Errorf("as of 2010-03-01: %d orders, %d events; want 4 and 9", len(p.RecentOrders), len(p.RecentEvents))
		}
	})

	t.Run("json", func(t *testing.T) {
		p, err := profile.Build(ctx, f.st, f.bob, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "created_at", "merged_from", "identities", "attributes", "invalid_values",
			"consent", "order_summary", "recent_orders", "recent_events"} {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON lacks %q: %s", k, b)
			}
		}
		if _, ok := m["as_of"]; ok {
			t.Errorf("as_of shown without one: %s", b)
		}
		for _, k := range []string{"invalid_values", "consent", "recent_orders", "recent_events"} {
			if m[k] == nil {
				t.Errorf("%s is null, want []", k)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		if _, err := profile.Build(ctx, f.st, 1<<40, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Build(unknown) = %v, want ErrNotFound", err)
		}
	})
}
