package feature

import (
	"math"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// state is what a computed Table keeps to update itself incrementally: the
// per-customer accumulators, the recent orders and events the time windows
// are counted from, the fitted models and the interned names.
type state struct {
	opts    Options
	asOfSec int64
	k       kernel
	events  []eventEntry // views and cart adds within eventWindow
	pending []pendingAdd // cart adds younger than 24 h, by time
	catIdx  catIndex
	// promoHits counts each customer's orders of the last 365 days placed on
	// a promotion day.
	promoHits []int32
	// risk is the churn probability column (ChurnColumn) when another
	// package added one (predictions); it drives the high-churn-risk stage.
	risk []float64

	cats, brands, channels, payments dict
	items                            map[string]itemInfo

	m    models
	num  numCols
	text textCols
}

// models are fitted on the whole population by a full derive and then used
// unchanged to score the customers an incremental update touches.
type models struct {
	R, F, M      rfm.Scorer
	Class        rfm.ClassModel
	Life         rfm.Lifecycle
	PromoBase    rfm.Day // Promo[i] tells whether day PromoBase−i was a promotion day
	Promo        []bool
	HasDiscounts bool
	HasCoupons   bool
	ViewWeight   float64
}

func (m *models) promoDay(d rfm.Day) bool {
	i := int(m.PromoBase - d)
	return i >= 0 && i < len(m.Promo) && m.Promo[i]
}

type eventEntry struct {
	sec  int64
	cust int32
	day  rfm.Day
	cart bool // a cart add; else a view
}

type pendingAdd struct {
	sec  int64
	cust int32
}

type itemInfo struct{ cat, brand int32 }

// dict interns names: id 0 is "".
type dict struct {
	names []string
	ids   map[string]int32
}

func (d *dict) id(s string) int32 {
	if s == "" {
		return 0
	}
	if id, ok := d.ids[s]; ok {
		return id
	}
	if d.ids == nil {
		d.ids = make(map[string]int32)
		if len(d.names) == 0 {
			d.names = []string{""}
		}
		for i, n := range d.names {
			d.ids[n] = int32(i)
		}
		if id, ok := d.ids[s]; ok {
			return id
		}
	}
	s = strings.Clone(s)
	id := int32(len(d.names))
	d.names = append(d.names, s)
	d.ids[s] = id
	return id
}

func (d *dict) name(id int32) string {
	if id <= 0 || int(id) >= len(d.names) {
		return ""
	}
	return d.names[id]
}

func newState(n int, asOf time.Time, opts Options) *state {
	s := &state{opts: opts, items: make(map[string]itemInfo)}
	s.setAsOf(asOf)
	s.k.ref = s.k.asOf
	s.k.halfLife = opts.HalfLife
	s.k.wTab = nil
	s.k.acc = make([]acc, n)
	adviseHuge(s.k.acc)
	s.k.ret = make([]float64, n)
	for i := range s.k.acc {
		s.k.acc[i] = newAcc()
	}
	s.promoHits = make([]int32, n)
	return s
}

func (s *state) setAsOf(t time.Time) {
	s.asOfSec = t.Unix()
	s.k.asOf = rfm.DayOf(t, s.opts.Location)
	s.k.wTab = nil
}

// dayHour returns the calendar day and hour of t in the shop's zone.
func (s *state) dayHour(t time.Time) (rfm.Day, uint8) {
	if s.opts.Location == time.UTC {
		u := t.Unix()
		d := u / 86400
		if u%86400 < 0 {
			d--
		}
		return rfm.Day(d), uint8((u - d*86400) / 3600)
	}
	t = t.In(s.opts.Location)
	y, m, dd := t.Date()
	return rfm.Day(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix() / 86400), uint8(t.Hour())
}

// item interns an item's category and brand, remembering the item for the
// views of it.
func (s *state) item(id, category, brand string) itemInfo {
	if category == "" && brand == "" {
		return itemInfo{} // nothing to intern, nothing a view could add
	}
	if id == "" {
		return itemInfo{s.cats.id(category), s.brands.id(brand)}
	}
	if it, ok := s.items[id]; ok {
		return it
	}
	it := itemInfo{s.cats.id(category), s.brands.id(brand)}
	s.items[strings.Clone(id)] = it
	return it
}

// grow adds rows for new customers.
func (s *state) grow(n int) {
	for len(s.k.acc) < n {
		s.k.acc = append(s.k.acc, newAcc())
		s.k.ret = append(s.k.ret, 0)
		s.promoHits = append(s.promoHits, 0)
	}
	s.catIdx.grow(n)
}

// rebase moves the reference day of the preference weights to the as-of
// day, so that weights stay within float32 range however long the table
// lives. The ranking of keys is unchanged.
func (s *state) rebase() {
	if d := s.k.asOf - s.k.ref; d > -orderWindow && d < orderWindow {
		return
	}
	f := float32(math.Exp2(float64(s.k.ref-s.k.asOf) / s.k.halfLife))
	for i := range s.k.acc {
		a := &s.k.acc[i]
		a.cat.scale(f)
		a.brand.scale(f)
		a.channel.scale(f)
		a.payment.scale(f)
	}
	s.k.ref = s.k.asOf
	s.k.wTab = nil
}
