package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// bigBatch is the size of the large batches, bigKeys the number of distinct
// keys in some: above any sensible number of rows per statement (and above
// 5,000, the PostgreSQL backend's chunk, even once repeats are merged).
const (
	bigBatch = 12345
	bigKeys  = 6007
)

// manyValues exceeds the parameters one statement can take in SQLite
// (32,766) and in PostgreSQL (65,535).
const manyValues = 70000

func testFindIdentities(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0, t0)
	a, b, m, x := c[0], c[1], c[2], c[3]
	const bulk = 1500 // identities "user00000@example.com", ... spread over a, b and x
	bulkOwner := func(i int) int64 { return []int64{a, b, x}[i%3] }
	bulkValue := func(i int) string { return fmt.Sprintf("user%05d@example.com", i) }
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		ids := []store.Identity{
			{CustomerID: a, Kind: store.KindEmail, Value: "ann@example.com", Source: "crm", FirstSeen: t1},
			{CustomerID: a, Kind: store.KindExternalID, Namespace: "crm", Value: "17", Source: "crm", FirstSeen: t1},
			{CustomerID: b, Kind: store.KindExternalID, Namespace: "shop", Value: "17", Source: "shop", FirstSeen: t1},
			{CustomerID: b, Kind: store.KindPhone, Value: "+33612345678", Source: "shop", FirstSeen: t1},
			{CustomerID: m, Kind: store.KindEmail, Value: "max@example.com", Source: "shop", FirstSeen: t1},
			{CustomerID: m, Kind: store.KindExternalID, Namespace: "shop", Value: "18", Source: "shop", FirstSeen: t1},
		}
		for i := range bulk {
			ids = append(ids, store.Identity{CustomerID: bulkOwner(i), Kind: store.KindEmail, Value: bulkValue(i), Source: "crm", FirstSeen: t2})
		}
		for _, id := range ids {
			if err := tx.AddIdentity(ctx, id); err != nil {
				return err
			}
		}
		return tx.MergeCustomers(ctx, store.Merge{Survivor: a, Merged: m, Kind: store.KindEmail, Value: "max@example.com", Source: "shop", At: t2})
	})

	// many: every bulk identity once or twice among absent values, a
	// value of another kind, and the empty string.
	var many []string
	wantMany := map[string]int64{"ann@example.com": a, "max@example.com": a}
	for i := 0; len(many) < manyValues; i++ {
		switch {
		case i%40 == 0 && i/40 < bulk:
			many = append(many, bulkValue(i/40))
			wantMany[bulkValue(i/40)] = bulkOwner(i / 40)
		case i%997 == 0 && i/40 < bulk:
			many = append(many, bulkValue(i/40)) // again, elsewhere
		case i%1001 == 0:
			many = append(many, "+33612345678", "")
		default:
			many = append(many, fmt.Sprintf("nobody%06d@example.com", i))
		}
	}
	many = append(many, "ann@example.com", "max@example.com")
	if len(wantMany) != bulk+2 {
		t.Fatalf("bad fixture: %d values to find, want %d", len(wantMany), bulk+2)
	}

	cases := []struct {
		name, kind, ns string
		values         []string
		want           map[string]int64
	}{
		{"nil", store.KindEmail, "", nil, nil},
		{"empty", store.KindEmail, "", []string{}, nil},
		{"one", store.KindEmail, "", []string{"ann@example.com"}, map[string]int64{"ann@example.com": a}},
		{"absent only", store.KindEmail, "", []string{"bob@example.com", ""}, nil},
		{"duplicates and absent", store.KindEmail, "", []string{"ann@example.com", "bob@example.com", "ann@example.com", "user00001@example.com"},
			map[string]int64{"ann@example.com": a, "user00001@example.com": b}},
		{"namespace", store.KindExternalID, "shop", []string{"17", "18", "19"}, map[string]int64{"17": b, "18": a}},
		{"other namespace", store.KindExternalID, "crm", []string{"17", "18"}, map[string]int64{"17": a}},
		{"namespace not given", store.KindExternalID, "", []string{"17", "18"}, nil},
		{"kind", store.KindPhone, "", []string{"+33612345678", "ann@example.com"}, map[string]int64{"+33612345678": b}},
		{"merged customer's identity", store.KindEmail, "", []string{"max@example.com"}, map[string]int64{"max@example.com": a}},
		{"more values than parameters", store.KindEmail, "", many, wantMany},
	}
	type finder interface {
		FindIdentity(ctx context.Context, kind, namespace, value string) (int64, bool, error)
		FindIdentities(ctx context.Context, kind, namespace string, values []string) (map[string]int64, error)
	}
	check := func(t *testing.T, r finder) {
		for _, cs := range cases {
			t.Run(cs.name, func(t *testing.T) {
				got, err := r.FindIdentities(ctx, cs.kind, cs.ns, cs.values)
				if err != nil {
					t.Fatalf("FindIdentities: %v", err)
				}
				equalMaps(t, "FindIdentities", got, cs.want)
				if len(cs.values) > 100 {
					return
				}
				// The same as FindIdentity, one by one.
				one := map[string]int64{}
				for _, v := range cs.values {
					id, ok, err := r.FindIdentity(ctx, cs.kind, cs.ns, v)
					if err != nil {
						t.Fatalf("FindIdentity: %v", err)
					}
					if ok {
						one[v] = id
					}
				}
				equalMaps(t, "FindIdentities against FindIdentity", got, one)
			})
		}
	}
	t.Run("store", func(t *testing.T) { check(t, s) })
	t.Run("tx", func(t *testing.T) {
		update(t, s, func(ctx context.Context, tx store.Tx) error { check(t, tx); return nil })
	})
	t.Run("own writes", func(t *testing.T) {
		update(t, s, func(ctx context.Context, tx store.Tx) error {
			id, err := tx.NewCustomer(ctx, t3)
			if err != nil {
				return err
			}
			err = tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindEmail, Value: "new@example.com", FirstSeen: t3})
			if err != nil {
				return err
			}
			got, err := tx.FindIdentities(ctx, store.KindEmail, "", []string{"new@example.com", "ann@example.com"})
			if err != nil {
				return err
			}
			equalMaps(t, "in the transaction", got, map[string]int64{"new@example.com": id, "ann@example.com": a})
			got, err = s.FindIdentities(ctx, store.KindEmail, "", []string{"new@example.com", "ann@example.com"})
			if err != nil {
				return err
			}
			equalMaps(t, "outside the transaction", got, map[string]int64{"ann@example.com": a})
			return nil
		})
	})
}

// equalMaps compares maps, nil and empty alike, and reports at most a few
// differences.
func equalMaps(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok || g != want[k] {
			diffs = append(diffs, fmt.Sprintf("%q: got %d (found %v), want %d", k, g, ok, want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q: got %d, want none", k, got[k]))
		}
	}
	t.Errorf("%s: %d entries, want %d; %d differences, first: %v", what, len(got), len(want), len(diffs), diffs[:min(len(diffs), 5)])
}

// twins returns n pairs of new customers: the batch methods write to the
// first of each, the one-by-one methods to the second.
func twins(t *testing.T, s store.Store, n int) [][2]int64 {
	at := make([]time.Time, 2*n)
	for i := range at {
		at[i] = t0
	}
	ids := newCustomers(t, s, at...)
	out := make([][2]int64, n)
	for i := range out {
		out[i] = [2]int64{ids[2*i], ids[2*i+1]}
	}
	return out
}

func testPutObservations(t *testing.T, s store.Store) {
	ctx := t.Context()
	ob := func(name, value, source string, at time.Time) store.Observation {
		return store.Observation{Name: name, Value: value, Source: source, ObservedAt: at, Valid: true}
	}
	bad := func(o store.Observation, problem string) store.Observation {
		o.Valid, o.Problem = false, problem
		return o
	}
	type obs = []store.Observation
	cases := []struct {
		name          string
		stored, batch obs // of one customer (CustomerID 0 here)
		want          obs
	}{
		{"empty batch", obs{ob("city", "Paris", "crm", t1)}, nil, obs{ob("city", "Paris", "crm", t1)}},
		{"empty slice, nothing stored", nil, obs{}, nil},
		{"new values", nil,
			obs{ob("city", "Paris", "crm", t1), ob("zip", "75001", "crm", t1), ob("city", "Lyon", "shop", t2)},
			obs{ob("city", "Paris", "crm", t1), ob("city", "Lyon", "shop", t2), ob("zip", "75001", "crm", t1)}},
		{"newer later in the batch wins", nil,
			obs{ob("city", "Paris", "crm", t1), ob("city", "Lyon", "crm", t2)},
			obs{ob("city", "Lyon", "crm", t2)}},
		{"older later in the batch is ignored", nil,
			obs{ob("city", "Lyon", "crm", t2), ob("city", "Paris", "crm", t1)},
			obs{ob("city", "Lyon", "crm", t2)}},
		{"equal timestamp later in the batch replaces", nil,
			obs{ob("city", "Paris", "crm", t2), ob("city", "Lyon", "crm", t2), ob("city", "Nice", "crm", t1)},
			obs{ob("city", "Lyon", "crm", t2)}},
		{"same microsecond later in the batch replaces", nil,
			obs{ob("city", "Paris", "crm", t2.Add(900*time.Nanosecond)), ob("city", "Lyon", "crm", t2.Add(100*time.Nanosecond))},
			obs{ob("city", "Lyon", "crm", t2)}},
		{"stored newer than the batch", obs{ob("city", "Paris", "crm", t3)},
			obs{ob("city", "Lyon", "crm", t2), ob("city", "Nice", "crm", t1)},
			obs{ob("city", "Paris", "crm", t3)}},
		{"equal to the stored timestamp replaces", obs{ob("city", "Paris", "crm", t2)},
			obs{ob("city", "Lyon", "crm", t2)},
			obs{ob("city", "Lyon", "crm", t2)}},
		{"older than stored ignored, newer replaces", obs{ob("city", "Paris", "crm", t2)},
			obs{ob("city", "Nice", "crm", t1), ob("city", "Lyon", "crm", t3), ob("city", "Nice", "crm", t1)},
			obs{ob("city", "Lyon", "crm", t3)}},
		{"invalid value kept", obs{ob("city", "Paris", "crm", t1)},
			obs{bad(ob("city", "???", "crm", t2), "not a city")},
			obs{bad(ob("city", "???", "crm", t2), "not a city")}},
		{"same value and instant, now invalid", obs{ob("city", "Paris", "crm", t2)},
			obs{bad(ob("city", "Paris", "crm", t2), "blocked")},
			obs{bad(ob("city", "Paris", "crm", t2), "blocked")}},
		{"identical to stored", obs{ob("city", "Paris", "crm", t2)},
			obs{ob("city", "Paris", "crm", t2), ob("city", "Paris", "crm", t2)},
			obs{ob("city", "Paris", "crm", t2)}},
		{"sources and names apart", obs{ob("city", "Paris", "crm", t3), ob("zip", "75001", "crm", t1)},
			obs{ob("city", "Lyon", "shop", t1), ob("city", "Nice", "crm", t2), ob("zip", "06000", "crm", t2), ob("city", "Lille", "pos", t0)},
			obs{ob("city", "Paris", "crm", t3), ob("city", "Lille", "pos", t0), ob("city", "Lyon", "shop", t1), ob("zip", "06000", "crm", t2)}},
	}
	// A big batch: each name three times, in chunks far apart, the newest
	// first, last or all at the same instant; a third of them stored first.
	const names = bigKeys
	var bigStored, bigBatchObs obs
	for k := range names {
		if k%3 == 0 {
			bigStored = append(bigStored, ob(fmt.Sprintf("n%05d", k), "stored", "crm", t0.Add(time.Duration(k%5)*time.Hour)))
		}
	}
	for r := range 3 {
		for k := range names {
			var at time.Time
			switch k % 4 {
			case 0:
				at = t0.Add(time.Duration(r+1) * time.Hour) // increasing: the last wins
			case 1:
				at = t0.Add(time.Duration(3-r) * time.Hour) // decreasing: the first wins
			case 2:
				at = t2 // equal: the last wins
			case 3:
				at = t0.Add(time.Duration((r*7+k)%4) * time.Hour)
			}
			o := ob(fmt.Sprintf("n%05d", k), fmt.Sprintf("v%d", r), "crm", at)
			if (k+r)%11 == 0 {
				o = bad(o, "odd")
			}
			bigBatchObs = append(bigBatchObs, o)
		}
	}
	cases = append(cases, struct {
		name          string
		stored, batch obs
		want          obs
	}{"big batch", bigStored, bigBatchObs, modelObservations(bigStored, bigBatchObs)})

	pairs := twins(t, s, len(cases))
	of := func(id int64, list obs) obs {
		out := make(obs, len(list))
		for i, o := range list {
			o.CustomerID = id
			out[i] = o
		}
		return out
	}
	for i, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			if got := modelObservations(cs.stored, cs.batch); len(cs.batch) < 100 {
				equal(t, "the test's model", sortObservations(got), sortObservations(slices.Clone(cs.want)))
			}
			batchC, oneC := pairs[i][0], pairs[i][1]
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, id := range pairs[i] {
					for _, o := range of(id, cs.stored) {
						if _, err := tx.PutObservation(ctx, o); err != nil {
							return err
						}
					}
				}
				return nil
			})
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.PutObservations(ctx, of(batchC, cs.batch))
			})
			got := sortObservations(must[[]store.Observation](t, "observations")(s.Observations(ctx, batchC, "")))
			equal(t, "observations", got, sortObservations(of(batchC, cs.want)))
			if len(cs.batch) > 100 {
				return
			}
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, o := range of(oneC, cs.batch) {
					if _, err := tx.PutObservation(ctx, o); err != nil {
						return err
					}
				}
				return nil
			})
			one := sortObservations(must[[]store.Observation](t, "observations")(s.Observations(ctx, oneC, "")))
			equal(t, "batch against one by one", got, of(batchC, one))
		})
	}
}

// modelObservations applies batch to stored as PutObservation does, one by
// one: a value at least as recent (to the microsecond) replaces.
func modelObservations(stored, batch []store.Observation) []store.Observation {
	type key struct{ name, source string }
	m := map[key]store.Observation{}
	for _, o := range slices.Concat(stored, batch) {
		o.ObservedAt = o.ObservedAt.Truncate(time.Microsecond)
		k := key{o.Name, o.Source}
		if old, ok := m[k]; !ok || !o.ObservedAt.Before(old.ObservedAt) {
			m[k] = o
		}
	}
	return slices.Collect(maps.Values(m))
}

func testPutAttributes(t *testing.T, s store.Store) {
	ctx := t.Context()
	at := func(name, value, source string, when time.Time, rule string) store.Attribute {
		return store.Attribute{Name: name, Value: value, Source: source, ObservedAt: when, Rule: rule}
	}
	type attrs = []store.Attribute
	cases := []struct {
		name          string
		stored, batch attrs
		want          attrs
	}{
		{"empty batch", attrs{at("city", "Paris", "crm", t1, "latest")}, nil, attrs{at("city", "Paris", "crm", t1, "latest")}},
		{"empty slice, nothing stored", nil, attrs{}, nil},
		{"new", nil, attrs{at("city", "Paris", "crm", t1, "latest"), at("zip", "75001", "shop", t2, "priority")},
			attrs{at("city", "Paris", "crm", t1, "latest"), at("zip", "75001", "shop", t2, "priority")}},
		{"replaces the stored one, older or not", attrs{at("city", "Paris", "crm", t3, "latest")},
			attrs{at("city", "Lyon", "shop", t1, "priority")},
			attrs{at("city", "Lyon", "shop", t1, "priority")}},
		{"the last of the batch wins", attrs{at("city", "Paris", "crm", t1, "latest")},
			attrs{at("city", "Lyon", "crm", t3, "latest"), at("zip", "69001", "crm", t3, "latest"), at("city", "Nice", "shop", t2, "priority")},
			attrs{at("city", "Nice", "shop", t2, "priority"), at("zip", "69001", "crm", t3, "latest")}},
		{"the last of four wins", nil,
			attrs{at("city", "Lyon", "crm", t3, "latest"), at("zip", "69001", "crm", t3, "latest"),
				at("country", "FR", "crm", t3, "latest"), at("city", "Nice", "shop", t2, "priority")},
			attrs{at("city", "Nice", "shop", t2, "priority"), at("country", "FR", "crm", t3, "latest"), at("zip", "69001", "crm", t3, "latest")}},
		{"identical", attrs{at("city", "Paris", "crm", t1, "latest")},
			attrs{at("city", "Paris", "crm", t1, "latest")},
			attrs{at("city", "Paris", "crm", t1, "latest")}},
	}
	const names = bigKeys
	// A big batch: each name three times, in chunks far apart; in the last
	// round, some twice in a row.
	var big, bigWant attrs
	for r := range 3 {
		for k := range names {
			a := at(fmt.Sprintf("a%05d", k), fmt.Sprintf("v%d", r), "crm", t0.Add(time.Duration((k+r)%3)*time.Hour), "latest")
			big = append(big, a)
			if r == 2 && k%10 == 0 {
				a.Value, a.Source = "again", "pos"
				big = append(big, a)
			}
			if r == 2 {
				bigWant = append(bigWant, a)
			}
		}
	}
	cases = append(cases, struct {
		name          string
		stored, batch attrs
		want          attrs
	}{"big batch", attrs{at("a00007", "stored", "pos", t6, "priority")}, big, bigWant})

	pairs := twins(t, s, len(cases))
	of := func(id int64, list attrs) attrs {
		out := make(attrs, len(list))
		for i, a := range list {
			a.CustomerID = id
			out[i] = a
		}
		return out
	}
	for i, cs := range cases {
		t.Run(cs.name, func(t *testing.T) {
			batchC, oneC := pairs[i][0], pairs[i][1]
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, id := range pairs[i] {
					for _, a := range of(id, cs.stored) {
						if err := tx.PutAttribute(ctx, a); err != nil {
							return err
						}
					}
				}
				return nil
			})
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.PutAttributes(ctx, of(batchC, cs.batch))
			})
			got := sortAttributes(must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, batchC)))
			equal(t, "attributes", got, sortAttributes(of(batchC, cs.want)))
			if len(cs.batch) > 100 {
				return
			}
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				for _, a := range of(oneC, cs.batch) {
					if err := tx.PutAttribute(ctx, a); err != nil {
						return err
					}
				}
				return nil
			})
			one := sortAttributes(must[[]store.Attribute](t, "attributes")(s.Attributes(ctx, oneC)))
			equal(t, "batch against one by one", got, of(batchC, one))
		})
	}
}

func testPutOrders(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0)
	order := func(source, ext string, customer int64, at time.Time) store.Order {
		return store.Order{Source: source, ExtID: ext, CustomerID: customer, PlacedAt: at, Kind: store.OrderSale, Currency: "EUR"}
	}
	other := func(o store.Order) store.Order { // the same order, other fields
		o.CustomerID, o.PlacedAt, o.Kind, o.Channel, o.Coupon = c[2], t6, store.OrderReturn, "store", "OTHER"
		return o
	}
	cancel := order("shop", "C1", c[0], t2)
	cancel.Kind, cancel.RefExtID, cancel.Channel, cancel.Payment, cancel.Coupon = store.OrderCancel, "1", "web", "card", "SPRING"

	// Big batches: new orders of two sources, then new ones mixed with
	// stored ones and repeats, far apart and next to each other.
	var bigNew, bigMixed []store.Order
	mixedNew := 0
	for i := range bigBatch {
		src := []string{"shop", "web"}[i%2]
		bigNew = append(bigNew, order(src, fmt.Sprintf("B%05d", i), []int64{0, c[0], c[1]}[i%3], t0.Add(time.Duration(i)*time.Second)))
	}
	for i := range bigBatch {
		switch {
		case i%5 == 0:
			bigMixed = append(bigMixed, other(bigNew[(i*7)%len(bigNew)]))
		case i%7 == 0 && i > 1000:
			bigMixed = append(bigMixed, other(bigMixed[i-1000]))
		case i%13 == 0:
			bigMixed = append(bigMixed, bigMixed[i-1], bigMixed[i-1])
		default:
			src := []string{"shop", "web", "pos"}[i%3]
			bigMixed = append(bigMixed, order(src, fmt.Sprintf("M%05d", i), []int64{0, c[2]}[i%2], t1))
			mixedNew++
		}
	}

	steps := []struct {
		name     string
		orders   []store.Order
		inserted int
	}{
		{"nil", nil, 0},
		{"empty", []store.Order{}, 0},
		{"new", []store.Order{order("shop", "1", c[0], t1), order("shop", "2", 0, t1), cancel, order("shop", "3", c[1], t2)}, 4},
		{"stored and new", []store.Order{other(order("shop", "2", 0, t1)), order("shop", "4", 0, t3), other(cancel)}, 1},
		{"repeated in the batch", []store.Order{order("shop", "5", c[1], t3), other(order("shop", "5", c[1], t3)),
			order("shop", "6", 0, t3), order("shop", "5", 0, t4), order("shop", "6", c[0], t4)}, 2},
		{"sources", []store.Order{order("pos", "1", 0, t4), other(order("shop", "1", c[0], t1)), order("web", "7", c[1], t4),
			other(order("pos", "1", 0, t4)), order("web", "1", c[1], t5)}, 3},
		{"stored only", []store.Order{other(order("shop", "3", c[1], t2)), other(order("pos", "1", 0, t4)), other(cancel)}, 0},
		{"big, new", bigNew, bigBatch},
		{"big, mixed", bigMixed, mixedNew},
	}
	ids := map[string]int64{}         // by source/ext id
	first := map[string]store.Order{} // the version stored
	idOwner := map[int64]string{}     // the reverse of ids
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var batch []*store.Order
			if st.orders != nil {
				batch = make([]*store.Order, len(st.orders))
			}
			for i := range st.orders {
				o := st.orders[i]
				o.ID = -1 // to be set
				batch[i] = &o
			}
			wantStats := must[store.Stats](t, "stats")(s.Stats(ctx))
			for _, o := range st.orders {
				if _, ok := first[o.Source+"/"+o.ExtID]; !ok {
					first[o.Source+"/"+o.ExtID] = o
					wantStats.Orders++
					if o.CustomerID == 0 {
						wantStats.AnonymousOrders++
					}
				}
			}
			update(t, s, func(ctx context.Context, tx store.Tx) error {
				n, err := tx.PutOrders(ctx, batch)
				if err != nil {
					return err
				}
				if n != st.inserted {
					t.Errorf("PutOrders inserted %d, want %d", n, st.inserted)
				}
				equal(t, "stats in the transaction", must[store.Stats](t, "stats")(tx.Stats(ctx)), wantStats)
				return nil
			})
			bad := 0
			for _, o := range batch {
				key := o.Source + "/" + o.ExtID
				want, known := ids[key]
				switch {
				case o.ID <= 0:
					t.Errorf("%s: ID %d, want a positive id", key, o.ID)
				case known && o.ID != want:
					t.Errorf("%s: ID %d, want %d as before", key, o.ID, want)
				case !known && idOwner[o.ID] != "":
					t.Errorf("%s: ID %d, which is the ID of %s", key, o.ID, idOwner[o.ID])
				default:
					ids[key], idOwner[o.ID] = o.ID, key
					continue
				}
				if bad++; bad > 5 {
					t.Fatal("too many errors")
				}
			}
			equal(t, "stats", must[store.Stats](t, "stats")(s.Stats(ctx)), wantStats)
		})
	}

	// What is stored is each order's first version, under its ID.
	var got []store.Order
	for _, id := range append([]int64{0}, c...) {
		got = append(got, must[[]store.Order](t, "orders")(s.Orders(ctx, id, time.Time{}, 0))...)
	}
	want := make([]store.Order, 0, len(first))
	for key, o := range first {
		o.ID = ids[key]
		want = append(want, o)
	}
	byID := func(a, b store.Order) int { return cmp.Compare(a.ID, b.ID) }
	slices.SortFunc(got, byID)
	slices.SortFunc(want, byID)
	if len(got) != len(want) {
		t.Fatalf("%d orders stored, want %d", len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !reflect.DeepEqual(canon(got[i]), canon(want[i])) {
			t.Errorf("order %d:\n got  %+v\n want %+v", i, got[i], want[i])
			if bad++; bad > 5 {
				break
			}
		}
	}
}
