package clv

import (
	"cmp"
	"fmt"
	"slices"
)

// Txn is one transaction: a customer, the calendar day it was placed on
// (days since 1970-01-01 in the shop's time zone) and its value.
type Txn struct {
	Customer int64
	Day      int32
	Amount   float64
}

// Unit is the model's time unit.
type Unit int

const (
	Day  Unit = 1
	Week Unit = 7
)

func (u Unit) String() string {
	if u == Week {
		return "week"
	}
	return "day"
}

// ParseUnit parses "day" or "week".
func ParseUnit(s string) (Unit, error) {
	switch s {
	case "day", "days", "":
		return Day, nil
	case "week", "weeks":
		return Week, nil
	}
	return 0, fmt.Errorf("time unit %q: want day or week", s)
}

// Summary is the per-customer input of the models: X, Tx, T in the time
// unit, Monetary the mean value of the repeat transactions (0 without), and
// Holdout the transactions (distinct days) in the holdout period, when one
// was given. Rows are customers in ascending id order.
type Summary struct {
	Unit     Unit
	CalEnd   int32 // last calendar day of the calibration period
	IDs      []int64
	X        []float64
	Tx       []float64
	T        []float64
	Monetary []float64
	First    []int32 // day of the first purchase
	Last     []int32 // day of the last purchase in the calibration period
	Holdout  []float64

	HoldoutEnd  int32 // last day of the holdout period (0: none)
	Txns        int   // transactions (customer-days) in the calibration period
	Ignored     int   // transactions after the calibration end (holdout included) not used by the fit
	LateFirst   int   // customers whose first purchase is after the calibration end (left out)
	HoldoutTxns int   // transactions (customer-days) in the holdout period
}

// Buyers is the number of customers in the summary.
func (s *Summary) Buyers() int { return len(s.IDs) }

// RepeatBuyers counts customers with x ≥ 1.
func (s *Summary) RepeatBuyers() int {
	n := 0
	for _, x := range s.X {
		if x >= 1 {
			n++
		}
	}
	return n
}

// Summarize builds the summary as of the end of calendar day calEnd:
// transactions of one customer on one day are merged into one; days after
// calEnd are ignored (and counted), except that days in (calEnd,
// holdoutEnd] are counted in Holdout when holdoutEnd > calEnd. txns is
// sorted in place.
func Summarize(txns []Txn, calEnd, holdoutEnd int32, unit Unit) *Summary {
	if unit != Week {
		unit = Day
	}
	slices.SortFunc(txns, func(a, b Txn) int {
		return cmp.Or(cmp.Compare(a.Customer, b.Customer), cmp.Compare(a.Day, b.Day))
	})
	s := &Summary{Unit: unit, CalEnd: calEnd}
	if holdoutEnd > calEnd {
		s.HoldoutEnd = holdoutEnd
	}
	u := float64(unit)
	for i := 0; i < len(txns); {
		c := txns[i].Customer
		j := i
		for j < len(txns) && txns[j].Customer == c {
			j++
		}
		var first, last, prev int32 = -1, -1, -1
		var days, hold int
		var repeatAmount float64
		for k := i; k < j; k++ {
			t := txns[k]
			if t.Day > calEnd {
				if t.Day != prev {
					s.Ignored++
					if s.HoldoutEnd > 0 && t.Day <= s.HoldoutEnd {
						hold++
					}
				}
				prev = t.Day
				continue
			}
			if first < 0 {
				first = t.Day
			}
			if t.Day != prev {
				days++
				last = t.Day
			}
			if t.Day != first {
				repeatAmount += t.Amount
			}
			prev = t.Day
		}
		i = j
		if first < 0 {
			s.LateFirst++
			continue
		}
		s.Txns += days
		s.HoldoutTxns += hold
		x := float64(days - 1)
		m := 0.0
		if x > 0 {
			m = repeatAmount / x
		}
		s.IDs = append(s.IDs, c)
		s.X = append(s.X, x)
		s.Tx = append(s.Tx, float64(last-first)/u)
		s.T = append(s.T, float64(calEnd-first)/u)
		s.Monetary = append(s.Monetary, m)
		s.First = append(s.First, first)
		s.Last = append(s.Last, last)
		if s.HoldoutEnd > 0 {
			s.Holdout = append(s.Holdout, float64(hold))
		}
	}
	return s
}
