package clv

import "math"

// EvalBucket compares predicted and actual holdout purchases of the
// customers with one number of calibration-period repeat transactions.
type EvalBucket struct {
	X         string  `json:"x"` // "0" … "6", "7+"
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual_mean"`
	Predicted float64 `json:"predicted_mean"`
}

// Evaluation is a calibration/holdout comparison.
type Evaluation struct {
	HoldoutDays    int          `json:"holdout_days"`
	Customers      int          `json:"customers"`
	ActualTotal    float64      `json:"actual_total"`
	PredictedTotal float64      `json:"predicted_total"`
	MAE            float64      `json:"mae"`       // mean absolute error per customer
	BaselineMAE    float64      `json:"naive_mae"` // MAE of the calibration rate carried forward
	ByX            []EvalBucket `json:"by_x"`
}

// Evaluate predicts each customer's purchases in the holdout period of
// holdoutDays days (conditional expectation) and compares them with the
// actual Holdout counts of the summary, by calibration x = 0 … 7+ (the
// paper's figure 4). The naive baseline predicts x / T × holdout length.
func Evaluate(bg BGNBD, s *Summary, holdoutDays int) Evaluation {
	ev := Evaluation{HoldoutDays: holdoutDays, Customers: len(s.IDs)}
	if len(s.Holdout) != len(s.IDs) {
		return ev
	}
	t := float64(holdoutDays) / float64(s.Unit)
	const top = 7
	var cnt [top + 1]int
	var act, pred [top + 1]float64
	cache := map[xtKey]float64{}
	for i := range s.IDs {
		x, tx, T := s.X[i], s.Tx[i], s.T[i]
		g, ok := cache[xtKey{x, T}]
		if !ok {
			g = bg.growth(x, T, t)
			cache[xtKey{x, T}] = g
		}
		p := g * bg.PAlive(x, tx, T)
		a := s.Holdout[i]
		ev.ActualTotal += a
		ev.PredictedTotal += p
		ev.MAE += math.Abs(p - a)
		naive := 0.0
		if T > 0 {
			naive = x / T * t
		}
		ev.BaselineMAE += math.Abs(naive - a)
		b := min(int(x), top)
		cnt[b]++
		act[b] += a
		pred[b] += p
	}
	if n := float64(len(s.IDs)); n > 0 {
		ev.MAE /= n
		ev.BaselineMAE /= n
	}
	for b := range cnt {
		name := string(rune('0' + b))
		if b == top {
			name += "+"
		}
		eb := EvalBucket{X: name, Customers: cnt[b]}
		if cnt[b] > 0 {
			eb.Actual = act[b] / float64(cnt[b])
			eb.Predicted = pred[b] / float64(cnt[b])
		}
		ev.ByX = append(ev.ByX, eb)
	}
	return ev
}
