package rfm

import (
	"math"
	"sort"
)

// DefaultBins is the number of RFM score bins (quintiles).
const DefaultBins = 5

// Scorer turns a value into a quantile score 1..Bins.
//
// Scores are cut at the quantiles of the fitted population: the cut below
// score b is the value at rank ⌈(b−1)·n/Bins⌉ of the sorted population (n
// values, NaNs excluded), and a value scores 1 + the number of cuts strictly
// below it. Equal values therefore always share a score, the result does not
// depend on input order, and with distinct values each score holds n/Bins of
// the population.
//
// With heavy ties (most customers with one or two orders) two quantiles can
// fall on the same value, which would leave a score empty. When the
// population holds at least Bins distinct values no score stays empty: a cut
// that would repeat the one below it moves up to the next distinct value (and
// none moves so far up that fewer distinct values than remaining scores are
// left above it). On order counts that typically gives 1, 2, 3, 4 and 5+
// orders the scores 1..5. With fewer distinct values than Bins the plain
// quantile cuts stand and some scores stay empty.
type Scorer struct {
	// Cuts[s-2] is the largest value that still scores below s, for scores
	// 2..Bins, on the comparison scale (negated for Reverse).
	Cuts    []float64
	Reverse bool // smaller values score higher (recency: recent = Bins)
}

// NewScorer fits a scorer with bins bins (DefaultBins when < 2) on values;
// NaNs are ignored. Reverse scores small values high.
func NewScorer(values []float64, bins int, reverse bool) Scorer {
	if bins < 2 {
		bins = DefaultBins
	}
	xs := make([]float64, 0, len(values))
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		if reverse {
			v = -v
		}
		xs = append(xs, v)
	}
	sortFloats(xs)
	s := Scorer{Cuts: make([]float64, bins-1), Reverse: reverse}
	n := len(xs)
	for b := 2; b <= bins; b++ {
		// score >= b  <=>  less >= k  <=>  x > xs[k-1], with k = ceil((b-1)n/bins)
		k := ((b-1)*n + bins - 1) / bins
		switch {
		case n == 0:
			s.Cuts[b-2] = math.Inf(1)
		case k == 0:
			s.Cuts[b-2] = math.Inf(-1)
		default:
			s.Cuts[b-2] = xs[k-1]
		}
	}
	// top[j] is the (j+1)-th largest distinct value; with at least bins
	// distinct values, spread cuts that fell on the same value.
	top := make([]float64, 0, bins)
	for i := n - 1; i >= 0 && len(top) < bins; i-- {
		if len(top) == 0 || xs[i] != top[len(top)-1] {
			top = append(top, xs[i])
		}
	}
	if len(top) < bins {
		return s
	}
	for b := 2; b <= bins; b++ {
		c := &s.Cuts[b-2]
		if b > 2 && *c <= s.Cuts[b-3] {
			prev := s.Cuts[b-3]
			// the next distinct value above prev: the first xs[i] > prev
			i := sort.Search(n, func(i int) bool { return xs[i] > prev })
			*c = xs[i]
		}
		// leave bins-b+1 distinct values above the cut, for scores b..bins
		*c = min(*c, top[bins-b+1])
	}
	return s
}

// Bins is the number of score bins.
func (s Scorer) Bins() int { return len(s.Cuts) + 1 }

// Score returns the score of v, 1..Bins, or 0 for NaN.
func (s Scorer) Score(v float64) int {
	if math.IsNaN(v) {
		return 0
	}
	if s.Reverse {
		v = -v
	}
	// Cuts ascend: count the cuts strictly below v.
	return 1 + sort.Search(len(s.Cuts), func(i int) bool { return s.Cuts[i] >= v })
}

// Ranker gives a value's mid-rank within a fitted population, 0..1: the
// share of the population below it plus half the share equal to it. It keeps
// at most a few thousand knots of the distribution, so ranks of values
// between knots are interpolated (exact for low-cardinality values such as
// order counts).
type Ranker struct {
	N     float64   // population size
	Knots []float64 // ascending distinct values
	Less  []float64 // number of population values < Knots[i]
	Eq    []float64 // number equal to Knots[i]
}

const maxKnots = 4096

// NewRanker fits a ranker on values; NaNs are ignored.
func NewRanker(values []float64) Ranker {
	xs := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	sortFloats(xs)
	r := Ranker{N: float64(len(xs))}
	step := 1
	if len(xs) > maxKnots {
		step = len(xs) / maxKnots
	}
	for i := 0; i < len(xs); {
		j := i + 1
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		// keep runs of ties always, distinct singletons every step-th value
		if j-i > 1 || i%step == 0 || j == len(xs) {
			r.Knots = append(r.Knots, xs[i])
			r.Less = append(r.Less, float64(i))
			r.Eq = append(r.Eq, float64(j-i))
		}
		i = j
	}
	return r
}

// Rank returns the mid-rank of v in 0..1; NaN for NaN or an empty population.
func (r Ranker) Rank(v float64) float64 {
	if math.IsNaN(v) || r.N == 0 {
		return math.NaN()
	}
	i := sort.SearchFloat64s(r.Knots, v) // first knot >= v
	switch {
	case i < len(r.Knots) && r.Knots[i] == v:
		return (r.Less[i] + r.Eq[i]/2) / r.N
	case i == 0:
		return 0
	case i == len(r.Knots):
		return 1
	}
	// between knots i-1 and i: interpolate the count below v
	lo := r.Less[i-1] + r.Eq[i-1]
	hi := r.Less[i]
	f := (v - r.Knots[i-1]) / (r.Knots[i] - r.Knots[i-1])
	return (lo + f*(hi-lo)) / r.N
}
