package feature

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Advance moves the table to a later as-of instant without reading the
// store: the time windows are recounted from the recent orders and events
// the table keeps (the last 365 days of orders, 30 of events), recency and
// tenure move on, pending cart adds settle, and the models (RFM cut points,
// value–loyalty thresholds, lifecycle thresholds, promotion days) are refitted
// and every customer re-derived. It costs a pass over the customers and the
// kept orders and events: no store scan. Moving backwards needs a recompute.
//
// Advance and Apply change the table's columns in place: callers that read
// the table from other goroutines must hold a lock around them.
func (t *Table) Advance(asOf time.Time) error {
	s := t.st
	if s == nil {
		return ErrNoState
	}
	if asOf.Before(t.AsOf) {
		return fmt.Errorf("advance to %s, before the table's %s: %w", asOf.Format(time.RFC3339), t.AsOf.Format(time.RFC3339), ErrRecompute)
	}
	t.AsOf = asOf
	s.setAsOf(asOf)
	s.full()
	return nil
}

func (s *state) full() {
	s.rebase()
	s.recomputeWindows(nil)
	s.fit()
	s.deriveAll()
}

// Apply folds order lines and events that arrived after the table was
// computed (typically newer than AsOf) into it. Items are applied in time
// order; whenever one is newer than AsOf the table first moves to its time:
// within the same calendar day only the pending cart adds settle, while
// crossing into a new day costs a full Advance. Each customer touched is then
// re-derived with the models fitted by the last full derive, so scores stay
// comparable across customers until the next Advance refits them.
//
// Lines of one order must be passed together (with their order's header
// fields, as ScanLines returns them). A customer new to the table is added
// when its id is larger than every id in the table; a smaller unknown id
// (which Compute would have listed) returns ErrRecompute and changes nothing.
// Merges of customers after Compute need a recompute too. Views count toward
// preferences only for items the table has seen on order lines.
func (t *Table) Apply(lines []store.LineRow, events []store.Event) error {
	s := t.st
	if s == nil {
		return ErrNoState
	}
	if err := t.addCustomers(lines, events); err != nil {
		return err
	}

	type item struct {
		sec   int64
		order bool
		i, j  int // lines[i:j] of one order, or events[i]
	}
	var items []item
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && lines[j].OrderID == lines[i].OrderID {
			j++
		}
		items = append(items, item{sec: lines[i].PlacedAt.Unix(), order: true, i: i, j: j})
		i = j
	}
	for i := range events {
		items = append(items, item{sec: events[i].At.Unix(), i: i})
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.sec, b.sec) })

	var touched []int32
	var orders []orderRec
	var lrecs []lineRec
	for _, it := range items {
		if it.sec > s.asOfSec {
			var full bool
			if touched, full = t.moveTo(it.sec, touched); full {
				touched = touched[:0]
			}
		}
		if !it.order {
			e := &events[it.i]
			c, ok := t.Index(e.CustomerID)
			if e.CustomerID == 0 || !ok {
				continue
			}
			touched = append(touched, int32(c))
			s.applyEvent(int32(c), e)
			continue
		}
		ls := lines[it.i:it.j]
		c, ok := t.Index(ls[0].CustomerID)
		if ls[0].CustomerID == 0 || !ok {
			continue
		}
		touched = append(touched, int32(c))
		orders = append(orders[:0], s.header(&ls[0], int32(c)))
		lrecs = lrecs[:0]
		var amount float64
		for k := range ls {
			r := &ls[k]
			in := s.item(r.ItemID, r.Category, r.Brand)
			lrecs = append(lrecs, lineRec{amount: lineAmount(r), discount: r.Discount, cat: in.cat, brand: in.brand})
			amount += lrecs[k].amount
			if r.Coupon != "" {
				orders[0].coupon = true
			}
		}
		orders[0].nLines = int32(len(lrecs))
		s.applyOrder(orders, lrecs, amount)
	}
	touched = s.settle(touched)
	for _, c := range touched {
		s.derive(c)
	}
	return nil
}

// moveTo moves the as-of instant forward to sec during Apply; full reports a
// full Advance (a new calendar day), which derived every customer.
func (t *Table) moveTo(sec int64, touched []int32) ([]int32, bool) {
	s := t.st
	at := unixTime(sec).In(t.AsOf.Location())
	day, _ := s.dayHour(at)
	t.AsOf = at
	if day != s.k.asOf {
		s.setAsOf(at)
		s.full()
		return touched, true
	}
	s.asOfSec = sec
	return s.settle(touched), false
}

func (s *state) applyOrder(orders []orderRec, lines []lineRec, amount float64) {
	o := &orders[0]
	s.k.cats.reset()
	s.k.process(orders, lines)
	if !o.sale {
		return
	}
	c := o.cust
	nc := &s.num
	if age := int(s.k.asOf - o.day); age >= 0 && age < orderWindow {
		nc.o365[c]++
		nc.s365[c] += amount
		if age < 90 {
			nc.o90[c]++
			nc.s90[c] += amount
		}
		if age < 30 {
			nc.o30[c]++
			nc.s30[c] += amount
		}
		if s.m.promoDay(o.day) {
			s.promoHits[c]++
		}
	}
	cutoff := s.k.asOf - catWindow
	for e := range s.k.cats.all() {
		if s.catIdx.add(e.cust, e.cat, e.day, cutoff) {
			nc.cats180[e.cust]++
		}
	}
	s.k.cats.reset()
}

func (s *state) applyEvent(c int32, e *store.Event) {
	if !s.event(c, e) {
		return
	}
	ev := s.events[len(s.events)-1]
	nc := &s.num
	if !ev.cart {
		nc.v30[c]++
		if s.k.asOf-ev.day < 7 {
			nc.v7[c]++
		}
		return
	}
	nc.ca30[c]++
	p := pendingAdd{sec: ev.sec, cust: c}
	if p.sec+abandonSecs <= s.asOfSec { // late: its 24 hours have passed already
		if s.abandoned(p) {
			nc.cab30[c]++
		}
		return
	}
	i, _ := slices.BinarySearchFunc(s.pending, p.sec+1, func(a pendingAdd, sec int64) int { return cmp.Compare(a.sec, sec) })
	s.pending = slices.Insert(s.pending, i, p)
}

// addCustomers appends rows for customers new to the table.
func (t *Table) addCustomers(lines []store.LineRow, events []store.Event) error {
	var fresh []int64
	check := func(id int64) error {
		if id == 0 {
			return nil
		}
		if _, ok := t.Index(id); ok {
			return nil
		}
		if len(t.IDs) > 0 && id < t.IDs[len(t.IDs)-1] {
			return fmt.Errorf("customer %d is not in the feature table and older than its newest: %w", id, ErrRecompute)
		}
		fresh = append(fresh, id)
		return nil
	}
	for i := range lines {
		if err := check(lines[i].CustomerID); err != nil {
			return err
		}
	}
	for i := range events {
		if err := check(events[i].CustomerID); err != nil {
			return err
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	slices.Sort(fresh)
	fresh = slices.Compact(fresh)
	from := len(t.IDs)
	t.IDs = append(t.IDs, fresh...)
	n := len(t.IDs)
	s := t.st
	s.grow(n)
	s.bind(t, n)
	nc := &s.num
	for _, col := range [][]float64{nc.o30, nc.o90, nc.o365, nc.s30, nc.s90, nc.s365, nc.v7, nc.v30, nc.ca30, nc.cab30, nc.cats180} {
		clear(col[from:])
	}
	for c := from; c < n; c++ {
		s.derive(int32(c))
	}
	return nil
}

// ChurnColumn is the column of churn probabilities that, when another
// package adds it (predictions), moves customers who have not churned yet
// into the high-churn-risk lifecycle stage.
const ChurnColumn = "churn_probability"

// Rederive derives every customer's scores, classes and stage again from
// the table's state, without reading the store: after another package
// changed a column they depend on (ChurnColumn).
func (t *Table) Rederive() error {
	s := t.st
	if s == nil {
		return ErrNoState
	}
	s.risk = t.Num[ChurnColumn]
	s.fitRisk()
	s.deriveAll()
	return nil
}
