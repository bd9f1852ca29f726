package predict

import (
	"context"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Day is a calendar day in the shop's time zone: days since 1970-01-01.
func Day(t time.Time, loc *time.Location) int32 {
	y, m, d := t.In(loc).Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// DayTime is the start of calendar day d, as a date.
func DayTime(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// DayString formats a day as YYYY-MM-DD.
func DayString(d int32) string { return DayTime(d).Format(time.DateOnly) }

// Txns are the sale orders of known customers, one per order.
type Txns struct {
	List     []clv.Txn
	FirstDay int32 // of any sale order; 0 when none
	LastDay  int32
	Skipped  int // orders that are cancellations, returns or guest orders
}

// ReadTxns reads one transaction per sale order of a known customer placed
// at or before upTo (zero: all), valued at the sum of its lines.
func ReadTxns(ctx context.Context, src store.Analytics, upTo time.Time, loc *time.Location) (*Txns, error) {
	if loc == nil {
		loc = time.UTC
	}
	out := &Txns{}
	var cur int64
	open, keep := false, false
	var rows int64
	err := src.ScanLines(ctx, upTo, func(r *store.LineRow) error {
		rows++
		if rows%(1<<16) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if !open || r.OrderID != cur {
			open, cur = true, r.OrderID
			keep = r.Kind == store.OrderSale && r.CustomerID != 0
			if !keep {
				out.Skipped++
				return nil
			}
			d := Day(r.PlacedAt, loc)
			if len(out.List) == 0 || d < out.FirstDay {
				out.FirstDay = d
			}
			out.LastDay = max(out.LastDay, d)
			out.List = append(out.List, clv.Txn{Customer: r.CustomerID, Day: d})
		}
		if keep {
			amt := r.Amount
			if amt == 0 {
				amt = r.Quantity * r.UnitPrice
			}
			out.List[len(out.List)-1].Amount += amt
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
