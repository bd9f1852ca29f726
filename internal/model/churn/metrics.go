package churn

import (
	"math"
	"math/rand/v2"
	"sort"
)

// AUC is the area under the ROC curve (ties count one half); NaN when y
// has one class only.
func AUC(score []float64, y []bool) float64 {
	idx := order(score)
	// average ranks over ties
	var pos, neg, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && score[idx[j]] == score[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] {
				rankSum += r
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// order returns the indices by ascending score.
func order(score []float64) []int {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	return idx
}

// AveragePrecision is the area under the precision-recall curve as a step
// function (scikit-learn's average_precision_score); NaN without positives.
func AveragePrecision(score []float64, y []bool) float64 {
	idx := order(score)
	var pos float64
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 {
		return math.NaN()
	}
	var tp, fp, ap, lastRecall float64
	for i := len(idx) - 1; i >= 0; {
		j := i
		for j >= 0 && score[idx[j]] == score[idx[i]] {
			if y[idx[j]] {
				tp++
			} else {
				fp++
			}
			j--
		}
		recall := tp / pos
		ap += (recall - lastRecall) * tp / (tp + fp)
		lastRecall = recall
		i = j
	}
	return ap
}

// TopDecileLift is the churn rate among the 10 % highest scores over the
// overall rate.
func TopDecileLift(score []float64, y []bool) float64 {
	idx := order(score)
	n := len(idx)
	k := (n + 9) / 10
	var all float64
	for _, v := range y {
		if v {
			all++
		}
	}
	if all == 0 || k == 0 {
		return math.NaN()
	}
	// from the top, by groups of tied scores; the group crossing the
	// boundary counts in proportion
	var top float64
	left := k
	for i := n - 1; i >= 0 && left > 0; {
		j := i
		var pos float64
		for j >= 0 && score[idx[j]] == score[idx[i]] {
			if y[idx[j]] {
				pos++
			}
			j--
		}
		size := i - j
		take := min(size, left)
		top += pos * float64(take) / float64(size)
		left -= take
		i = j
	}
	return (top / float64(k)) / (all / float64(n))
}

// CalBin is one bin of a calibration curve.
type CalBin struct {
	Lo, Hi    float64 `json:"-"`
	Range     string  `json:"range"`
	Count     int     `json:"count"`
	Predicted float64 `json:"mean_predicted"`
	Observed  float64 `json:"observed_rate"`
}

// CalibrationCurve bins the probabilities into ten equal-width bins.
func CalibrationCurve(prob []float64, y []bool) []CalBin {
	const k = 10
	bins := make([]CalBin, k)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/k, float64(i+1)/k
		bins[i].Range = fmtRange(bins[i].Lo, bins[i].Hi)
	}
	for i, p := range prob {
		b := min(int(p*k), k-1)
		bins[b].Count++
		bins[b].Predicted += p
		if y[i] {
			bins[b].Observed++
		}
	}
	out := bins[:0]
	for _, b := range bins {
		if b.Count > 0 {
			b.Predicted /= float64(b.Count)
			b.Observed /= float64(b.Count)
			out = append(out, b)
		}
	}
	return out
}

func fmtRange(lo, hi float64) string {
	return string([]byte{'0' + byte(lo*10+0.5)/10, '.', '0' + byte(lo*10+0.5)%10}) + "-" +
		string([]byte{'0' + byte(hi*10+0.5)/10, '.', '0' + byte(hi*10+0.5)%10})
}

// LogLoss is the mean negative log-likelihood of the probabilities.
func LogLoss(prob []float64, y []bool) float64 {
	var s float64
	for i, p := range prob {
		p = math.Min(math.Max(p, 1e-15), 1-1e-15)
		if y[i] {
			s -= math.Log(p)
		} else {
			s -= math.Log(1 - p)
		}
	}
	return s / float64(len(prob))
}

// Metrics judge probabilities against labels.
type Metrics struct {
	N           int      `json:"rows"`
	Positives   int      `json:"positives"`
	AUC         float64  `json:"auc"`
	PRAUC       float64  `json:"pr_auc"`
	Lift        float64  `json:"top_decile_lift"`
	LogLoss     float64  `json:"log_loss"`
	Calibration []CalBin `json:"calibration,omitempty"`
}

// Evaluate computes every metric.
func Evaluate(prob []float64, y []bool) Metrics {
	m := Metrics{N: len(y), AUC: AUC(prob, y), PRAUC: AveragePrecision(prob, y), Lift: TopDecileLift(prob, y),
		LogLoss: LogLoss(prob, y), Calibration: CalibrationCurve(prob, y)}
	for _, v := range y {
		if v {
			m.Positives++
		}
	}
	return m
}

// StratifiedFolds assigns each row a fold 0..k−1, keeping the share of
// positives in every fold; the assignment depends on seed only.
func StratifiedFolds(y []bool, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	folds := make([]int, len(y))
	var pos, neg []int
	for i, v := range y {
		if v {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	next := 0
	for _, g := range [][]int{pos, neg} {
		rng.Shuffle(len(g), func(a, b int) { g[a], g[b] = g[b], g[a] })
		for _, i := range g {
			folds[i] = next % k
			next++
		}
	}
	return folds
}
