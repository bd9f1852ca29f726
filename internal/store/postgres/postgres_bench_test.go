package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// BenchmarkPutOrderLines inserts new lines in batches of 1000, one Update
// per batch (as an import does), and reports the cost per row.
func BenchmarkPutOrderLines(b *testing.B) {
	const batch = 1000
	s := openStore(b, newSchema(b))
	ctx := b.Context()
	o := store.Order{Source: "bench", ExtID: "1", PlacedAt: time.Now(), Kind: store.OrderSale}
	err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutOrder(ctx, &o)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	lines := make([]store.OrderLine, batch)
	b.ReportAllocs()
	b.ResetTimer()
	next := 0
	for b.Loop() {
		for j := range lines {
			next++
			lines[j] = store.OrderLine{OrderID: o.ID, LineNo: next, ItemID: "85123A", Quantity: 6,
				UnitPrice: 2.55, Amount: 15.3, Coupon: "SPRING"}
		}
		err := s.Update(ctx, func(tx store.Tx) error {
			n, err := tx.PutOrderLines(ctx, lines)
			if err == nil && n != batch {
				b.Fatalf("inserted %d lines, want %d", n, batch)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/row")
}

func reportPerRow(b *testing.B, rows int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

// BenchmarkFindIdentities looks up 1000 e-mails (half of them stored among
// 20,000, in analyzed tables) in a transaction, on the Store, and one by
// one for comparison.
func BenchmarkFindIdentities(b *testing.B) {
	const batch, stored = 1000, 20000
	schema := newSchema(b)
	s := openStore(b, schema)
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, testDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		"SET search_path = " + pgx.Identifier{schema}.Sanitize(),
		fmt.Sprintf("INSERT INTO customers (id, created_at) SELECT g, now() FROM generate_series(1, %d) g", stored),
		fmt.Sprintf(`INSERT INTO identities (kind, namespace, value, customer_id, source, first_seen)
			SELECT 'email', '', 'user' || lpad(g::text, 6, '0') || '@example.com', g, 'crm', now() FROM generate_series(1, %d) g`, stored),
		"ANALYZE customers", "ANALYZE identities",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	values := make([]string, batch)
	for i := range values {
		if i%2 == 0 {
			values[i] = fmt.Sprintf("user%06d@example.com", (i*7919)%stored+1)
		} else {
			values[i] = fmt.Sprintf("nobody%06d@example.com", i)
		}
	}
	check := func(found int) {
		if found != batch/2 {
			b.Fatalf("found %d, want %d", found, batch/2)
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

// BenchmarkPutOrders stores 1000 orders per transaction: new ones, the
// same again (all stored), one order per line as a file of lines gives
// them (20 lines per order, so 50 new orders), and new ones one by one
// with PutOrder for comparison.
func BenchmarkPutOrders(b *testing.B) {
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
			s := openStore(b, newSchema(b))
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
