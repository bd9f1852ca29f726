package feature

import (
	"math"
	"math/bits"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// The aggregation kernel: order headers and lines, already reduced to dense
// numbers (customer, category, brand, ...), folded into per-customer
// accumulators held in one dense array. The customer is resolved once per
// order; no map is touched per row.

// orderRec is one order header as the kernel reads it.
type orderRec struct {
	sec     int64   // placed at, Unix seconds
	day     rfm.Day // calendar day in the shop's time zone
	cust    int32   // dense customer number; -1 for a guest or unknown customer
	channel int32   // interned; 0 unknown
	payment int32
	nLines  int32
	hour    uint8
	sale    bool // false: cancellation or return
	coupon  bool // the order or one of its lines carries a coupon
}

// lineRec is one order line.
type lineRec struct {
	amount   float64 // quantity × unit price (before discount)
	discount float64
	cat      int32 // interned; 0 unknown
	brand    int32
}

// acc accumulates one customer's history. It fills exactly three cache
// lines, so an order touches three lines that the kernel loads ahead of use;
// the rarely touched returns live in an array of their own.
type acc struct {
	monetary     float64 // sum of sale line amounts
	lastSec      int64   // last sale order, Unix seconds
	freq         int32   // sale orders
	lines        int32   // sale lines
	couponOrders int32
	first        rfm.Day // first sale order day
	last         rfm.Day // last sale order day
	prev         rfm.Day // the distinct sale order day before last
	lastEvent    rfm.Day // last event or order of any kind
	cat, brand   top4    // recency-weighted spend and views
	channel      small4  // recency-weighted order counts
	payment      small4
	hour         hours // order counts by hour of day
	disc         discAcc
}

// discAcc accumulates the discounts a customer took. The sums are float32:
// they only make a ratio (the discount depth).
type discAcc struct {
	discount   float32 // sum of discounts on sale lines
	discAmount float32 // pre-discount amount of the discounted sale lines
	lines      int32   // discounted sale lines
}

func newAcc() acc {
	return acc{first: math.MaxInt32, last: rfm.NoDay, prev: rfm.NoDay, lastEvent: rfm.NoDay}
}

// hours counts orders by hour of day; counts halve when one would overflow.
type hours [24]uint8

func (h *hours) add(hour uint8) {
	if h[hour] == math.MaxUint8 {
		for i := range h {
			h[i] /= 2
		}
	}
	h[hour]++
}

// best returns the hour of most orders (the earliest on ties), -1 when none.
func (h *hours) best() int {
	b := -1
	for i, n := range h {
		if n > 0 && (b < 0 || n > h[b]) {
			b = i
		}
	}
	return b
}

// small4 is top4 for keys below 32768 (channels, payment methods); larger
// keys are not counted.
type small4 struct {
	k [4]int16
	w [4]float32
}

func (t *small4) add(key int32, w float32) {
	if key <= 0 || key > math.MaxInt16 {
		return
	}
	k := int16(key)
	m := b2u(t.k[0] == k) | b2u(t.k[1] == k)<<1 | b2u(t.k[2] == k)<<2 | b2u(t.k[3] == k)<<3
	if m == 0 {
		i := lightest(&t.w)
		t.k[i] = k
		t.w[i] += w
		return
	}
	t.w[bits.TrailingZeros8(m)&3] += w
}

func (t *small4) best() int32 {
	var b int16
	var bw float32
	for i := range 4 {
		if t.k[i] != 0 && (b == 0 || t.w[i] > bw || t.w[i] == bw && t.k[i] < b) {
			b, bw = t.k[i], t.w[i]
		}
	}
	return int32(b)
}

func (t *small4) scale(f float32) {
	for i := range t.w {
		t.w[i] *= f
	}
}

// top4 keeps a customer's four heaviest keys by the Space-Saving algorithm
// (Metwally et al. 2005): exact while the customer has at most four distinct
// keys; beyond that, any key holding more than a quarter of the weight is
// kept, and its weight overestimated by at most the evicted weight.
type top4 struct {
	k [4]int32
	w [4]float32
}

// add adds w to key (never 0). The slot lookup is branch-free: with the
// random keys of real baskets, branches would mispredict.
func (t *top4) add(key int32, w float32) {
	m := b2u(t.k[0] == key) | b2u(t.k[1] == key)<<1 | b2u(t.k[2] == key)<<2 | b2u(t.k[3] == key)<<3
	if m == 0 {
		// not held: take the lightest slot; empty slots weigh 0 and fill in
		// order, and a replaced key passes its weight on (Space-Saving)
		t.replace(key, w)
		return
	}
	t.w[bits.TrailingZeros8(m)&3] += w
}

// replace puts key in the lightest slot. Weights are compared by their bits
// as integers (the same order for the non-negative weights kept here), which
// compiles to conditional moves.
func (t *top4) replace(key int32, w float32) {
	i := lightest(&t.w)
	t.k[i] = key
	t.w[i] += w
}

func lightest(w *[4]float32) int {
	i, mw := 0, int32(math.Float32bits(w[0]))
	if x := int32(math.Float32bits(w[1])); x < mw {
		i, mw = 1, x
	}
	if x := int32(math.Float32bits(w[2])); x < mw {
		i, mw = 2, x
	}
	if x := int32(math.Float32bits(w[3])); x < mw {
		i = 3
	}
	return i
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// best returns the heaviest key, the smallest key on ties; 0 when empty.
func (t *top4) best() int32 {
	var b int32
	var bw float32
	for i := range 4 {
		if t.k[i] != 0 && (b == 0 || t.w[i] > bw || t.w[i] == bw && t.k[i] < b) {
			b, bw = t.k[i], t.w[i]
		}
	}
	return b
}

func (t *top4) scale(f float32) {
	for i := range t.w {
		t.w[i] *= f
	}
}

// orderEntry is a sale order kept for the time windows (the last 365 days).
type orderEntry struct {
	sec    int64
	amount float64
	cust   int32
	day    rfm.Day
	promo  bool // carried a discount or a coupon
}

// catEntry is a (customer, category) bought on a day, for distinct
// categories over the last 180 days.
type catEntry struct {
	cust int32
	cat  int32
	day  rfm.Day
}

// Window lengths, in days.
const (
	orderWindow = 365
	catWindow   = 180
	eventWindow = 30
	abandonSecs = 24 * 3600
)

// kernel folds orders into accumulators.
type kernel struct {
	acc      []acc
	ret      []float64 // value of cancellations and returns, positive
	wTab     []float32 // decay weights by age in days, made for wTabAsOf and wTabRef
	wTabAsOf rfm.Day
	asOf     rfm.Day
	ref      rfm.Day // reference day of the preference weights
	halfLife float64
	orders   log[orderEntry] // sale orders within orderWindow
	cats     log[catEntry]   // sale lines with a category within catWindow
	wTabRef  rfm.Day
	sink     int32 // keeps the prefetch loads
}

// weight is the preference weight of day d: 2^((d − ref)/halfLife), read
// from a table for the last few years.
func (k *kernel) weight(d rfm.Day) float32 {
	if k.wTab == nil || k.wTabAsOf != k.asOf || k.wTabRef != k.ref {
		k.wTab, k.wTabAsOf, k.wTabRef = make([]float32, 4096), k.asOf, k.ref
		for i := range k.wTab {
			k.wTab[i] = float32(math.Exp2(float64(k.asOf-rfm.Day(i)-k.ref) / k.halfLife))
		}
	}
	if age := uint(k.asOf - d); age < uint(len(k.wTab)) {
		return k.wTab[age]
	}
	return float32(math.Exp2(float64(d-k.ref) / k.halfLife))
}

// prefetch is the number of orders whose accumulators are loaded together
// ahead of use: the loads are independent, so the cache misses of a random
// customer order overlap instead of following one another.
const prefetch = 16

// touch loads every cache line of the orders' accumulators.
func (k *kernel) touch(orders []orderRec) {
	var sink int32
	for i := range orders {
		if c := orders[i].cust; c >= 0 {
			a := &k.acc[c]
			sink += a.freq + a.cat.k[0] + a.brand.k[3] + int32(a.payment.k[3]) + int32(a.hour[23])
			if !orders[i].sale {
				sink += int32(k.ret[c])
			}
		}
	}
	k.sink += sink
}

// process folds a chunk of orders and their lines (in order) into the
// accumulators.
func (k *kernel) process(orders []orderRec, lines []lineRec) {
	pos := 0
	orderFrom := k.asOf - orderWindow
	catFrom := k.asOf - catWindow
	for i := range orders {
		if i%prefetch == 0 {
			k.touch(orders[min(i+prefetch/2, len(orders)):min(i+prefetch+prefetch/2, len(orders))])
		}
		o := &orders[i]
		ls := lines[pos : pos+int(o.nLines)]
		pos += int(o.nLines)
		if o.cust < 0 {
			continue
		}
		a := &k.acc[o.cust]
		if o.day > a.lastEvent {
			a.lastEvent = o.day
		}
		if !o.sale {
			var amt float64
			for j := range ls {
				amt += ls[j].amount
			}
			k.ret[o.cust] += math.Abs(amt)
			continue
		}
		w := k.weight(o.day)
		inCats := o.day > catFrom
		var amt, disc, discAmt float64
		var discLines, prevCat int32
		for j := range ls {
			l := &ls[j]
			amt += l.amount
			if l.discount > 0 {
				disc += l.discount
				discAmt += l.amount
				discLines++
			}
			if l.cat != 0 {
				a.cat.add(l.cat, w*float32(l.amount))
				if inCats && l.cat != prevCat {
					k.cats.add(catEntry{cust: o.cust, cat: l.cat, day: o.day})
					prevCat = l.cat
				}
			}
			if l.brand != 0 {
				a.brand.add(l.brand, w*float32(l.amount))
			}
		}
		a.monetary += amt
		a.freq++
		a.lines += o.nLines
		if discLines > 0 {
			a.disc.discount += float32(disc)
			a.disc.discAmount += float32(discAmt)
			a.disc.lines += discLines
		}
		if o.coupon {
			a.couponOrders++
		}
		switch {
		case o.day > a.last:
			if a.last != rfm.NoDay {
				a.prev = a.last
			}
			a.last = o.day
		case o.day < a.last && o.day > a.prev:
			a.prev = o.day
		}
		if o.day < a.first {
			a.first = o.day
		}
		if o.sec > a.lastSec {
			a.lastSec = o.sec
		}
		if o.channel != 0 {
			a.channel.add(o.channel, w)
		}
		if o.payment != 0 {
			a.payment.add(o.payment, w)
		}
		a.hour.add(o.hour)
		if o.day > orderFrom {
			k.orders.add(orderEntry{sec: o.sec, amount: amt, cust: o.cust, day: o.day, promo: o.coupon || discLines > 0})
		}
	}
}
