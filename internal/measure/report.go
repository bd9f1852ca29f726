package measure

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Outcome is what one customer of a campaign's audience did in the
// measurement window, in the treatment arm (contacted) or the holdout.
type Outcome struct {
	Customer  int64 // optional, for the caller
	Holdout   bool
	Converted bool
	Revenue   float64 // attributed revenue in the window
	Cost      float64 // offer cost incurred for this customer (redeemed coupon, message); 0 in the holdout
	// KPIBefore and KPIAfter are one KPI (e.g. revenue per 30 days) before
	// the campaign and after it; used only when Options.KPI is set.
	KPIBefore, KPIAfter float64
}

// Tally accumulates the sums a report needs, one pass, O(1) memory; add
// outcomes with Add (or build one per shard and Merge them).
type Tally struct {
	Treatment, Holdout ArmSums
}

// ArmSums are the running sums of one arm.
type ArmSums struct {
	N, Conversions             int64
	Revenue, Revenue2, Cost    float64
	Before, After, Diff, Diff2 float64
}

// Add counts one outcome.
func (t *Tally) Add(o Outcome) {
	a := &t.Treatment
	if o.Holdout {
		a = &t.Holdout
	}
	a.N++
	if o.Converted {
		a.Conversions++
	}
	a.Revenue += o.Revenue
	a.Revenue2 += o.Revenue * o.Revenue
	a.Cost += o.Cost
	a.Before += o.KPIBefore
	a.After += o.KPIAfter
	d := o.KPIAfter - o.KPIBefore
	a.Diff += d
	a.Diff2 += d * d
}

// Merge adds another tally's sums.
func (t *Tally) Merge(u Tally) {
	for _, p := range [][2]*ArmSums{{&t.Treatment, &u.Treatment}, {&t.Holdout, &u.Holdout}} {
		a, b := p[0], p[1]
		a.N += b.N
		a.Conversions += b.Conversions
		a.Revenue += b.Revenue
		a.Revenue2 += b.Revenue2
		a.Cost += b.Cost
		a.Before += b.Before
		a.After += b.After
		a.Diff += b.Diff
		a.Diff2 += b.Diff2
	}
}

// Options are the knobs of a report.
type Options struct {
	Confidence float64 // of the intervals, 0 < c < 1; default 0.95
	// MinArm is the smallest arm a verdict is given for; default 30.
	MinArm int
	// MinExpected is the smallest expected number of conversions and of
	// non-conversions per arm (n·p̂ and n·(1−p̂), p̂ pooled) for the normal
	// approximation of the z-test to hold; default 5.
	MinExpected float64
	// Margin is the share of revenue that is profit before offer cost
	// (gross margin), 0 < m ≤ 1; default 1 (profit = revenue − cost).
	Margin  float64
	KPI     bool   // report KPIBefore/KPIAfter
	KPIName string // e.g. "revenue_30d", for the report only
}

func (o Options) withDefaults() (Options, error) {
	if o.Confidence == 0 {
		o.Confidence = 0.95
	}
	if !(o.Confidence > 0 && o.Confidence < 1) {
		return o, fmt.Errorf("confidence %v: want 0 < confidence < 1", o.Confidence)
	}
	if o.MinArm == 0 {
		o.MinArm = 30
	}
	if o.MinExpected == 0 {
		o.MinExpected = 5
	}
	if o.Margin == 0 {
		o.Margin = 1
	}
	if !(o.Margin > 0 && o.Margin <= 1) {
		return o, fmt.Errorf("margin %v: want 0 < margin ≤ 1", o.Margin)
	}
	return o, nil
}

// Arm is one arm's figures.
type Arm struct {
	Customers          int64   `json:"customers"`
	Conversions        int64   `json:"conversions"`
	ConversionRate     float64 `json:"conversion_rate"`
	Revenue            float64 `json:"revenue"`
	RevenuePerCustomer float64 `json:"revenue_per_customer"`
	RevenueSD          float64 `json:"revenue_sd"`
	OfferCost          float64 `json:"offer_cost"`
}

// Estimate is a difference with its confidence interval and the two-sided
// p-value of "no difference".
type Estimate struct {
	Value  Float `json:"value"`
	Low    Float `json:"low"`
	High   Float `json:"high"`
	PValue Float `json:"p_value"`
}

// Float is a float64 that is written to JSON as null when it is NaN or
// infinite (no holdout, an arm of one), which encoding/json refuses.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// KPIChange is a KPI before and after the campaign, per arm, and the
// difference in differences (treatment change − holdout change, Welch).
type KPIChange struct {
	Name            string   `json:"name,omitempty"`
	TreatmentBefore float64  `json:"treatment_before"`
	TreatmentAfter  float64  `json:"treatment_after"`
	HoldoutBefore   float64  `json:"holdout_before"`
	HoldoutAfter    float64  `json:"holdout_after"`
	DiffInDiff      Estimate `json:"diff_in_diff"`
}

// Verdicts of a report.
const (
	Win          = "win"          // uplift > 0 with the requested confidence
	Loss         = "loss"         // uplift < 0 with the requested confidence
	Inconclusive = "inconclusive" // anything else, including arms too small
)

// Report is a campaign's result against its holdout.
type Report struct {
	Confidence float64 `json:"confidence"`
	Treatment  Arm     `json:"treatment"`
	Holdout    Arm     `json:"holdout"`
	// SuccessRate is the treatment arm's conversion rate (the source
	// documents' "22,560 of 40,000 reactivated = 56.4%"); on its own it
	// says nothing about the campaign's effect — Uplift does.
	SuccessRate float64 `json:"success_rate"`
	// Uplift is the difference in conversion rates, treatment − holdout,
	// with a Wald interval and the pooled two-proportion z-test.
	Uplift Estimate `json:"uplift"`
	// RelativeUplift is Uplift / holdout conversion rate (NaN when 0).
	RelativeUplift Float `json:"relative_uplift"`
	// IncrementalConversions = Uplift × treated customers.
	IncrementalConversions Float `json:"incremental_conversions"`
	// RevenueUplift is the difference in revenue per customer (Welch).
	RevenueUplift Estimate `json:"revenue_uplift"`
	// IncrementalRevenue = RevenueUplift × treated customers.
	IncrementalRevenue Estimate `json:"incremental_revenue"`
	// IncrementalProfit = Margin × IncrementalRevenue − offer cost of the
	// treatment arm (the cost is known, so the interval only shifts).
	IncrementalProfit Estimate   `json:"incremental_profit"`
	KPI               *KPIChange `json:"kpi,omitempty"`
	Verdict           string     `json:"verdict"`
	// Reasons explain the verdict, e.g. why it is inconclusive.
	Reasons []string `json:"reasons"`
}

// ErrNoTreatment is returned for a tally without treated customers.
var ErrNoTreatment = errors.New("no treated customers")

// Summarize tallies the outcomes and reports on them.
func Summarize(outcomes []Outcome, opt Options) (Report, error) {
	var t Tally
	for i := range outcomes {
		t.Add(outcomes[i])
	}
	return t.Report(opt)
}

// Report computes the report.
//
// The verdict rule: "inconclusive" unless both arms have at least
// Options.MinArm customers, and at least Options.MinExpected expected
// conversions and non-conversions each (so that the normal approximation
// behind the interval and the test holds), and the interval excludes 0 and
// the p-value is below 1 − confidence; then "win" if the uplift is positive,
// "loss" if negative. An arm too small is therefore never a win.
func (t Tally) Report(opt Options) (Report, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return Report{}, fmt.Errorf("cannot report: %w", err)
	}
	if t.Treatment.N == 0 {
		return Report{}, fmt.Errorf("cannot report: %w", ErrNoTreatment)
	}
	tr, ho := t.Treatment, t.Holdout
	r := Report{Confidence: opt.Confidence, Treatment: arm(tr), Holdout: arm(ho)}
	r.SuccessRate = r.Treatment.ConversionRate
	z := normQuantile(1 - (1-opt.Confidence)/2)
	alpha := 1 - opt.Confidence
	if ho.N == 0 {
		r.Uplift = nanEstimate
		r.RelativeUplift = Float(math.NaN())
		r.IncrementalConversions = Float(math.NaN())
		r.RevenueUplift = r.Uplift
		r.IncrementalRevenue = r.Uplift
		r.IncrementalProfit = r.Uplift
		r.Verdict = Inconclusive
		r.Reasons = []string{"no holdout: the effect of the campaign cannot be measured"}
		return r, nil
	}
	n1, n0 := float64(tr.N), float64(ho.N)
	p1, p0 := r.Treatment.ConversionRate, r.Holdout.ConversionRate
	d := p1 - p0
	se := math.Sqrt(p1*(1-p1)/n1 + p0*(1-p0)/n0)
	pp := float64(tr.Conversions+ho.Conversions) / (n1 + n0)
	sePooled := math.Sqrt(pp * (1 - pp) * (1/n1 + 1/n0))
	pv := 1.0
	if sePooled > 0 {
		pv = twoSidedNormal(d / sePooled)
	} else if d != 0 {
		pv = 0
	}
	r.Uplift = Estimate{Float(d), Float(d - z*se), Float(d + z*se), Float(pv)}
	r.RelativeUplift = Float(math.NaN())
	if p0 > 0 {
		r.RelativeUplift = Float(d / p0)
	}
	r.IncrementalConversions = Float(d * n1)

	r.RevenueUplift = welch(tr.N, tr.Revenue, tr.Revenue2, ho.N, ho.Revenue, ho.Revenue2, opt.Confidence)
	r.IncrementalRevenue = scale(r.RevenueUplift, n1, 0)
	r.IncrementalProfit = scale(r.RevenueUplift, n1*opt.Margin, -tr.Cost)
	if opt.KPI {
		r.KPI = &KPIChange{Name: opt.KPIName,
			TreatmentBefore: tr.Before / n1, TreatmentAfter: tr.After / n1,
			HoldoutBefore: ho.Before / n0, HoldoutAfter: ho.After / n0,
			DiffInDiff: welch(tr.N, tr.Diff, tr.Diff2, ho.N, ho.Diff, ho.Diff2, opt.Confidence)}
	}

	for _, a := range []struct {
		name string
		n    float64
	}{{"treatment", n1}, {"holdout", n0}} {
		if a.n < float64(opt.MinArm) {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s arm has %d customers, fewer than the %d needed for a verdict", a.name, int64(a.n), opt.MinArm))
			continue
		}
		if e := a.n * pp; e < opt.MinExpected {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s arm expects %.1f conversions, fewer than the %g needed for the normal approximation", a.name, e, opt.MinExpected))
		} else if e := a.n * (1 - pp); e < opt.MinExpected {
			r.Reasons = append(r.Reasons, fmt.Sprintf("%s arm expects %.1f non-conversions, fewer than the %g needed for the normal approximation", a.name, e, opt.MinExpected))
		}
	}
	switch {
	case len(r.Reasons) > 0:
		r.Verdict = Inconclusive
	case r.Uplift.Low > 0 && pv < alpha:
		r.Verdict = Win
		r.Reasons = []string{fmt.Sprintf("uplift %+.4f, %g%% interval [%+.4f, %+.4f] above 0, p = %.3g", d, 100*opt.Confidence, float64(r.Uplift.Low), float64(r.Uplift.High), pv)}
	case r.Uplift.High < 0 && pv < alpha:
		r.Verdict = Loss
		r.Reasons = []string{fmt.Sprintf("uplift %+.4f, %g%% interval [%+.4f, %+.4f] below 0, p = %.3g", d, 100*opt.Confidence, float64(r.Uplift.Low), float64(r.Uplift.High), pv)}
	default:
		r.Verdict = Inconclusive
		r.Reasons = []string{fmt.Sprintf("uplift %+.4f, %g%% interval [%+.4f, %+.4f] includes 0, p = %.3g", d, 100*opt.Confidence, float64(r.Uplift.Low), float64(r.Uplift.High), pv)}
	}
	return r, nil
}

func arm(a ArmSums) Arm {
	out := Arm{Customers: a.N, Conversions: a.Conversions, Revenue: a.Revenue, OfferCost: a.Cost}
	if a.N > 0 {
		n := float64(a.N)
		out.ConversionRate = float64(a.Conversions) / n
		out.RevenuePerCustomer = a.Revenue / n
		if a.N > 1 {
			out.RevenueSD = math.Sqrt(variance(a.N, a.Revenue, a.Revenue2))
		}
	}
	return out
}

// variance is the sample variance from the count, sum and sum of squares.
func variance(n int64, s, s2 float64) float64 {
	if n < 2 {
		return 0
	}
	fn := float64(n)
	v := (s2 - s*s/fn) / (fn - 1)
	return math.Max(v, 0)
}

// welch is the difference in means of two samples given by their sums, with
// Welch's interval and t-test (Welch–Satterthwaite degrees of freedom).
func welch(n1 int64, s1, q1 float64, n0 int64, s0, q0 float64, conf float64) Estimate {
	if n1 < 2 || n0 < 2 {
		return nanEstimate
	}
	f1, f0 := float64(n1), float64(n0)
	d := s1/f1 - s0/f0
	v1, v0 := variance(n1, s1, q1)/f1, variance(n0, s0, q0)/f0
	se := math.Sqrt(v1 + v0)
	if se == 0 {
		pv := 1.0
		if d != 0 {
			pv = 0
		}
		return Estimate{Float(d), Float(d), Float(d), Float(pv)}
	}
	df := (v1 + v0) * (v1 + v0) / (v1*v1/(f1-1) + v0*v0/(f0-1))
	tq := tQuantile(1-(1-conf)/2, df)
	return Estimate{Float(d), Float(d - tq*se), Float(d + tq*se), Float(twoSidedT(d/se, df))}
}

func scale(e Estimate, k, shift float64) Estimate {
	f := func(v Float) Float { return Float(float64(v)*k + shift) }
	return Estimate{f(e.Value), f(e.Low), f(e.High), e.PValue}
}

var nanEstimate = Estimate{Float(math.NaN()), Float(math.NaN()), Float(math.NaN()), Float(math.NaN())}
