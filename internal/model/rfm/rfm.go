package rfm

import (
	"math"
	"time"
)

// Day is a calendar day: the number of days since 1970-01-01 in the shop's
// time zone.
type Day int32

// NoDay marks the absence of a day (a customer without orders).
const NoDay Day = math.MinInt32

// DayOf returns the calendar day of t in loc (UTC when nil).
func DayOf(t time.Time, loc *time.Location) Day {
	if loc != nil {
		t = t.In(loc)
	}
	y, m, d := t.Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC of the day (for printing).
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Line is one order line as RFM reads it.
type Line struct {
	Customer int   // dense customer number in [0, n); negative: a guest, skipped
	Order    int64 // the order; lines of one order are adjacent
	Day      Day   // the order's calendar day
	Sale     bool  // false for cancellations and returns
	Amount   float64
}

// Values are the RFM values of n customers, indexed by dense number.
type Values struct {
	// Recency is the number of calendar days from the day of the last sale
	// order to the as-of day; NaN for a customer without a sale.
	Recency []float64
	// Frequency is the number of distinct sale orders.
	Frequency []float64
	// Monetary is the sum of the amounts (quantity × unit price) of every
	// line of the sale orders, identical repeated lines included.
	Monetary []float64
	// Returns is the value of cancellations and returns, positive. It is
	// never netted into Monetary.
	Returns []float64
}

// Compute computes RFM values for n customers from order lines placed on or
// before asOf. Lines of one order must be adjacent (as the store returns
// them); a customer's orders may come in any order.
func Compute(lines []Line, n int, asOf Day) Values {
	v := Values{Recency: make([]float64, n), Frequency: make([]float64, n),
		Monetary: make([]float64, n), Returns: make([]float64, n)}
	last := make([]Day, n)
	lastOrder := make([]int64, n)
	seen := make([]bool, n)
	for i := range last {
		last[i] = NoDay
	}
	for _, l := range lines {
		c := l.Customer
		if c < 0 || c >= n || l.Day > asOf {
			continue
		}
		if !l.Sale {
			v.Returns[c] += math.Abs(l.Amount)
			continue
		}
		if !seen[c] || lastOrder[c] != l.Order {
			seen[c], lastOrder[c] = true, l.Order
			v.Frequency[c]++
		}
		v.Monetary[c] += l.Amount
		if l.Day > last[c] {
			last[c] = l.Day
		}
	}
	for c := range n {
		if last[c] == NoDay {
			v.Recency[c] = math.NaN()
		} else {
			v.Recency[c] = float64(asOf - last[c])
		}
	}
	return v
}
