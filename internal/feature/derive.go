package feature

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// numCols and textCols are the table's computed columns, bound once so the
// derive loop indexes slices instead of looking names up.
type numCols struct {
	recency, freq, monetary, returns, o30, o90, o365, s30, s90, s365 []float64
	first, active, aov, cats180, v7, v30, ca30, cab30                []float64
	dshare, cshare, depth, promo, rrate, repeat, repeatRate          []float64
	r, f, m, rfmScore, loyalty, price, hour                          []float64
}

type textCols struct {
	segment, class, vlevel, llevel, cell, stage, topCat, topBrand, channel, payment []string
}

func (nc *numCols) byName() map[string]*[]float64 {
	return map[string]*[]float64{
		ColRecency: &nc.recency, ColFrequency: &nc.freq, ColMonetary: &nc.monetary, ColReturns: &nc.returns,
		ColOrders30: &nc.o30, ColOrders90: &nc.o90, ColOrders365: &nc.o365,
		ColSpend30: &nc.s30, ColSpend90: &nc.s90, ColSpend365: &nc.s365,
		ColDaysSinceFirst: &nc.first, ColDaysSinceActive: &nc.active, ColAOV: &nc.aov,
		ColCategories180: &nc.cats180, ColViews7: &nc.v7, ColViews30: &nc.v30,
		ColCartAdds30: &nc.ca30, ColCartAbandons30: &nc.cab30,
		ColDiscountShare: &nc.dshare, ColCouponShare: &nc.cshare, ColDiscountDepth: &nc.depth,
		ColPromoResponse: &nc.promo, ColReturnRate: &nc.rrate, ColRepeat: &nc.repeat, ColRepeatRate: &nc.repeatRate,
		ColR: &nc.r, ColF: &nc.f, ColM: &nc.m, ColRFMScore: &nc.rfmScore, ColLoyaltyScore: &nc.loyalty,
		ColPriceSensitivity: &nc.price, ColPreferredHour: &nc.hour,
	}
}

func (tc *textCols) byName() map[string]*[]string {
	return map[string]*[]string{
		ColSegment: &tc.segment, ColClass: &tc.class, ColValueLevel: &tc.vlevel, ColLoyaltyLevel: &tc.llevel,
		ColCell: &tc.cell, ColStage: &tc.stage, ColTopCategory: &tc.topCat, ColTopBrand: &tc.topBrand,
		ColPreferredChannel: &tc.channel, ColPreferredPayment: &tc.payment,
	}
}

// bind points the state's column slices at the table's, allocating the
// missing ones with n rows (and growing short ones to n rows).
func (s *state) bind(t *Table, n int) {
	if t.Num == nil {
		t.Num = make(map[string][]float64)
	}
	if t.Text == nil {
		t.Text = make(map[string][]string)
	}
	for name, p := range s.num.byName() {
		col := t.Num[name]
		for len(col) < n {
			col = append(col, math.NaN())
		}
		t.Num[name], *p = col, col
	}
	for alias, name := range aliases {
		t.Num[alias] = t.Num[name]
	}
	for name, col := range t.Num { // columns added by other packages (predictions)
		for len(col) < n {
			col = append(col, math.NaN())
		}
		t.Num[name] = col
	}
	s.risk = t.Num[ChurnColumn]
	for name, p := range s.text.byName() {
		col := t.Text[name]
		if len(col) < n {
			col = append(col, make([]string, n-len(col))...)
		}
		t.Text[name], *p = col, col
	}
	for name, col := range t.Text { // attribute columns
		if len(col) < n {
			t.Text[name] = append(col, make([]string, n-len(col))...)
		}
	}
}

// fit fits the models on the whole population.
func (s *state) fit() {
	asOf := s.k.asOf
	var rec, freq, mon, gaps []float64
	var loy []rfm.Loyalty
	s.m.HasDiscounts, s.m.HasCoupons = false, false
	for i := range s.k.acc {
		a := &s.k.acc[i]
		if a.disc.lines > 0 {
			s.m.HasDiscounts = true
		}
		if a.couponOrders > 0 {
			s.m.HasCoupons = true
		}
		if a.freq == 0 {
			continue
		}
		r, f, tenure := float64(asOf-a.last), float64(a.freq), float64(asOf-a.first)
		rec, freq, mon = append(rec, r), append(freq, f), append(mon, a.monetary)
		loy = append(loy, rfm.Loyalty{Frequency: f, Tenure: tenure, Repeat: rfm.RepeatRate(f, tenure), Recency: r})
		if a.freq >= 2 && a.last > a.first {
			gaps = append(gaps, float64(a.last-a.first)/float64(a.freq-1))
		}
	}
	bins := s.opts.Bins
	var wg sync.WaitGroup
	wg.Go(func() { s.m.R = rfm.NewScorer(rec, bins, true) })
	wg.Go(func() { s.m.F = rfm.NewScorer(freq, bins, false) })
	wg.Go(func() { s.m.M = rfm.NewScorer(mon, bins, false) })
	wg.Go(func() { s.m.Class = rfm.FitClasses(mon, loy, s.opts.Classes) })
	wg.Go(func() { s.m.Life = rfm.FitLifecycle(gaps, s.opts.Lifecycle) })
	wg.Wait()
	s.fitRisk()
}

// riskQuantile is the share of live customers (bought, not churned) with a
// known churn probability below the default high-churn-risk threshold: the
// riskiest fifth is in the high_churn_risk stage.
const riskQuantile = 0.8

// fitRisk sets the high-churn-risk threshold: the option when set, else the
// riskQuantile of the churn probabilities of the live customers — the
// shop's own distribution, as for the other lifecycle thresholds, since a
// churn model's probabilities sit high or low with its horizon. With fewer
// than 20 such customers the fallback of FitLifecycle (0.7) stays.
func (s *state) fitRisk() {
	if s.opts.Lifecycle.HighRiskFrom > 0 || len(s.risk) == 0 {
		return
	}
	asOf := s.k.asOf
	var ps []float64
	for i := range s.k.acc {
		a := &s.k.acc[i]
		if i >= len(s.risk) || a.freq == 0 || float64(asOf-a.last) > s.m.Life.ChurnAfter || math.IsNaN(s.risk[i]) {
			continue
		}
		ps = append(ps, s.risk[i])
	}
	if len(ps) < 20 {
		return
	}
	slices.Sort(ps)
	s.m.Life.HighRiskFrom = ps[min(int(riskQuantile*float64(len(ps))), len(ps)-1)]
}

// deriveAll recomputes every customer's derived columns, in parallel over
// ranges of customers (each row is written by one goroutine).
func (s *state) deriveAll() {
	n := len(s.k.acc)
	workers := min(runtime.GOMAXPROCS(0), max(n/50_000, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for c := w * n / workers; c < (w+1)*n/workers; c++ {
				s.derive(int32(c))
			}
		})
	}
	wg.Wait()
}

func (s *state) derive(c int32) {
	nan := math.NaN()
	a := &s.k.acc[c]
	nc, tc := &s.num, &s.text
	asOf := s.k.asOf
	f := float64(a.freq)
	nc.freq[c], nc.monetary[c], nc.returns[c] = f, a.monetary, s.k.ret[c]
	if d := max(a.last, a.lastEvent); d != rfm.NoDay {
		nc.active[c] = float64(asOf - d)
	} else {
		nc.active[c] = nan
	}
	if a.freq > 0 {
		nc.repeat[c] = float64(min(a.freq-1, 1))
	} else {
		nc.repeat[c] = 0
	}
	nc.topCat(c, s)
	if a.freq == 0 {
		for _, col := range [][]float64{nc.recency, nc.first, nc.aov, nc.dshare, nc.cshare, nc.depth, nc.promo,
			nc.rrate, nc.repeatRate, nc.r, nc.f, nc.m, nc.rfmScore, nc.loyalty, nc.price} {
			col[c] = nan
		}
		tc.segment[c], tc.class[c], tc.vlevel[c], tc.llevel[c], tc.cell[c] = "", "", "", "", ""
		tc.stage[c] = rfm.Prospect
		return
	}
	rec, tenure := float64(asOf-a.last), float64(asOf-a.first)
	nc.recency[c], nc.first[c] = rec, tenure
	nc.aov[c] = a.monetary / f
	nc.dshare[c], nc.depth[c] = nan, nan
	if s.m.HasDiscounts {
		d := &a.disc
		nc.dshare[c] = float64(d.lines) / float64(max(a.lines, 1))
		nc.depth[c] = 0
		if d.discAmount > 0 {
			nc.depth[c] = float64(d.discount / d.discAmount)
		}
	}
	nc.cshare[c] = nan
	if s.m.HasCoupons {
		nc.cshare[c] = float64(a.couponOrders) / f
	}
	nc.promo[c] = nan
	if s.m.Promo != nil && nc.o365[c] > 0 {
		nc.promo[c] = float64(s.promoHits[c]) / nc.o365[c]
	}
	nc.rrate[c] = nan
	if a.monetary != 0 {
		nc.rrate[c] = s.k.ret[c] / a.monetary
	}
	repeatRate := rfm.RepeatRate(f, tenure)
	nc.repeatRate[c] = repeatRate
	r, fs, m := s.m.R.Score(rec), s.m.F.Score(f), s.m.M.Score(a.monetary)
	nc.r[c], nc.f[c], nc.m[c] = float64(r), float64(fs), float64(m)
	nc.rfmScore[c] = float64(100*r + 10*fs + m)
	tc.segment[c] = rfm.Segment(r, fs, m, s.m.R.Bins())
	vl, ll, class, score := s.m.Class.Classify(a.monetary, rfm.Loyalty{Frequency: f, Tenure: tenure, Repeat: repeatRate, Recency: rec})
	nc.loyalty[c] = score
	tc.class[c], tc.vlevel[c], tc.llevel[c], tc.cell[c] = class, vl.String(), ll.String(), cellNames[vl][ll]
	prevGap := nan
	if a.prev != rfm.NoDay {
		prevGap = float64(a.last - a.prev)
	}
	risk := nan
	if int(c) < len(s.risk) {
		risk = s.risk[c]
	}
	tc.stage[c] = s.m.Life.Stage(rfm.StageInput{Frequency: f, Recency: rec, Tenure: tenure, PrevGap: prevGap, ChurnProbability: risk})
	nc.price[c] = rfm.PriceSensitivity(rfm.PriceInput{DiscountShare: nc.dshare[c], CouponShare: nc.cshare[c],
		DiscountDepth: nc.depth[c], PromoResponse: nc.promo[c]}, s.opts.Price)
	if !s.m.HasDiscounts && !s.m.HasCoupons {
		nc.price[c] = nan
	}
}

// topCat writes the preference columns of customer c.
func (nc *numCols) topCat(c int32, s *state) {
	a := &s.k.acc[c]
	tc := &s.text
	tc.topCat[c] = s.cats.name(a.cat.best())
	tc.topBrand[c] = s.brands.name(a.brand.best())
	tc.channel[c] = s.channels.name(a.channel.best())
	tc.payment[c] = s.payments.name(a.payment.best())
	if h := a.hour.best(); h >= 0 {
		nc.hour[c] = float64(h)
	} else {
		nc.hour[c] = math.NaN()
	}
}

var cellNames = func() (c [3][3]string) {
	for v := rfm.Low; v <= rfm.High; v++ {
		for l := rfm.Low; l <= rfm.High; l++ {
			c[v][l] = v.String() + "/" + l.String()
		}
	}
	return c
}()
