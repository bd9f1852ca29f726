package storetest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Shape of the data of BenchScanLines, close to the online-retail data
// set: about 20 lines per order, a catalogue of a few thousand items.
const (
	benchOrders        = 25_000
	benchLinesPerOrder = 20
	benchItems         = 4_000
)

// LoadBenchLines fills s with benchOrders orders of benchLinesPerOrder
// lines each (guest orders, cancellations, coupons and items missing from
// the catalogue included) and returns how many lines it stored.
func LoadBenchLines(tb testing.TB, s store.Store) int {
	tb.Helper()
	ctx := context.Background()
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	channels := []string{"web", "store", "app"}
	payments := []string{"card", "cash", "paypal", "voucher"}
	total := 0
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range benchItems {
			it := store.Item{ID: "SKU-" + strconv.Itoa(i), Title: "item " + strconv.Itoa(i),
				Category: fmt.Sprintf("cat%d/sub%d", i%12, i%97), Brand: "brand" + strconv.Itoa(i%150),
				Price: float64(i%50) + 0.99, Active: true, Source: "catalog", UpdatedAt: at}
			if _, err := tx.PutItem(ctx, it); err != nil {
				return err
			}
		}
		orders := make([]*store.Order, benchOrders)
		for i := range orders {
			o := &store.Order{Source: "shop", ExtID: strconv.Itoa(100000 + i), CustomerID: int64(1 + (i*7919)%5000),
				PlacedAt: at.Add(time.Duration(i) * time.Minute), Kind: store.OrderSale,
				Channel: channels[i%len(channels)], Payment: payments[i%len(payments)], Currency: "EUR"}
			switch {
			case i%10 == 3:
				o.CustomerID = 0
			case i%20 == 7:
				o.Kind = store.OrderCancel
			}
			if i%9 == 0 {
				o.Coupon = "SPRING"
			}
			orders[i] = o
		}
		if _, err := tx.PutOrders(ctx, orders); err != nil {
			return err
		}
		lines := make([]store.OrderLine, 0, 5000)
		for i, o := range orders {
			for n := range benchLinesPerOrder {
				k := (i*31 + n*131) % (benchItems + 200) // the last 200 are not in the catalogue
				q := float64(1 + (i+n)%6)
				if o.Kind != store.OrderSale {
					q = -q
				}
				l := store.OrderLine{OrderID: o.ID, LineNo: n + 1, ItemID: "SKU-" + strconv.Itoa(k), Quantity: q,
					UnitPrice: float64(k%50) + 0.99, Amount: q * (float64(k%50) + 0.99)}
				if n%17 == 5 {
					l.Discount, l.Coupon = 1, "LINE5"
				}
				lines = append(lines, l)
				if len(lines) == cap(lines) {
					if _, err := tx.PutOrderLines(ctx, lines); err != nil {
						return err
					}
					total += len(lines)
					lines = lines[:0]
				}
			}
		}
		_, err := tx.PutOrderLines(ctx, lines)
		total += len(lines)
		return err
	})
	if err != nil {
		tb.Fatalf("load bench lines: %v", err)
	}
	return total
}

// BenchScanLines loads LoadBenchLines into s and measures ScanLines over
// all of it, reporting rows/s.
func BenchScanLines(b *testing.B, s store.Store) {
	lines := LoadBenchLines(b, s)
	ctx := context.Background()
	rows := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n, sum := 0, 0.0
		err := s.ScanLines(ctx, time.Time{}, func(row *store.LineRow) error {
			n++
			sum += row.Amount
			if row.Category != "" {
				sum++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != lines {
			b.Fatalf("scanned %d lines, want %d", n, lines)
		}
		rows += n
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// BenchFindIdentities looks up values, of which want are stored e-mails,
// in a transaction, on the Store, and one by one for comparison, reporting
// ns per value.
func BenchFindIdentities(b *testing.B, s store.Store, values []string, want int) {
	ctx := b.Context()
	batch := len(values)
	check := func(found int) {
		if found != want {
			b.Fatalf("found %d, want %d", found, want)
		}
	}
	b.Run("tx", func(b *testing.B) {
		b.ReportAllocs()
		err := s.Update(ctx, func(tx store.Tx) error {
			for b.Loop() {
				m, err := tx.FindIdentities(ctx, store.KindEmail, "", values)
				if err != nil {
					return err
				}
				check(len(m))
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		reportPerRow(b, b.N*batch)
	})
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, err := s.FindIdentities(ctx, store.KindEmail, "", values)
			if err != nil {
				b.Fatal(err)
			}
			check(len(m))
		}
		reportPerRow(b, b.N*batch)
	})
	b.Run("tx-one-by-one", func(b *testing.B) {
		b.ReportAllocs()
		err := s.Update(ctx, func(tx store.Tx) error {
			for b.Loop() {
				found := 0
				for _, v := range values {
					_, ok, err := tx.FindIdentity(ctx, store.KindEmail, "", v)
					if err != nil {
						return err
					}
					if ok {
						found++
					}
				}
				check(found)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		reportPerRow(b, b.N*batch)
	})
}

func reportPerRow(b *testing.B, rows int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// BenchPutOrders stores 1000 orders per transaction: new ones, the
// same again (all stored), one order per line as a file of lines gives
// them (20 lines per order, so 50 new orders), and new ones one by one
// with PutOrder for comparison.
func BenchPutOrders(b *testing.B, open func(b *testing.B) store.Store) {
	const batch = 1000
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	orders := func(from, perOrder int) []*store.Order {
		out := make([]*store.Order, batch)
		for i := range out {
			n := from + i/perOrder
			out[i] = &store.Order{Source: "shop", ExtID: strconv.Itoa(n), CustomerID: int64(n % 4000),
				PlacedAt: at.Add(time.Duration(n) * time.Minute), Kind: store.OrderSale, Currency: "GBP"}
		}
		return out
	}
	for _, bc := range []struct {
		name     string
		perOrder int
		again    bool
		oneByOne bool
	}{
		{"new", 1, false, false},
		{"stored", 1, true, false},
		{"lines", 20, false, false},
		{"new-one-by-one", 1, false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := open(b)
			defer s.Close()
			ctx := b.Context()
			next := 0
			var batchOrders []*store.Order
			if bc.again {
				batchOrders = orders(0, 1)
				if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.PutOrders(ctx, batchOrders); return err }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				if !bc.again {
					b.StopTimer()
					batchOrders = orders(next, bc.perOrder)
					next += batch / bc.perOrder
					b.StartTimer()
				}
				err := s.Update(ctx, func(tx store.Tx) error {
					if bc.oneByOne {
						for _, o := range batchOrders {
							if _, err := tx.PutOrder(ctx, o); err != nil {
								return err
							}
						}
						return nil
					}
					n, err := tx.PutOrders(ctx, batchOrders)
					if want := batch / bc.perOrder; err == nil && !bc.again && n != want {
						err = fmt.Errorf("inserted %d of %d", n, want)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			reportPerRow(b, b.N*batch)
		})
	}
}
