package synth

import (
	"math"
	"strconv"
)

// Payment methods and their popularity.
var (
	webPayments   = []string{"card", "paypal", "wallet", "cod"}
	webPayCum     = cumulative([]float64{50, 30, 12, 8})
	storePayments = []string{"card", "cash", "wallet"}
	storePayCum   = cumulative([]float64{65, 25, 10})
)

// pickLeaf draws a leaf category for the person in the given month: mostly a
// favourite, sometimes whatever is in season.
func (c *chunk) pickLeaf(month uint8) int {
	p, r := &c.p, c.r
	if p.nFav == 0 || r.Float64() < 0.25 {
		return pick(r, c.w.cat.leafCum[month])
	}
	return int(p.fav[pick(r, p.favCum[:p.nFav])])
}

// place records a purchase on the day of t: in a store or online, at a time
// of day that suits the channel.
func (c *chunk) place(t int64) {
	r, p, cal := c.r, &c.p, c.w.cal
	store := false
	switch {
	case p.shop && p.pos:
		store = r.Float64() < p.storeShare
	case p.shop:
		store = r.Float64() < 0.05 // a guest purchase in a store
	default:
		store = true
	}
	if store {
		t = cal.atHour(r, t, cal.storeHour)
	} else {
		t = cal.atHour(r, t, cal.webHour)
	}
	if n := len(c.orders); n > 0 && t <= c.orders[n-1] { // keep purchases in order
		t = min(c.orders[n-1]+int64(600+r.IntN(3600)), cal.end-1)
	}
	c.orders = append(c.orders, t)
	c.store = append(c.store, store)
}

// order writes one purchase (and its cancellation or return) made at t, and
// the browsing that led to it.
func (c *chunk) order(t int64, first, store bool) {
	w, r, p := c.w, c.r, &c.p
	cal, cat := w.cal, w.cat
	d := cal.dayOf(t)
	month := cal.month[d]

	// The basket: Gamma-distributed order value around the person's mean.
	target := gamma(r, 3, p.spend/3) * 100
	n := 1 + min(poisson(r, 0.55), 5)
	c.lines = c.lines[:0]
	for range n {
		li := c.pickLeaf(month)
		var ix int32 = -1
		if cat.leaves[li].def.consumable && len(c.bought) > 0 && r.Float64() < 0.5 {
			for _, b := range c.bought {
				if int(cat.items[b].leaf) == li && cat.sellable(b, int32(d)) {
					ix = b
					break
				}
			}
		}
		lt := target / float64(n) * math.Exp(0.3*r.NormFloat64())
		if ix < 0 {
			ix = cat.byPrice(r, li, int64(lt), int32(d))
		}
		dup := false
		for _, l := range c.lines {
			dup = dup || l.item == ix
		}
		if dup {
			continue
		}
		price := cat.items[ix].price
		qty := int64(1)
		if lt > 1.8*float64(price) && r.Float64() < 0.5 {
			qty = min(5, max(1, int64(math.Round(lt/float64(price)))))
		}
		c.lines = append(c.lines, line{item: ix, qty: qty, price: price})
		if len(c.bought) < 32 {
			c.bought = append(c.bought, ix)
		}
	}

	if store {
		carded := p.pos && r.Float64() < 0.88
		var cust []byte
		if carded {
			cust = p.posID
			if r.Float64() < 0.3*p.ps { // loyalty discount
				for i := range c.lines {
					l := &c.lines[i]
					l.discount = (l.price*l.qty*5 + 50) / 100
				}
			}
		} else {
			c.st.AnonymousOrders++
		}
		pay := p.storePay
		if r.Float64() < 0.2 {
			pay = pick(r, storePayCum)
		}
		c.posOrder(cust, t, storePayments[pay])
		return
	}

	// Coupons: price-sensitive people use them, more so in sales.
	coupon, depth := "", int64(0)
	promo := cal.promo[d]
	if r.Float64() < 0.04+0.55*p.ps+0.3*p.ps*promo {
		switch {
		case first && r.Float64() < 0.5:
			coupon, depth = "WELCOME10", 10
		case promo == 1:
			coupon, depth = "BLACK25", 25
		case promo > 0 && month == 0:
			coupon, depth = "JAN20", 20
		case promo > 0 && (month == 5 || month == 6):
			coupon, depth = "SUMMER20", 20
		case promo > 0:
			coupon, depth = "XMAS15", 15
		case p.ps < 0.35:
			coupon, depth = "SAVE10", 10
		case p.ps < 0.65:
			coupon, depth = "SAVE15", 15
		default:
			coupon, depth = "SAVE20", 20
		}
		for i := range c.lines {
			l := &c.lines[i]
			l.discount = (l.price*l.qty*depth + 50) / 100
		}
	}
	channel := "web"
	if r.Float64() < p.appShare {
		channel = "app"
	}
	pay := p.webPay
	if r.Float64() < 0.2 {
		pay = pick(r, webPayCum)
	}
	payment := webPayments[pay]

	// Browsing before the purchase.
	ev0 := c.st.Events
	s := t - int64(120+r.IntN(40*60))
	step := func() int64 {
		s += int64(5 + r.IntN(90))
		return min(s, t-1)
	}
	// With a small event budget only some purchases leave a trail.
	rich := w.opts.EventsPerCustomer / DefaultEventsPerCustomer
	if r.Float64() < rich {
		if r.Float64() < min(0.8, 0.25*rich) {
			c.event(p.shopID, "login", step(), -1, 0, valueNone)
		}
		if r.Float64() < min(0.9, 0.3*rich) {
			c.event(p.shopID, "search", step(), -1, 0, valueNone)
		}
		for _, l := range c.lines {
			for k := poisson(r, 0.2*rich); k > 0; k-- {
				c.event(p.shopID, "view", step(), cat.byPopularity(r, int(cat.items[l.item].leaf), int32(d)), 0, valueNone)
			}
			c.event(p.shopID, "view", step(), l.item, 0, valueNone)
			c.event(p.shopID, "cart_add", step(), l.item, l.price*l.qty, valueMoney)
		}
		if r.Float64() < 0.1 {
			ix := cat.byPopularity(r, c.pickLeaf(month), int32(d))
			price := cat.items[ix].price
			c.event(p.shopID, "cart_add", step(), ix, price, valueMoney)
			c.event(p.shopID, "cart_remove", step(), ix, price, valueMoney)
		}
	}

	no := c.shopOrder(t, coupon, channel, payment, "sale", -1, 1)
	undone := false
	switch {
	case r.Float64() < 0.02: // cancelled within hours
		tc := t + int64(300+r.IntN(12*3600))
		if tc < cal.end {
			c.shopOrder(tc, "", channel, payment, "cancel", no, -1)
			c.st.Cancellations++
			undone = true
		}
	default:
		tr := t + int64(3+r.IntN(28))*day + int64(r.IntN(day))
		if tr >= cal.end {
			break
		}
		returned := false
		for i := range c.lines {
			l := &c.lines[i]
			ret := int64(0)
			if r.Float64() < cat.leaves[cat.items[l.item].leaf].def.returnRate {
				ret = l.qty
				if l.qty > 1 && r.Float64() < 0.4 {
					ret = 1 + r.Int64N(l.qty)
				}
			}
			// Keep what is returned in qty, scaling the discount.
			l.discount = l.discount * ret / l.qty
			l.qty = ret
			returned = returned || ret > 0
		}
		if returned {
			c.shopOrder(tr, "", channel, payment, "return", no, -1)
			c.st.Returns++
			undone = true
			if r.Float64() < 0.3 {
				c.event(p.shopID, "service_ticket", tr-int64(r.IntN(2*day)), c.lines[0].item, 0, valueNone)
			}
		}
	}
	// Afterwards: a review now and then.
	if r.Float64() < 0.12 {
		tr := t + int64(4+r.IntN(20))*day
		if tr < cal.end {
			rating := int64(4 + r.IntN(2))
			if undone {
				rating = int64(1 + r.IntN(2))
			} else if r.Float64() < 0.15 {
				rating = int64(2 + r.IntN(2))
			}
			c.event(p.shopID, "review", tr, c.lines[0].item, rating, valueInt)
		}
	} else if !undone && r.Float64() < 0.01 {
		c.event(p.shopID, "service_ticket", t+int64(r.IntN(10*day)), c.lines[0].item, 0, valueNone)
	}
	p.purchaseEvents += float64(c.st.Events - ev0)
}

// shopOrder writes c.lines as an order of the shop, multiplying quantities
// and discounts by sign, and returns the order's number. Lines with zero
// quantity are skipped.
func (c *chunk) shopOrder(t int64, coupon, channel, payment, kind string, ref int64, sign int64) int64 {
	w, p := c.w, &c.p
	no := c.idx*idsPerChunk + c.nextOrder + 1
	c.nextOrder++
	c.st.Orders++
	b := c.buf[outShopOrders]
	ln := 0
	for _, l := range c.lines {
		if l.qty == 0 {
			continue
		}
		ln++
		b = append(b, 'S', 'O')
		b = appendPadded(b, no, w.orderWidth)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(ln), 10)
		b = append(b, ',')
		b = append(b, p.shopID...)
		b = append(b, ',')
		b = c.appendTime(b, t)
		b = append(b, ',')
		b = append(b, w.cat.items[l.item].id...)
		b = append(b, ',')
		b = strconv.AppendInt(b, sign*l.qty, 10)
		b = append(b, ',')
		b = appendCents(b, l.price)
		b = append(b, ',')
		b = appendCents(b, sign*l.discount)
		b = append(b, ',')
		b = append(b, coupon...)
		b = append(b, ',')
		b = append(b, channel...)
		b = append(b, ',')
		b = append(b, payment...)
		b = append(b, ",EUR,"...)
		b = append(b, kind...)
		b = append(b, ',')
		if ref >= 0 {
			b = append(b, 'S', 'O')
			b = appendPadded(b, ref, w.orderWidth)
		}
		b = append(b, '\n')
		c.st.RevenueCents += sign * (l.qty*l.price - l.discount)
	}
	c.buf[outShopOrders] = b
	c.rows[outShopOrders] += int64(ln)
	c.st.OrderLines += int64(ln)
	return no
}

// posOrder writes c.lines as a store receipt; cust is empty for a guest.
func (c *chunk) posOrder(cust []byte, t int64, payment string) {
	w := c.w
	no := c.idx*idsPerChunk + c.nextOrder + 1
	c.nextOrder++
	c.st.Orders++
	b := c.buf[outPOSOrders]
	for i, l := range c.lines {
		b = append(b, 'P', 'O')
		b = appendPadded(b, no, w.orderWidth)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, ',')
		b = append(b, cust...)
		b = append(b, ',')
		b = c.appendTime(b, t)
		b = append(b, ',')
		b = append(b, w.cat.items[l.item].id...)
		b = append(b, ',')
		b = strconv.AppendInt(b, l.qty, 10)
		b = append(b, ',')
		b = appendCents(b, l.price)
		b = append(b, ',')
		b = appendCents(b, l.discount)
		b = append(b, ",store,"...)
		b = append(b, payment...)
		b = append(b, ",EUR\n"...)
		c.st.RevenueCents += l.qty*l.price - l.discount
	}
	c.buf[outPOSOrders] = b
	c.rows[outPOSOrders] += int64(len(c.lines))
	c.st.OrderLines += int64(len(c.lines))
}
