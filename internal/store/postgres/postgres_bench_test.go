package postgres_test

import (
	"testing"
	"time"

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
