package feature

import (
	"cmp"
	"slices"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// catIndex holds, per customer, the categories bought within the category
// window with the last day each was bought: a compressed sparse row block
// built by a full recompute, plus the pairs an incremental update added.
type catIndex struct {
	off   []int32 // customer c's entries are [off[c], off[c+1])
	cat   []int32 // ascending within a customer
	day   []rfm.Day
	extra map[uint64]rfm.Day // (customer << 32 | category) → last day
}

func catKey(c, cat int32) uint64 { return uint64(uint32(c))<<32 | uint64(uint32(cat)) }

// buildCatIndex keeps the entries with day > cutoff, one per (customer,
// category) with the latest day.
func buildCatIndex(entries *log[catEntry], n int, cutoff rfm.Day) catIndex {
	off := make([]int32, n+1)
	for e := range entries.all() {
		if e.day > cutoff {
			off[e.cust+1]++
		}
	}
	for c := range n {
		off[c+1] += off[c]
	}
	keys := make([]uint64, off[n])
	next := slices.Clone(off[:n])
	for e := range entries.all() {
		if e.day > cutoff {
			// category high, day low (biased so that the order is numeric)
			keys[next[e.cust]] = uint64(uint32(e.cat))<<32 | uint64(uint32(e.day)^0x8000_0000)
			next[e.cust]++
		}
	}
	ci := catIndex{off: make([]int32, n+1), cat: make([]int32, 0, len(keys)), day: make([]rfm.Day, 0, len(keys))}
	for c := range n {
		seg := keys[off[c]:off[c+1]]
		if len(seg) > 1 {
			slices.Sort(seg)
		}
		for i, k := range seg {
			if i+1 < len(seg) && seg[i+1]>>32 == k>>32 {
				continue // a later day of the same category follows
			}
			ci.cat = append(ci.cat, int32(k>>32))
			ci.day = append(ci.day, rfm.Day(uint32(k)^0x8000_0000))
		}
		ci.off[c+1] = int32(len(ci.cat))
	}
	return ci
}

// entries lists the index's pairs (the block and the extra ones).
func (ci *catIndex) entries() *log[catEntry] {
	var out log[catEntry]
	for c := 0; c+1 < len(ci.off); c++ {
		for i := ci.off[c]; i < ci.off[c+1]; i++ {
			out.add(catEntry{cust: int32(c), cat: ci.cat[i], day: ci.day[i]})
		}
	}
	for k, d := range ci.extra {
		out.add(catEntry{cust: int32(k >> 32), cat: int32(uint32(k)), day: d})
	}
	return &out
}

// last returns the last day customer c bought category cat, NoDay if never
// (within the window).
func (ci *catIndex) last(c, cat int32) rfm.Day {
	d := rfm.NoDay
	if int(c)+1 < len(ci.off) {
		seg := ci.cat[ci.off[c]:ci.off[c+1]]
		if i, ok := slices.BinarySearch(seg, cat); ok {
			d = ci.day[int(ci.off[c])+i]
		}
	}
	if x, ok := ci.extra[catKey(c, cat)]; ok && x > d {
		d = x
	}
	return d
}

// add records a purchase and reports whether the category is new to the
// customer's window (last bought on or before cutoff, or never).
func (ci *catIndex) add(c, cat int32, day, cutoff rfm.Day) bool {
	prev := ci.last(c, cat)
	if day <= prev {
		return false
	}
	if ci.extra == nil {
		ci.extra = make(map[uint64]rfm.Day)
	}
	ci.extra[catKey(c, cat)] = day
	return prev <= cutoff && day > cutoff
}

func (ci *catIndex) grow(n int) {
	if len(ci.off) == 0 {
		ci.off = []int32{0}
	}
	for len(ci.off) < n+1 {
		ci.off = append(ci.off, ci.off[len(ci.off)-1])
	}
}

// recomputeWindows trims the recent orders and events to their windows as of
// the as-of day and recounts every window feature from them.
func (s *state) recomputeWindows(kernelCats *log[catEntry]) {
	n := len(s.k.acc)
	asOf := s.k.asOf
	nc := &s.num
	for _, col := range [][]float64{nc.o30, nc.o90, nc.o365, nc.s30, nc.s90, nc.s365, nc.v7, nc.v30, nc.ca30, nc.cab30, nc.cats180} {
		clear(col)
	}
	clear(s.promoHits)

	// orders: windows, promotion days, promotion hits
	var dayOrders, dayPromoted [orderWindow]int64
	s.k.orders.filter(func(e *orderEntry) bool {
		age := int(asOf - e.day)
		if age >= orderWindow || age < 0 {
			return false
		}
		dayOrders[age]++
		if e.promo {
			dayPromoted[age]++
		}
		nc.o365[e.cust]++
		nc.s365[e.cust] += e.amount
		if age < 90 {
			nc.o90[e.cust]++
			nc.s90[e.cust] += e.amount
		}
		if age < 30 {
			nc.o30[e.cust]++
			nc.s30[e.cust] += e.amount
		}
		return true
	})
	s.m.PromoBase, s.m.Promo = asOf, rfm.PromoDays(dayOrders[:], dayPromoted[:], 10, 2)
	if s.m.Promo != nil {
		for e := range s.k.orders.all() {
			if s.m.promoDay(e.day) {
				s.promoHits[e.cust]++
			}
		}
	}

	// events: views, cart adds and their abandonment
	type custSec struct {
		cust int32
		sec  int64
	}
	var recent []custSec // sale orders that can convert a cart add in the window
	for e := range s.k.orders.all() {
		if int(asOf-e.day) <= eventWindow {
			recent = append(recent, custSec{e.cust, e.sec})
		}
	}
	slices.SortFunc(recent, func(a, b custSec) int { return cmp.Or(cmp.Compare(a.cust, b.cust), cmp.Compare(a.sec, b.sec)) })
	evKeep := s.events[:0]
	s.pending = s.pending[:0]
	for _, e := range s.events {
		age := int(asOf - e.day)
		if age >= eventWindow || age < 0 {
			continue
		}
		evKeep = append(evKeep, e)
		if !e.cart {
			nc.v30[e.cust]++
			if age < 7 {
				nc.v7[e.cust]++
			}
			continue
		}
		nc.ca30[e.cust]++
		if e.sec+abandonSecs > s.asOfSec {
			s.pending = append(s.pending, pendingAdd{e.sec, e.cust})
			continue
		}
		i, _ := slices.BinarySearchFunc(recent, custSec{e.cust, e.sec}, func(a, b custSec) int {
			return cmp.Or(cmp.Compare(a.cust, b.cust), cmp.Compare(a.sec, b.sec))
		})
		if i == len(recent) || recent[i].cust != e.cust || recent[i].sec > e.sec+abandonSecs {
			nc.cab30[e.cust]++
		}
	}
	s.events = evKeep
	slices.SortStableFunc(s.pending, func(a, b pendingAdd) int { return cmp.Compare(a.sec, b.sec) })

	// distinct categories
	cutoff := asOf - catWindow
	if kernelCats == nil {
		kernelCats = s.catIdx.entries()
	}
	s.catIdx = buildCatIndex(kernelCats, n, cutoff)
	for c := range n {
		nc.cats180[c] = float64(s.catIdx.off[c+1] - s.catIdx.off[c])
	}
}

// settle counts the pending cart adds whose 24 hours have passed: abandoned
// unless the customer placed a sale order since. It returns the customers
// it changed.
func (s *state) settle(touched []int32) []int32 {
	i := 0
	for ; i < len(s.pending); i++ {
		p := s.pending[i]
		if p.sec+abandonSecs > s.asOfSec {
			break
		}
		if s.abandoned(p) {
			s.num.cab30[p.cust]++
			touched = append(touched, p.cust)
		}
	}
	s.pending = append(s.pending[:0], s.pending[i:]...)
	return touched
}

// abandoned tells whether a cart add whose 24 hours have passed had no sale
// order after it, and still lies within the window.
func (s *state) abandoned(p pendingAdd) bool {
	last := s.k.acc[p.cust].lastSec
	converted := last >= p.sec && last <= p.sec+abandonSecs
	d, _ := s.dayHour(unixTime(p.sec))
	return !converted && int(s.k.asOf-d) < eventWindow
}
