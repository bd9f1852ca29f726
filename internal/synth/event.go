package synth

import (
	"math"
	"strconv"
)

// How an event's value is written.
const (
	valueNone = iota
	valueMoney
	valueInt
)

// event writes one behaviour event; cust is empty for an anonymous visitor.
func (c *chunk) event(cust []byte, typ string, t int64, ix int32, value int64, kind int) {
	w := c.w
	if t < w.cal.start || t >= w.cal.end {
		return
	}
	c.nextEvent++
	b := c.buf[outEvents]
	b = append(b, 'E')
	b = appendPadded(b, c.idx*idsPerChunk+c.nextEvent, w.eventWidth)
	b = append(b, ',')
	b = append(b, cust...)
	b = append(b, ',')
	b = append(b, typ...)
	b = append(b, ',')
	b = c.appendTime(b, t)
	b = append(b, ',')
	if ix >= 0 {
		b = append(b, w.cat.items[ix].id...)
	}
	b = append(b, ',')
	switch kind {
	case valueMoney:
		b = appendCents(b, value)
	case valueInt:
		b = strconv.AppendInt(b, value, 10)
	}
	c.buf[outEvents] = append(b, '\n')
	c.rows[outEvents]++
	c.st.Events++
	if len(cust) == 0 {
		c.st.AnonymousEvents++
	}
}

// browsing writes the person's visits that did not end in a purchase.
func (c *chunk) browsing() {
	w, r, p := c.w, c.r, &c.p
	cal := w.cal
	// The person's share of the event budget grows with activity and with
	// the time they are around; purchase sessions count against it.
	from := max(p.from, cal.start)
	if p.to <= from {
		return
	}
	span := float64(p.to-from) / float64(cal.end-cal.start)
	budget := w.opts.EventsPerCustomer * p.activity * min(1, 2*span) * (0.5 + 0.5*math.Sqrt(p.lambda*lambdaRate/lambdaShape))
	if p.shop {
		budget = 0.75*budget - p.purchaseEvents
	} else {
		budget *= 0.3
	}
	for k := poisson(r, max(0, budget)/4); k > 0; k-- {
		t := cal.atHour(r, cal.sample(r, from, p.to, cal.browse, cal.browseMax), cal.webHour)
		var cust []byte
		if p.shop && r.Float64() < 0.6 {
			cust = p.shopID
		}
		c.browseSession(cust, t, true)
	}
}

// browseSession writes one visit starting at t: some searching and viewing,
// now and then an abandoned cart, a favourite or a service ticket. own tells
// whether the visitor is the current person (with their tastes), identified
// by cust or not, or a stranger.
func (c *chunk) browseSession(cust []byte, t int64, own bool) {
	r, cat := c.r, c.w.cat
	d := c.w.cal.dayOf(t)
	month := c.w.cal.month[d]
	known := len(cust) > 0
	step := func() int64 {
		t += int64(5 + r.IntN(120))
		return t
	}
	if known && r.Float64() < 0.4 {
		c.event(cust, "login", step(), -1, 0, valueNone)
	}
	if r.Float64() < 0.5 {
		c.event(cust, "search", step(), -1, 0, valueNone)
	}
	c.views = c.views[:0]
	li := -1
	for k := 1 + geometric(r, 0.35); k > 0; k-- {
		if li < 0 || r.Float64() < 0.3 {
			if own {
				li = c.pickLeaf(month)
			} else {
				li = pick(r, cat.leafCum[month])
			}
		}
		ix := cat.byPopularity(r, li, int32(d))
		c.views = append(c.views, ix)
		c.event(cust, "view", step(), ix, 0, valueNone)
	}
	if r.Float64() < 0.22 { // an abandoned cart
		ix := c.views[r.IntN(len(c.views))]
		price := cat.items[ix].price
		c.event(cust, "cart_add", step(), ix, price, valueMoney)
		if r.Float64() < 0.35 {
			c.event(cust, "cart_remove", step(), ix, price, valueMoney)
		}
	}
	if r.Float64() < 0.06 {
		c.event(cust, "favorite", step(), c.views[r.IntN(len(c.views))], 0, valueNone)
	}
	if known && r.Float64() < 0.01 {
		c.event(cust, "service_ticket", step(), -1, 0, valueNone)
	}
}
