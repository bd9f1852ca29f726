package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func day(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }

type fixture struct {
	t   *testing.T
	st  store.Store
	res *identity.Resolver
}

func newFixture(t *testing.T, p identity.Policy) *fixture {
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	res := identity.NewResolver(p)
	res.Now = func() time.Time { return day(28) }
	return &fixture{t, st, res}
}

func (f *fixture) resolve(rec identity.Record) identity.Outcome {
	f.t.Helper()
	var out identity.Outcome
	err := f.st.Update(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = f.res.Resolve(context.Background(), tx, rec)
		return err
	})
	if err != nil {
		f.t.Fatalf("resolve %+v: %v", rec, err)
	}
	return out
}

func (f *fixture) attr(id int64, name string) store.Attribute {
	f.t.Helper()
	attrs, err := f.st.Attributes(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range attrs {
		if a.Name == name {
			return a
		}
	}
	return store.Attribute{}
}

func TestLinkAndMerge(t *testing.T) {
	f := newFixture(t, identity.DefaultPolicy())
	crm := f.resolve(identity.Record{Source: "crm", ExternalID: "C1", Email: "Ana.Li@Example.com", At: day(1)})
	pos := f.resolve(identity.Record{Source: "pos", ExternalID: "P9", Phone: "+44 7700 900123", At: day(2)})
	if !crm.Created || !pos.Created || crm.CustomerID == pos.CustomerID {
		t.Fatalf("two unrelated records should make two customers: %+v %+v", crm, pos)
	}
	// The shop knows both the e-mail (other case, spaces) and the phone (other format): one person.
	shop := f.resolve(identity.Record{Source: "shop", ExternalID: "S5", Email: "  ana.li@EXAMPLE.com ", Phone: "0044-7700-900123", At: day(3)})
	if shop.Created || shop.CustomerID != crm.CustomerID || len(shop.Merges) != 1 {
		t.Fatalf("shop record should merge into the oldest customer %d: %+v", crm.CustomerID, shop)
	}
	m := shop.Merges[0]
	if m.Survivor != crm.CustomerID || m.Merged != pos.CustomerID || m.Kind != store.KindPhone || m.Value != "447700900123" || m.Source != "shop" {
		t.Errorf("merge %+v: want pos customer merged by phone 447700900123 seen in shop", m)
	}
	ctx := context.Background()
	for _, k := range []struct{ kind, ns, value string }{
		{store.KindExternalID, "crm", "C1"}, {store.KindExternalID, "pos", "P9"}, {store.KindExternalID, "shop", "S5"},
		{store.KindEmail, "", "ana.li@example.com"}, {store.KindPhone, "", "447700900123"},
	} {
		id, ok, err := f.st.FindIdentity(ctx, k.kind, k.ns, k.value)
		if err != nil || !ok || id != crm.CustomerID {
			t.Errorf("identity %v -> %d %v %v, want %d", k, id, ok, err, crm.CustomerID)
		}
	}
	c, err := f.st.Customer(ctx, pos.CustomerID)
	if err != nil || c.MergedInto != crm.CustomerID {
		t.Errorf("merged customer %+v %v: want merged into %d", c, err, crm.CustomerID)
	}
	if s, _ := f.st.Stats(ctx); s.Customers != 1 {
		t.Errorf("customers = %d, want 1", s.Customers)
	}
	// Re-resolving the same record changes nothing.
	again := f.resolve(identity.Record{Source: "shop", ExternalID: "S5", Email: "ana.li@example.com", Phone: "+447700900123", At: day(3)})
	if again.Changed || again.Created || len(again.Merges) > 0 {
		t.Errorf("same record again: %+v, want no change", again)
	}
}

func TestFieldPolicy(t *testing.T) {
	p := identity.DefaultPolicy().WithPriority("name", "crm", "shop")
	f := newFixture(t, p)
	a := f.resolve(identity.Record{Source: "shop", ExternalID: "S1", At: day(5),
		Attrs: map[string]string{"name": "ana li", "city": "Leeds", "birth_date": "1990-02-03"}})
	id := a.CustomerID
	f.resolve(identity.Record{Source: "crm", ExternalID: "S1x", Email: "x@y.org", At: day(1)}) // unrelated
	// The CRM is trusted for names even with an older record; the latest city wins.
	f.resolve(identity.Record{Source: "shop", ExternalID: "S1", At: day(6), Attrs: map[string]string{"city": "York"}})
	crm := f.resolve(identity.Record{Source: "crm", ExternalID: "C1", Email: "ana@li.org", At: day(2),
		Attrs: map[string]string{"name": "Ana Li", "city": "Hull"}})
	f.resolve(identity.Record{Source: "shop", ExternalID: "S1", Email: "ana@li.org", At: day(6)})
	if crm.CustomerID == id {
		t.Fatal("setup: the crm record should start as its own customer")
	}
	if got := f.attr(id, "name"); got.Value != "Ana Li" || got.Source != "crm" || got.Rule != "priority(crm>shop)" {
		t.Errorf("name = %+v, want Ana Li from crm by priority", got)
	}
	if got := f.attr(id, "city"); got.Value != "York" || got.Source != "shop" || !got.ObservedAt.Equal(day(6)) {
		t.Errorf("city = %+v, want York from shop, the latest", got)
	}
	// An invalid value never overwrites a valid one and is reported.
	bad := f.resolve(identity.Record{Source: "shop", ExternalID: "S1", At: day(9),
		Attrs: map[string]string{"birth_date": "2090-01-01"}, Email: "not-an-address"})
	if len(bad.Problems) != 2 {
		t.Errorf("problems %v, want the birth date and the e-mail", bad.Problems)
	}
	if got := f.attr(id, "birth_date"); got.Value != "1990-02-03" {
		t.Errorf("birth_date = %+v, want the valid 1990-02-03 kept", got)
	}
	if got := f.attr(id, "email"); got.Value != "ana@li.org" {
		t.Errorf("email = %+v, want ana@li.org kept", got)
	}
}

func TestNoIdentity(t *testing.T) {
	f := newFixture(t, identity.DefaultPolicy())
	err := f.st.Update(context.Background(), func(tx store.Tx) error {
		_, err := f.res.Resolve(context.Background(), tx, identity.Record{Source: "x", Email: "nope", Phone: "12"})
		return err
	})
	if err != identity.ErrNoIdentity {
		t.Errorf("err = %v, want ErrNoIdentity", err)
	}
}

func TestNormalize(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{" A@B.co ", "a@b.co"}, {"a@b", ""}, {"@b.co", ""}, {"a@@b.co", ""}, {"a b@c.de", ""}, {"a@b.", ""},
	} {
		got, _ := identity.NormalizeEmail(tt.in)
		if got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"+44 7700 900123", "447700900123"}, {"0044-7700-900123", "447700900123"}, {"(020) 7946.0018", "02079460018"},
		{"+44 (0)20 7946 0000", "442079460000"}, {"0044 (0)20 7946 0000", "442079460000"}, {"(0)20 7946 0000", "02079460000"},
		{"123", ""}, {"+44 7700 9OO123", ""}, {"1234567890123456", ""},
	} {
		got, _ := identity.NormalizePhone(tt.in)
		if got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"a@b.co", "+44 7700 900123", "", "@", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := identity.NormalizeEmail(s); err == nil {
			if e2, err := identity.NormalizeEmail(e); err != nil || e2 != e {
				t.Errorf("e-mail normalization not idempotent: %q -> %q -> %q %v", s, e, e2, err)
			}
		}
		if p, err := identity.NormalizePhone(s); err == nil {
			if p2, err := identity.NormalizePhone(p); err != nil || p2 != p {
				t.Errorf("phone normalization not idempotent: %q -> %q -> %q %v", s, p, p2, err)
			}
		}
	})
}
