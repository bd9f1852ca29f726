package rfm

import (
	"math"
)

// Lifecycle stages.
const (
	Prospect = "prospect" // known (registered or active), never bought
	StageNew = "new"      // first order recently
	Active   = "active"   // buying within the usual rhythm
	Silent   = "silent"   // overdue: no order for longer than most customers wait
	Churned  = "churned"  // gone: no order for twice that long
	WonBack  = "won_back" // bought again after having churned, recently
	// HighChurnRisk: not churned yet, but the churn model gives at least
	// Lifecycle.HighRiskFrom (the churn early warning of the documents).
	HighChurnRisk = "high_churn_risk"
)

// Stages lists the lifecycle stages in funnel order.
func Stages() []string {
	return []string{Prospect, StageNew, Active, WonBack, HighChurnRisk, Silent, Churned}
}

// LifecycleOptions configure the lifecycle thresholds, in days. Zero values
// are derived from the shop's own inter-purchase times.
type LifecycleOptions struct {
	NewFor      float64 // a customer is new while tenure <= NewFor; default: the median gap
	SilentAfter float64 // silent when recency > SilentAfter; default: the Quantile gap
	ChurnAfter  float64 // churned when recency > ChurnAfter; default: ChurnFactor × SilentAfter
	Quantile    float64 // default 0.8
	ChurnFactor float64 // default 2
	// MinCustomers is the number of repeat customers needed to derive the
	// thresholds (default 20); with fewer, the fallbacks 30/90/180 days apply.
	MinCustomers int
	// HighRiskFrom is the churn probability from which a customer who has
	// not churned yet is in the high-churn-risk stage; default: fitted by
	// package feature to the riskiest fifth of the live customers (0.7
	// without enough of them).
	HighRiskFrom float64
}

// Lifecycle holds the thresholds, in days.
type Lifecycle struct {
	NewFor      float64 `json:"new_for_days"`
	SilentAfter float64 `json:"silent_after_days"`
	ChurnAfter  float64 `json:"churn_after_days"`
	// HighRiskFrom: churn probability of the high-churn-risk stage.
	HighRiskFrom float64 `json:"high_churn_risk_from"`
}

// FitLifecycle derives the thresholds from the repeat customers' average
// inter-purchase times, gaps[i] = (last order day − first order day) /
// (orders − 1), for customers with at least two orders on distinct days (other
// entries should be NaN and are ignored):
//
//   - SilentAfter is the Quantile (p80) of those gaps: four in five repeat
//     customers come back sooner, so a customer quiet for longer is overdue;
//   - ChurnAfter is ChurnFactor (2) × SilentAfter;
//   - NewFor is the median gap: a customer stays new until the typical
//     repeat customer would have come back.
//
// Each option set explicitly overrides its derived value.
func FitLifecycle(gaps []float64, opts LifecycleOptions) Lifecycle {
	if opts.Quantile <= 0 || opts.Quantile >= 1 {
		opts.Quantile = 0.8
	}
	if opts.ChurnFactor <= 1 {
		opts.ChurnFactor = 2
	}
	if opts.MinCustomers <= 0 {
		opts.MinCustomers = 20
	}
	xs := make([]float64, 0, len(gaps))
	for _, g := range gaps {
		if !math.IsNaN(g) && g > 0 {
			xs = append(xs, g)
		}
	}
	l := Lifecycle{NewFor: 30, SilentAfter: 90, ChurnAfter: 180, HighRiskFrom: 0.7}
	if opts.HighRiskFrom > 0 {
		l.HighRiskFrom = opts.HighRiskFrom
	}
	if len(xs) >= opts.MinCustomers {
		sortFloats(xs)
		at := func(p float64) float64 {
			return math.Ceil(xs[min(int(p*float64(len(xs))), len(xs)-1)])
		}
		l.SilentAfter = at(opts.Quantile)
		l.ChurnAfter = opts.ChurnFactor * l.SilentAfter
		l.NewFor = at(0.5)
	}
	if opts.SilentAfter > 0 {
		l.SilentAfter = opts.SilentAfter
		if opts.ChurnAfter == 0 {
			l.ChurnAfter = opts.ChurnFactor * l.SilentAfter
		}
	}
	if opts.ChurnAfter > 0 {
		l.ChurnAfter = opts.ChurnAfter
	}
	if opts.NewFor > 0 {
		l.NewFor = opts.NewFor
	}
	l.ChurnAfter = max(l.ChurnAfter, l.SilentAfter)
	return l
}

// StageInput is what the stage of one customer depends on, in days.
type StageInput struct {
	Frequency float64 // sale orders; 0 for a prospect
	Recency   float64 // days since the last order
	Tenure    float64 // days since the first order
	// PrevGap is the number of days between the last order's day and the
	// previous distinct order day (NaN with fewer than two order days).
	PrevGap float64
	// ChurnProbability from the churn model; NaN when there is none.
	ChurnProbability float64
}

// Stage returns the lifecycle stage. Rules, first match wins:
//
//	prospect  no sale order (any known customer: registered or active)
//	churned   recency > ChurnAfter
//	high_churn_risk  the churn model's probability >= HighRiskFrom
//	silent    recency > SilentAfter
//	new       tenure <= NewFor
//	won_back  the gap before the last order was > ChurnAfter (the customer
//	          had churned and came back), and recency <= SilentAfter
//	active    otherwise
func (l Lifecycle) Stage(in StageInput) string {
	switch {
	case !(in.Frequency > 0):
		return Prospect
	case in.Recency > l.ChurnAfter:
		return Churned
	case l.HighRiskFrom > 0 && in.ChurnProbability >= l.HighRiskFrom:
		return HighChurnRisk
	case in.Recency > l.SilentAfter:
		return Silent
	case in.Tenure <= l.NewFor:
		return StageNew
	case in.PrevGap > l.ChurnAfter:
		return WonBack
	}
	return Active
}
