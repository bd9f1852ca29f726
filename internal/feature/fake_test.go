package feature

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// fakeStore is an in-memory store.Analytics for unit tests; the methods the
// feature package does not call panic.
type fakeStore struct {
	store.Analytics
	ids    []int64
	lines  []store.LineRow // order id, then line order
	events []store.Event   // insertion order
	attrs  map[string]map[int64]string
}

func (f *fakeStore) CustomerIDs(context.Context) ([]int64, error) { return slices.Clone(f.ids), nil }

func (f *fakeStore) ScanLines(ctx context.Context, asOf time.Time, fn func(*store.LineRow) error) error {
	for i := range f.lines {
		r := f.lines[i]
		if !asOf.IsZero() && r.PlacedAt.After(asOf) {
			continue
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) ScanEvents(ctx context.Context, from, to time.Time, fn func(*store.Event) error) error {
	for i := range f.events {
		e := f.events[i]
		if !from.IsZero() && e.At.Before(from) || !to.IsZero() && e.At.After(to) {
			continue
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) AttributeValues(ctx context.Context, name string) (map[int64]string, error) {
	return f.attrs[name], nil
}

// genShop makes a random shop: customers 1..n, orders over the days before
// end (ids not in time order), events, and a country attribute.
func genShop(seed uint64, n, orders, events, days int, end time.Time) *fakeStore {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b9))
	f := &fakeStore{attrs: map[string]map[int64]string{"country": {}}}
	for id := 1; id <= n; id++ {
		f.ids = append(f.ids, int64(id))
		if rng.IntN(3) > 0 {
			f.attrs["country"][int64(id)] = []string{"GB", "FR", "CN"}[rng.IntN(3)]
		}
	}
	cats := []string{"", "home/kitchen", "home/garden", "toys", "books"}
	brands := []string{"", "acme", "globex", "initech"}
	type itemT struct{ id, cat, brand string }
	var items []itemT
	for i := range 30 {
		items = append(items, itemT{fmt.Sprintf("SKU%02d", i), cats[rng.IntN(len(cats))], brands[rng.IntN(len(brands))]})
	}
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	randTime := func() time.Time {
		return start.Add(time.Duration(rng.Int64N(int64(days)*24*3600)) * time.Second)
	}
	for o := 1; o <= orders; o++ {
		cust := int64(1 + rng.IntN(n))
		if rng.IntN(10) == 0 {
			cust = 0
		}
		at := randTime()
		kind := store.OrderSale
		if rng.IntN(8) == 0 {
			kind = []store.OrderKind{store.OrderCancel, store.OrderReturn}[rng.IntN(2)]
		}
		coupon := ""
		if rng.IntN(6) == 0 {
			coupon = "SAVE10"
		}
		channel := []string{"web", "app", "store"}[rng.IntN(3)]
		payment := []string{"card", "cash", ""}[rng.IntN(3)]
		for range 1 + rng.IntN(5) {
			it := items[rng.IntN(len(items))]
			q := float64(1 + rng.IntN(6))
			p := float64(rng.IntN(2000)) / 100
			disc := 0.0
			if rng.IntN(5) == 0 {
				disc = q * p * 0.2
			}
			if kind != store.OrderSale {
				q, disc = -q, 0
			}
			f.lines = append(f.lines, store.LineRow{OrderID: int64(o), CustomerID: cust, PlacedAt: at, Kind: kind,
				Channel: channel, Payment: payment, Coupon: coupon, ItemID: it.id, Category: it.cat, Brand: it.brand,
				Quantity: q, UnitPrice: p, Amount: q * p, Discount: disc})
		}
	}
	nextOrder := int64(orders + 1)
	for e := range events {
		cust := int64(1 + rng.IntN(n))
		typ := []string{store.EventView, store.EventView, store.EventCartAdd, store.EventLogin}[rng.IntN(4)]
		at := randTime()
		it := items[rng.IntN(len(items))]
		f.events = append(f.events, store.Event{ID: int64(e + 1), CustomerID: cust, Type: typ, At: at, ItemID: it.id})
		if typ == store.EventCartAdd && rng.IntN(3) == 0 {
			// bought within about a day, sometimes just too late
			at = at.Add(time.Duration(rng.IntN(30*3600)) * time.Second)
			f.lines = append(f.lines, store.LineRow{OrderID: nextOrder, CustomerID: cust, PlacedAt: at, Kind: store.OrderSale,
				Channel: "web", Payment: "card", ItemID: it.id, Category: it.cat, Brand: it.brand, Quantity: 1, UnitPrice: 5, Amount: 5})
			nextOrder++
		}
	}
	return f
}
