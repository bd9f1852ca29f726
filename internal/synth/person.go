package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// chunk generates chunkSize consecutive people from its own random stream
// into one buffer per output stream.
type chunk struct {
	w    *world
	pcg  rand.PCG
	r    *rand.Rand
	idx  int64
	buf  [nOut][]byte
	rows [nOut]int64
	st   Truth

	nextOrder, nextEvent int64 // ids used so far in this chunk

	// The date last formatted by appendTime: most rows fall on the day of
	// the row before.
	cacheDay  int64
	cacheDate []byte

	// Scratch reused from person to person.
	p      person
	orders []int64
	store  []bool // whether orders[i] was made in a store
	lines  []line
	bought []int32
	views  []int32
}

// person holds one person's identity and hidden behaviour.
type person struct {
	no                       int64
	crm, shop, pos           bool
	crmID, shopID, posID     []byte
	country                  int
	first, last              name
	female                   bool
	lambda, pDrop, spend, ps float64
	appShare, storeShare     float64
	webPay, storePay         int
	fav                      [3]int32
	favCum                   [3]float64
	nFav                     int
	activity                 float64
	acquired, dropped        int64 // -1 when never / not
	from, to                 int64 // when the person visits the web shop
	purchaseEvents           float64
}

// line is one line of the basket being written.
type line struct {
	item     int32
	qty      int64
	price    int64
	discount int64
}

// day is a day in seconds.
const day = 86400

// Heterogeneity of purchase rates: λ ~ Gamma(shape, rate), mean 0.01 a day.
const (
	lambdaShape = 0.8
	lambdaRate  = 80.0
)

// generate fills the buffers with chunk idx: its people, then anonymous
// visitors up to the event budget.
func (c *chunk) generate(idx int64) {
	w := c.w
	c.idx = idx
	c.pcg.Seed(uint64(w.opts.Seed), uint64(idx)*0x9e3779b97f4a7c15+0x632be59bd9b4e019)
	if c.r == nil {
		c.r = rand.New(&c.pcg)
	}
	for i := range c.buf {
		c.buf[i] = c.buf[i][:0]
		c.rows[i] = 0
	}
	c.st = Truth{}
	c.nextOrder, c.nextEvent = 0, 0
	c.cacheDay, c.cacheDate = math.MinInt64, c.cacheDate[:0]
	first := idx * chunkSize
	last := min(first+chunkSize, int64(w.opts.Customers))
	for no := first; no < last; no++ {
		c.person(no)
	}
	// Anonymous visitors make up the rest of the event budget.
	target := int64(w.opts.EventsPerCustomer * float64(last-first))
	for c.st.Events < target {
		t := w.cal.sample(c.r, w.cal.start, w.cal.end, w.cal.browse, w.cal.browseMax)
		t = max(w.cal.atHour(c.r, t, w.cal.webHour), w.cal.start)
		c.browseSession(nil, t, false)
	}
}

// person draws person no and writes everything about them.
func (c *chunk) person(no int64) {
	w, r, p := c.w, c.r, &c.p
	cal := w.cal
	*p = person{no: no, crmID: p.crmID[:0], shopID: p.shopID[:0], posID: p.posID[:0], acquired: -1, dropped: -1}
	mix := sourceMix[pick(r, w.sourceCum)]
	p.crm, p.shop, p.pos = mix.crm, mix.shop, mix.pos
	if p.crm {
		p.crmID = appendPadded(append(p.crmID, 'C'), w.crmNo.at(no), w.idWidth)
		c.st.InCRM++
	}
	if p.shop {
		p.shopID = appendPadded(append(p.shopID, 'S'), w.shopNo.at(no), w.idWidth)
		c.st.InShop++
	}
	if p.pos {
		p.posID = appendPadded(append(p.posID, 'P'), w.posNo.at(no), w.idWidth)
		c.st.InPOS++
	}
	c.st.People++
	c.st.ExpectedCustomers++
	if p.shop && p.pos && !p.crm {
		c.st.ExpectedCustomers++
		c.st.Unlinkable++
	}

	// Who they are.
	p.country = pick(r, w.countryCum)
	p.female = r.IntN(2) == 0
	if p.female {
		p.first = femaleNames[r.IntN(len(femaleNames))]
	} else {
		p.first = maleNames[r.IntN(len(maleNames))]
	}
	p.last = lastNames[r.IntN(len(lastNames))]

	// How they buy (the hidden truth).
	p.lambda = min(gamma(r, lambdaShape, 1.0/lambdaRate), 0.3) // purchases per day
	p.pDrop = beta(r, 0.8, 3.2)
	nu := gamma(r, 4, 1.0/55)
	p.spend = min(3/nu, 3000) // mean order value (Gamma-Gamma, p = 3)
	p.ps = beta(r, 1.2, 2.8)
	if p.spend < 40 {
		p.ps = min(1, p.ps*1.3)
	}
	p.appShare = beta(r, 1.5, 2.5)
	p.storeShare = beta(r, 2, 2)
	p.webPay = pick(r, webPayCum)
	p.storePay = pick(r, storePayCum)
	p.nFav = 1 + r.IntN(3)
	s := 0.0
	for k := range p.nFav {
		p.fav[k] = int32(pick(r, w.leafCum))
		s += gamma(r, 1, 1)
		p.favCum[k] = s
	}
	p.activity = gamma(r, 2, 0.5)

	prospect := r.Float64() < 0.12
	if p.crm && !p.shop && !p.pos {
		prospect = r.Float64() < 0.4
	}

	// Purchase times: a BG/NBD process with seasonality. The first purchase
	// is the acquisition; after each repeat purchase the person drops out
	// with probability pDrop.
	c.orders, c.store = c.orders[:0], c.store[:0]
	var signup int64
	if prospect {
		signup = cal.sample(r, cal.from, cal.end, cal.acquire, cal.acquireMax)
		p.from, p.to = signup, cal.end
	} else {
		t0 := cal.sample(r, cal.from, cal.end, cal.acquire, cal.acquireMax)
		c.place(t0)
		p.acquired = c.orders[0]
		fmax := cal.buyMax * (1 + promoBoost*p.ps)
		rate := p.lambda * fmax / day // candidates per second
		t := float64(p.acquired)
		for len(c.orders) < 500 {
			t += r.ExpFloat64() / rate
			if t >= float64(cal.end) {
				break
			}
			d := cal.dayOf(int64(t))
			if r.Float64()*fmax > cal.buy[d]*(1+promoBoost*p.ps*cal.promo[d]) {
				continue
			}
			c.place(int64(t))
			if r.Float64() < p.pDrop {
				p.dropped = c.orders[len(c.orders)-1]
				break
			}
		}
		signup = max(cal.from, p.acquired-int64(r.Float64()*45*day))
		p.from = p.acquired - 30*day
		p.to = cal.end
		if p.dropped >= 0 {
			p.to = min(cal.end, p.dropped+int64(10+r.IntN(40))*day)
		}
		if c.orders[len(c.orders)-1] >= cal.start {
			c.st.Buyers++
		}
		if p.dropped < 0 {
			c.st.AliveAtEnd++
		}
	}

	c.customerRecords(signup)

	c.bought = c.bought[:0]
	p.purchaseEvents = 0
	for k, t := range c.orders {
		if t >= cal.start {
			c.order(t, k == 0, c.store[k])
		}
	}
	c.browsing()
	c.truthRow()
}

// appendTime is appendRFC3339 with the date cached.
func (c *chunk) appendTime(b []byte, t int64) []byte {
	d := floorDiv(t, day)
	if d != c.cacheDay {
		c.cacheDay, c.cacheDate = d, appendDate(c.cacheDate[:0], d)
	}
	return appendClock(append(b, c.cacheDate...), t-d*day)
}

// truthRow writes the person's hidden parameters.
func (c *chunk) truthRow() {
	p := &c.p
	b := c.buf[outTruth]
	b = strconv.AppendInt(b, p.no+1, 10)
	b = append(b, ',')
	b = append(b, p.crmID...)
	b = append(b, ',')
	b = append(b, p.shopID...)
	b = append(b, ',')
	b = append(b, p.posID...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.lambda, 'g', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.pDrop, 'g', 6, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, math.Round(p.spend*100)/100, 'f', 2, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.ps, 'g', 6, 64)
	b = append(b, ',')
	b = strconv.AppendBool(b, p.dropped < 0)
	b = append(b, ',')
	if p.acquired >= 0 {
		b = appendRFC3339(b, p.acquired)
	}
	b = append(b, ',')
	if p.dropped >= 0 {
		b = appendRFC3339(b, p.dropped)
	}
	c.buf[outTruth] = append(b, '\n')
	c.rows[outTruth]++
}
