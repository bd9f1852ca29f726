package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func testStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "empty store", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{})
	c := newCustomers(t, s, t0, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		amounts := map[string]float64{"A": 1, "B": 2}
		orders := []struct {
			o     store.Order
			items []string
		}{
			{store.Order{ExtID: "1", CustomerID: c[0], PlacedAt: t1, Kind: store.OrderSale}, []string{"A", "B"}},
			{store.Order{ExtID: "2", CustomerID: c[2], PlacedAt: t1, Kind: store.OrderSale}, []string{"A"}},
			{store.Order{ExtID: "3", PlacedAt: t1, Kind: store.OrderSale}, []string{"B"}},
			{store.Order{ExtID: "C2", CustomerID: c[2], PlacedAt: t2, Kind: store.OrderCancel}, []string{"A"}},
			{store.Order{ExtID: "4", PlacedAt: t2, Kind: store.OrderReturn}, nil},
		}
		for _, o := range orders {
			o.o.Source = "shop"
			if _, err := putOrder(ctx, tx, o.o, amounts, o.items...); err != nil {
				return err
			}
		}
		for _, it := range []store.Item{{ID: "A", Price: 1}, {ID: "B", Price: 2}, {ID: "A", Price: 1.5}} {
			if _, err := tx.PutItem(ctx, it); err != nil {
				return err
			}
		}
		if _, err := tx.PutEvents(ctx, []store.Event{{ID: 1, CustomerID: c[0], At: t1}, {ID: 2, At: t1}, {ID: 3, CustomerID: c[2], At: t1}}); err != nil {
			return err
		}
		return tx.MergeCustomers(ctx, store.Merge{Survivor: c[0], Merged: c[2], Kind: store.KindEmail, Value: "a@example.com", At: t3})
	})
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{
		Customers: 2, AnonymousOrders: 2, Orders: 5, OrderLines: 5, Events: 3, Items: 2,
	})
}

func testAPIKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	equal(t, "no keys", must[[]store.APIKey](t, "keys")(s.APIKeys(ctx)), []store.APIKey(nil))
	k1 := store.APIKey{ID: "sk_admin1", Hash: "a1b2c3", Role: store.RoleAdmin, Name: "ops", CreatedAt: t1}
	k2 := store.APIKey{ID: "sk_anal01", Hash: "d4e5f6", Role: store.RoleAnalyst, Name: "bi dashboard", CreatedAt: t2}
	steps := []struct {
		name string
		k    store.APIKey
		want error
	}{
		{"first", k1, nil},
		{"second", k2, nil},
		{"same id", store.APIKey{ID: k1.ID, Hash: "ffff", Role: store.RoleOperator, CreatedAt: t3}, store.ErrConflict},
		{"same hash", store.APIKey{ID: "sk_other", Hash: k2.Hash, Role: store.RoleOperator, CreatedAt: t3}, store.ErrConflict},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			wantErr(t, "CreateAPIKey", s.CreateAPIKey(ctx, st.k), st.want)
		})
	}
	equal(t, "key 1", must[store.APIKey](t, "key")(s.APIKey(ctx, k1.Hash)), k1)
	equal(t, "key 2", must[store.APIKey](t, "key")(s.APIKey(ctx, k2.Hash)), k2)
	equal(t, "keys", sortAPIKeys(must[[]store.APIKey](t, "keys")(s.APIKeys(ctx))), []store.APIKey{k1, k2})
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		k, err := tx.APIKey(ctx, k1.Hash)
		equal(t, "key in tx", k, k1)
		return err
	})
	if _, err := s.APIKey(ctx, "ffff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("APIKey(unknown hash): %v, want ErrNotFound", err)
	}
	wantErr(t, "DeleteAPIKey", s.DeleteAPIKey(ctx, k1.ID), nil)
	wantErr(t, "DeleteAPIKey again", s.DeleteAPIKey(ctx, k1.ID), store.ErrNotFound)
	if _, err := s.APIKey(ctx, k1.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("APIKey(deleted): %v, want ErrNotFound", err)
	}
	equal(t, "keys after delete", must[[]store.APIKey](t, "keys")(s.APIKeys(ctx)), []store.APIKey{k2})
	wantErr(t, "CreateAPIKey with a freed id", s.CreateAPIKey(ctx, k1), nil)
}

var errBoom = errors.New("boom")

func testUpdateRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	kept := newCustomers(t, s, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.AddIdentity(ctx, store.Identity{CustomerID: kept[1], Kind: store.KindEmail, Value: "kept@example.com", FirstSeen: t0})
	})
	before := must[store.Stats](t, "stats")(s.Stats(ctx))
	var created int64
	writeAll := func(ctx context.Context, tx store.Tx) error {
		id, err := tx.NewCustomer(ctx, t1)
		if err != nil {
			return err
		}
		created = id
		if err := tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindEmail, Value: "gone@example.com", FirstSeen: t1}); err != nil {
			return err
		}
		if _, err := tx.PutObservation(ctx, store.Observation{CustomerID: kept[0], Name: "city", Value: "Paris", ObservedAt: t1, Valid: true}); err != nil {
			return err
		}
		if err := tx.PutAttribute(ctx, store.Attribute{CustomerID: kept[0], Name: "city", Value: "Paris", ObservedAt: t1}); err != nil {
			return err
		}
		if _, err := tx.PutConsent(ctx, store.Consent{CustomerID: kept[0], Channel: "email", Status: store.ConsentOptIn, At: t1}); err != nil {
			return err
		}
		if _, err := tx.PutItem(ctx, store.Item{ID: "A", Price: 1}); err != nil {
			return err
		}
		if _, err := putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "1", CustomerID: kept[0], PlacedAt: t1, Kind: store.OrderSale},
			map[string]float64{"A": 1}, "A", "A"); err != nil {
			return err
		}
		if _, err := tx.PutEvents(ctx, []store.Event{{ID: 1, CustomerID: kept[0], At: t1}}); err != nil {
			return err
		}
		if _, err := tx.PutOrders(ctx, []*store.Order{{Source: "shop", ExtID: "1"}, {Source: "shop", ExtID: "2", PlacedAt: t1}}); err != nil {
			return err
		}
		if err := tx.PutObservations(ctx, []store.Observation{{CustomerID: kept[0], Name: "zip", Value: "75001", ObservedAt: t1, Valid: true}}); err != nil {
			return err
		}
		if err := tx.PutAttributes(ctx, []store.Attribute{{CustomerID: kept[0], Name: "zip", Value: "75001", ObservedAt: t1}}); err != nil {
			return err
		}
		return tx.MergeCustomers(ctx, store.Merge{Survivor: kept[0], Merged: kept[1], Kind: store.KindEmail, Value: "kept@example.com", At: t1})
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"fn fails", func() error {
			return s.Update(ctx, func(tx store.Tx) error {
				if err := writeAll(ctx, tx); err != nil {
					return err
				}
				return errBoom
			})
		}, errBoom},
		{"fn panics", func() (err error) {
			defer func() {
				if r := recover(); r != errBoom {
					t.Errorf("recovered %v, want the panic of fn", r)
				}
				err = errBoom
			}()
			return s.Update(ctx, func(tx store.Tx) error {
				if err := writeAll(ctx, tx); err != nil {
					return err
				}
				panic(errBoom)
			})
		}, errBoom},
		{"cancelled context", func() error {
			return s.Update(cancelled, func(tx store.Tx) error { return writeAll(cancelled, tx) })
		}, context.Canceled},
	}
	for _, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			created = 0
			wantErr(t, "Update", cs.run(), cs.want)
			equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), before)
			if _, ok, err := s.FindIdentity(ctx, store.KindEmail, "", "gone@example.com"); ok || err != nil {
				t.Errorf("identity of a rolled back update: found %v, err %v", ok, err)
			}
			if id, _, _ := s.FindIdentity(ctx, store.KindEmail, "", "kept@example.com"); id != kept[1] {
				t.Errorf("identity moved by a rolled back merge to %d", id)
			}
			if created != 0 {
				if _, err := s.Customer(ctx, created); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("customer of a rolled back update: %v, want ErrNotFound", err)
				}
			}
			equal(t, "customer", must[store.Customer](t, "customer")(s.Customer(ctx, kept[1])), store.Customer{ID: kept[1], CreatedAt: t0})
			if _, err := s.Item(ctx, "A"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("item of a rolled back update: %v, want ErrNotFound", err)
			}
			for what, n := range map[string]int{
				"observations": len(must[[]store.Observation](t, "observations")(s.Observations(ctx, kept[0], ""))),
				"attributes":   len(must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, kept[0]))),
				"consents":     len(must[[]store.Consent](t, "consents")(s.Consents(ctx, kept[0]))),
				"orders":       len(must[[]store.Order](t, "orders")(s.Orders(ctx, kept[0], time.Time{}, 0))),
				"events":       len(must[[]store.Event](t, "events")(s.Events(ctx, kept[0], time.Time{}, 0))),
				"merges":       len(must[[]store.Merge](t, "merges")(s.Merges(ctx, kept[0]))),
			} {
				if n != 0 {
					t.Errorf("%d %s left by a rolled back update", n, what)
				}
			}
		})
	}
	// The store still works, and the same writes now commit.
	update(t, s, writeAll)
	equal(t, "stats after commit", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{
		Customers: 2, Orders: 2, AnonymousOrders: 1, OrderLines: 2, Events: 1, Items: 1,
	})
}

func testTxVisibility(t *testing.T, s store.Store) {
	ctx := t.Context()
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		id, err := tx.NewCustomer(ctx, t1)
		if err != nil {
			return err
		}
		if err := tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindEmail, Value: "new@example.com", FirstSeen: t1}); err != nil {
			return err
		}
		oid, err := putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "1", CustomerID: id, PlacedAt: t2, Kind: store.OrderSale},
			map[string]float64{"A": 4}, "A")
		if err != nil {
			return err
		}
		if _, err := tx.PutEvents(ctx, []store.Event{{ID: 9, CustomerID: id, At: t2}}); err != nil {
			return err
		}
		if _, err := tx.PutItem(ctx, store.Item{ID: "A", Price: 4}); err != nil {
			return err
		}

		// Visible inside the transaction.
		if got, ok, err := tx.FindIdentity(ctx, store.KindEmail, "", "new@example.com"); err != nil || !ok || got != id {
			t.Errorf("tx FindIdentity = %d, %v, %v; want %d, true, nil", got, ok, err, id)
		}
		if got, err := tx.FindIdentities(ctx, store.KindEmail, "", []string{"new@example.com"}); err != nil || got["new@example.com"] != id {
			t.Errorf("tx FindIdentities = %v, %v; want new@example.com: %d", got, err, id)
		}
		equal(t, "tx customer", must[store.Customer](t, "customer")(tx.Customer(ctx, id)), store.Customer{ID: id, CreatedAt: t1})
		equal(t, "tx orders", len(must[[]store.Order](t, "orders")(tx.Orders(ctx, id, time.Time{}, 0))), 1)
		equal(t, "tx lines", len(must[[]store.OrderLine](t, "lines")(tx.OrderLines(ctx, oid))), 1)
		equal(t, "tx events", len(must[[]store.Event](t, "events")(tx.Events(ctx, id, time.Time{}, 0))), 1)
		equal(t, "tx summary", must[store.OrderSummary](t, "summary")(tx.OrderSummary(ctx, id, time.Time{})),
			store.OrderSummary{Orders: 1, Lines: 1, Revenue: 4, FirstOrder: t2, LastOrder: t2})
		equal(t, "tx stats", must[store.Stats](t, "stats")(tx.Stats(ctx)),
			store.Stats{Customers: 1, Orders: 1, OrderLines: 1, Events: 1, Items: 1})

		// Invisible outside until committed.
		if _, ok, err := s.FindIdentity(ctx, store.KindEmail, "", "new@example.com"); err != nil || ok {
			t.Errorf("store FindIdentity during the update: found %v, err %v", ok, err)
		}
		if got, err := s.FindIdentities(ctx, store.KindEmail, "", []string{"new@example.com"}); err != nil || len(got) != 0 {
			t.Errorf("store FindIdentities during the update: %v, %v; want nothing", got, err)
		}
		if _, err := s.Customer(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("store Customer during the update: %v, want ErrNotFound", err)
		}
		equal(t, "store stats during the update", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{})

		// More writes after reads still count.
		if _, err := tx.NewCustomer(ctx, t3); err != nil {
			return err
		}
		equal(t, "tx stats after more writes", must[store.Stats](t, "stats")(tx.Stats(ctx)).Customers, int64(2))
		return nil
	})
	equal(t, "stats after commit", must[store.Stats](t, "stats")(s.Stats(ctx)),
		store.Stats{Customers: 2, Orders: 1, OrderLines: 1, Events: 1, Items: 1})
}

func testTimestamps(t *testing.T, s store.Store) {
	ctx := t.Context()
	loc := time.FixedZone("UTC+5:30", 5*3600+1800)
	ts := time.Date(2023, 7, 9, 10, 11, 12, 123456789, loc) // sub-microsecond, not UTC
	early := time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)
	var c, m, oid int64
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		if c, err = tx.NewCustomer(ctx, ts); err != nil {
			return err
		}
		if m, err = tx.NewCustomer(ctx, early); err != nil {
			return err
		}
		if err := tx.AddIdentity(ctx, store.Identity{CustomerID: m, Kind: store.KindEmail, Value: "t@example.com", FirstSeen: ts}); err != nil {
			return err
		}
		if _, err := tx.PutObservation(ctx, store.Observation{CustomerID: m, Name: "city", Value: "Pune", ObservedAt: ts, Valid: true}); err != nil {
			return err
		}
		if err := tx.PutAttribute(ctx, store.Attribute{CustomerID: m, Name: "city", Value: "Pune", ObservedAt: ts}); err != nil {
			return err
		}
		if _, err := tx.PutConsent(ctx, store.Consent{CustomerID: m, Channel: "sms", Status: store.ConsentOptIn, At: ts}); err != nil {
			return err
		}
		if _, err := tx.PutItem(ctx, store.Item{ID: "A", UpdatedAt: ts}); err != nil {
			return err
		}
		if oid, err = putOrder(ctx, tx, store.Order{Source: "shop", ExtID: "1", CustomerID: m, PlacedAt: ts, Kind: store.OrderSale},
			map[string]float64{"A": 1}, "A"); err != nil {
			return err
		}
		if _, err := tx.PutEvents(ctx, []store.Event{{ID: 1, CustomerID: m, At: ts}}); err != nil {
			return err
		}
		return tx.MergeCustomers(ctx, store.Merge{Survivor: c, Merged: m, Kind: store.KindEmail, Value: "t@example.com", At: ts})
	})
	if err := s.CreateAPIKey(ctx, store.APIKey{ID: "k", Hash: "h", Role: store.RoleAdmin, CreatedAt: ts}); err != nil {
		t.Fatalf("create api key: %v", err)
	}

	want := ts.Truncate(time.Microsecond)
	got := map[string]time.Time{}
	got["customer.CreatedAt"] = must[store.Customer](t, "customer")(s.Customer(ctx, c)).CreatedAt
	if ids := must[[]store.Identity](t, "identities")(s.Identities(ctx, c)); len(ids) == 1 {
		got["identity.FirstSeen"] = ids[0].FirstSeen
	}
	if ms := must[[]store.Merge](t, "merges")(s.Merges(ctx, c)); len(ms) == 1 {
		got["merge.At"] = ms[0].At
	}
	if obs := must[[]store.Observation](t, "observations")(s.Observations(ctx, c, "city")); len(obs) == 1 {
		got["observation.ObservedAt"] = obs[0].ObservedAt
	}
	if as := must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, c)); len(as) == 1 {
		got["attribute.ObservedAt"] = as[0].ObservedAt
	}
	if cs := must[[]store.Consent](t, "consents")(s.Consents(ctx, c)); len(cs) == 1 {
		got["consent.At"] = cs[0].At
	}
	got["item.UpdatedAt"] = must[store.Item](t, "item")(s.Item(ctx, "A")).UpdatedAt
	if os := must[[]store.Order](t, "orders")(s.Orders(ctx, c, ts, 0)); len(os) == 1 && os[0].ID == oid {
		got["order.PlacedAt"] = os[0].PlacedAt
	}
	if es := must[[]store.Event](t, "events")(s.Events(ctx, c, ts, 0)); len(es) == 1 {
		got["event.At"] = es[0].At
	}
	sum := must[store.OrderSummary](t, "summary")(s.OrderSummary(ctx, c, ts))
	got["summary.FirstOrder"], got["summary.LastOrder"] = sum.FirstOrder, sum.LastOrder
	got["apikey.CreatedAt"] = must[store.APIKey](t, "key")(s.APIKey(ctx, "h")).CreatedAt
	for _, name := range []string{"customer.CreatedAt", "identity.FirstSeen", "merge.At", "observation.ObservedAt",
		"attribute.ObservedAt", "consent.At", "item.UpdatedAt", "order.PlacedAt", "event.At",
		"summary.FirstOrder", "summary.LastOrder", "apikey.CreatedAt"} {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: record missing", name)
		case !g.Equal(want) || g.Location() != time.UTC:
			t.Errorf("%s = %v, want %v in UTC", name, g, want.UTC())
		}
	}
	cm := must[store.Customer](t, "customer")(s.Customer(ctx, m))
	if !cm.CreatedAt.Equal(early) || cm.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt before 1970 = %v, want %v", cm.CreatedAt, early)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0)[0]
	readers := []struct {
		name string
		run  func(*testing.T, func(store.Reader))
	}{
		{"store", func(_ *testing.T, f func(store.Reader)) { f(s) }},
		{"tx", func(t *testing.T, f func(store.Reader)) {
			update(t, s, func(ctx context.Context, tx store.Tx) error { f(tx); return nil })
		}},
	}
	for _, r := range readers {
		t.Run(r.name, func(t *testing.T) {
			r.run(t, func(rd store.Reader) {
				errs := map[string]error{}
				_, errs["Customer(0)"] = rd.Customer(ctx, 0)
				_, errs["Customer(unknown)"] = rd.Customer(ctx, c+1000)
				_, errs["Item(unknown)"] = rd.Item(ctx, "nope")
				_, errs["Item(\"\")"] = rd.Item(ctx, "")
				_, errs["APIKey(unknown)"] = rd.APIKey(ctx, "nope")
				for name, err := range errs {
					if !errors.Is(err, store.ErrNotFound) {
						t.Errorf("%s: %v, want ErrNotFound", name, err)
					}
				}
				if id, ok, err := rd.FindIdentity(ctx, store.KindEmail, "", "nobody@example.com"); id != 0 || ok || err != nil {
					t.Errorf("FindIdentity(unknown) = %d, %v, %v; want 0, false, nil", id, ok, err)
				}
				// Lists of unknown customers are empty, not errors.
				unknown := c + 1000
				n := 0
				n += len(must[[]store.Identity](t, "identities")(rd.Identities(ctx, unknown)))
				n += len(must[[]store.Merge](t, "merges")(rd.Merges(ctx, unknown)))
				n += len(must[[]store.Observation](t, "observations")(rd.Observations(ctx, unknown, "")))
				n += len(must[[]store.Attribute](t, "attributes")(rd.Attributes(ctx, unknown)))
				n += len(must[[]store.Consent](t, "consents")(rd.Consents(ctx, unknown)))
				n += len(must[[]store.Order](t, "orders")(rd.Orders(ctx, unknown, time.Time{}, 0)))
				n += len(must[[]store.OrderLine](t, "lines")(rd.OrderLines(ctx, unknown)))
				n += len(must[[]store.Event](t, "events")(rd.Events(ctx, unknown, time.Time{}, 0)))
				n += len(must[[]store.APIKey](t, "keys")(rd.APIKeys(ctx)))
				if n != 0 {
					t.Errorf("reads of an unknown customer returned %d records", n)
				}
				equal(t, "summary", must[store.OrderSummary](t, "summary")(rd.OrderSummary(ctx, unknown, time.Time{})), store.OrderSummary{})
			})
		})
	}
}

// testConcurrentUpdates runs updates from several goroutines, with reads
// alongside: each succeeds, none overlaps another, nothing is lost.
func testConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	const workers, updates = 4, 10
	var running, overlaps atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers*updates+workers)
	for w := range workers {
		wg.Go(func() {
			for u := range updates {
				err := s.Update(ctx, func(tx store.Tx) error {
					if running.Add(1) != 1 {
						overlaps.Add(1)
					}
					defer running.Add(-1)
					id, err := tx.NewCustomer(ctx, t1)
					if err != nil {
						return err
					}
					key := fmt.Sprintf("%d-%d", w, u)
					if err := tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindExternalID, Namespace: "crm", Value: key, FirstSeen: t1}); err != nil {
						return err
					}
					o := store.Order{Source: "shop", ExtID: key, CustomerID: id, PlacedAt: t1, Kind: store.OrderSale}
					if _, err := tx.PutOrder(ctx, &o); err != nil {
						return err
					}
					_, err = tx.PutOrderLines(ctx, []store.OrderLine{{OrderID: o.ID, LineNo: 1, ItemID: "A", Quantity: 1}})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range updates {
				if _, err := s.Stats(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent update or read: %v", err)
	}
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d updates ran while another was running", n)
	}
	equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), store.Stats{
		Customers: workers * updates, Orders: workers * updates, OrderLines: workers * updates,
	})
}
