package synth

import (
	"math"
	"math/rand/v2"
)

// calendar holds per-day demand factors for the history window and the
// year before it, in which part of the customer base was acquired.
//
// buy is the purchase intensity relative to the window's mean (so a customer
// with rate λ makes λ purchases a day on average); promo marks sales periods
// (Black Friday week, the run-up to Christmas, January and summer sales) to
// which price-sensitive customers respond more; acquire adds growth to buy
// for first purchases; browse is the visiting intensity.
type calendar struct {
	from       int64 // Unix seconds: people are acquired from here on
	start, end int64 // Unix seconds: the window written out, end exclusive
	day0       int64 // Unix day of from
	days       int   // days from day0 to end
	buy        []float64
	promo      []float64
	acquire    []float64
	browse     []float64
	month      []uint8 // calendar month (0-11) of each day
	buyMax     float64
	promoMax   float64 // max of buy*(1+promoBoost*promo)
	acquireMax float64
	browseMax  float64
	webHour    []float64 // cumulative hour-of-day weights, online
	storeHour  []float64 // cumulative hour-of-day weights, store
}

// promoBoost is how much a fully price-sensitive customer's purchase rate
// rises in a sales period.
const promoBoost = 1.5

// Weekday factors, Monday first.
var (
	buyWeek    = [7]float64{1.05, 1, 1, 1, 0.92, 0.88, 1.15}
	browseWeek = [7]float64{1.05, 1, 1, 1, 0.95, 0.95, 1.1}
	webHours   = []float64{1.2, 0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 1.6, 2.4, 3, 3.4, 3.7, 4.2, 4, 3.6, 3.4, 3.5, 3.8, 4.2, 5, 5.6, 5.4, 4.2, 2.4}
	storeHours = []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 6, 6, 5.5, 5.5, 6, 7, 7.5, 6, 2, 0, 0, 0}
)

// history is how long before the window the oldest customers arrived.
const history = 365 * 86400

func newCalendar(start, end int64) *calendar {
	c := &calendar{from: start - history, start: start, end: end}
	c.day0 = floorDiv(c.from, 86400)
	c.days = int(floorDiv(end-1, 86400) - c.day0 + 1)
	c.buy = make([]float64, c.days)
	c.promo = make([]float64, c.days)
	c.acquire = make([]float64, c.days)
	c.browse = make([]float64, c.days)
	c.month = make([]uint8, c.days)
	sum := 0.0
	for d := 0; d < c.days; d++ {
		ud := c.day0 + int64(d)
		y, m, dd := civil(ud)
		wd := int((ud + 3) % 7) // 1970-01-01 was a Thursday; Monday = 0
		if wd < 0 {
			wd += 7
		}
		c.month[d] = uint8(m - 1)
		year := 1 + 0.12*math.Cos(2*math.Pi*float64(daysFromCivil(y, m, dd)-daysFromCivil(y, 12, 15))/365.25)
		promo := 0.0
		bf := blackFriday(y)
		switch {
		case ud >= bf-3 && ud <= bf+3: // Black Friday to Cyber Monday
			year *= 2.4
			promo = 1
		case m == 11 && dd >= 15, m == 12 && dd <= 20:
			year *= 1.6
			promo = 0.3
		case m == 12 && dd >= 24 && dd <= 26:
			year *= 0.6
		case m == 1 && dd >= 2 && dd <= 15:
			year *= 1.15
			promo = 0.7
		case m == 6 && dd >= 24, m == 7 && dd <= 10:
			year *= 1.05
			promo = 0.6
		case m == 7, m == 8:
			year *= 0.85
		}
		c.buy[d] = buyWeek[wd] * year
		c.promo[d] = promo
		c.browse[d] = browseWeek[wd] * (0.5 + 0.5*year)
		sum += c.buy[d]
	}
	mean := sum / float64(c.days)
	for d := range c.buy {
		c.buy[d] /= mean
		c.acquire[d] = c.buy[d] * (1 + 0.5*float64(d)/float64(c.days))
		c.buyMax = max(c.buyMax, c.buy[d])
		c.promoMax = max(c.promoMax, c.buy[d]*(1+promoBoost*c.promo[d]))
		c.acquireMax = max(c.acquireMax, c.acquire[d])
		c.browseMax = max(c.browseMax, c.browse[d])
	}
	c.webHour = cumulative(webHours)
	c.storeHour = cumulative(storeHours)
	return c
}

// blackFriday returns the Unix day of Black Friday (the day after the fourth
// Thursday of November) in year y.
func blackFriday(y int64) int64 {
	nov1 := daysFromCivil(y, 11, 1)
	wd := (nov1 + 3) % 7 // Monday = 0, Thursday = 3
	firstThu := nov1 + (3-wd+7)%7
	return firstThu + 21 + 1
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayOf returns the window day of instant t.
func (c *calendar) dayOf(t int64) int { return int(floorDiv(t, 86400) - c.day0) }

// sample draws an instant in [from, to) with density proportional to f.
func (c *calendar) sample(r *rand.Rand, from, to int64, f []float64, fmax float64) int64 {
	from, to = max(from, c.from), min(to, c.end)
	if to <= from {
		return from
	}
	for range 64 {
		t := from + int64(r.Float64()*float64(to-from))
		if r.Float64()*fmax <= f[c.dayOf(t)] {
			return t
		}
	}
	return from + int64(r.Float64()*float64(to-from))
}

// atHour moves instant t to a time of its day drawn from the hour profile,
// keeping it inside the window.
func (c *calendar) atHour(r *rand.Rand, t int64, hours []float64) int64 {
	day := floorDiv(t, 86400) * 86400
	s := day + int64(pick(r, hours))*3600 + int64(r.IntN(3600))
	return min(max(s, c.from), c.end-1)
}
