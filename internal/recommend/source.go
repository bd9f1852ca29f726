package recommend

import (
	"context"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// OrderBaskets reads the sale orders placed at or before asOf (zero: all)
// as baskets, one per order, of the items on lines with a positive
// quantity. Cancellations and returns are left out.
func OrderBaskets(ctx context.Context, src store.Analytics, asOf time.Time) (*rules.Baskets, error) {
	b := rules.NewBaskets()
	var cur int64 = -1
	var set []int32
	flush := func() {
		if cur >= 0 {
			b.AddIDs(set)
			set = nil
		}
	}
	err := src.ScanLines(ctx, asOf, func(row *store.LineRow) error {
		if row.Kind != store.OrderSale {
			return nil
		}
		if row.OrderID != cur {
			flush()
			cur = row.OrderID
		}
		if row.Quantity > 0 && row.ItemID != "" {
			set = append(set, b.ID(row.ItemID))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan order lines: %w", err)
	}
	flush()
	return b, nil
}
