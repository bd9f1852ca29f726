package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
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
	storetest.BenchFindIdentities(b, s, values, batch/2)
}

// BenchmarkPutOrders: see storetest.BenchPutOrders.
func BenchmarkPutOrders(b *testing.B) {
	storetest.BenchPutOrders(b, func(b *testing.B) store.Store { return openStore(b, newSchema(b)) })
}
