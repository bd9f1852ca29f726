package rfm

import (
	"math"
)

// Level is a position on one axis of the value × loyalty grid.
type Level int8

const (
	Low Level = iota
	Medium
	High
)

func (l Level) String() string { return [...]string{"low", "medium", "high"}[l] }

// Value–loyalty classes.
const (
	ClassA = "A"
	ClassB = "B"
	ClassC = "C"
)

// DefaultClassGrid maps [value][loyalty] levels to a class. The documents fix
// three cells: A = high value & high loyalty, B = high value & medium
// loyalty (the largest, most fragile group), C = low value & low loyalty.
// The other cells follow the strategy each class calls for:
//
//	value\loyalty  low  medium  high
//	high           B    B       A     high value not (yet) loyal: keep and bind, like B
//	medium         C    B       B     medium value needs at least medium loyalty to be worth B's care
//	low            C    C       C     low value: price-led offers, like C
func DefaultClassGrid() [3][3]string {
	return [3][3]string{
		Low:    {ClassC, ClassC, ClassC},
		Medium: {ClassC, ClassB, ClassB},
		High:   {ClassB, ClassB, ClassA},
	}
}

// ClassOptions configure the value–loyalty classes. Zero values take the
// defaults.
type ClassOptions struct {
	// ValueCuts are absolute monetary thresholds: medium from [0], high from
	// [1]. When both are zero, they are the ValueQuantiles of the buyers'
	// monetary values.
	ValueCuts [2]float64
	// ValueQuantiles default to {0.2, 0.5}: the top half of the buyers by
	// monetary value is high value, the bottom fifth low.
	ValueQuantiles [2]float64
	// LoyaltyWeights weigh the mid-ranks (among buyers) of frequency, tenure,
	// repeat rate and recency (recent ranks high) in the loyalty score 0..1.
	// Default {0.35, 0.2, 0.25, 0.2}.
	LoyaltyWeights [4]float64
	// LoyaltyCuts are absolute loyalty-score thresholds (0..1); when both
	// are zero they are the LoyaltyQuantiles of the buyers' scores.
	LoyaltyCuts [2]float64
	// LoyaltyQuantiles default to {0.4, 0.8}: the top fifth of the buyers by
	// loyalty score is highly loyal, the bottom two fifths low. With these
	// defaults A is a small loyal elite and B, high value without the
	// highest loyalty, the largest class, as the documents describe it.
	LoyaltyQuantiles [2]float64
	// Grid maps [value][loyalty] to a class; DefaultClassGrid when zero.
	Grid [3][3]string
}

func (o ClassOptions) withDefaults() ClassOptions {
	if o.ValueQuantiles == [2]float64{} {
		o.ValueQuantiles = [2]float64{0.2, 0.5}
	}
	if o.LoyaltyQuantiles == [2]float64{} {
		o.LoyaltyQuantiles = [2]float64{0.4, 0.8}
	}
	if o.LoyaltyWeights == [4]float64{} {
		o.LoyaltyWeights = [4]float64{0.35, 0.2, 0.25, 0.2}
	}
	if o.Grid == [3][3]string{} {
		o.Grid = DefaultClassGrid()
	}
	return o
}

// Loyalty is what the loyalty score reads of one customer.
type Loyalty struct {
	Frequency float64 // distinct sale orders
	Tenure    float64 // days since the first order
	Repeat    float64 // repeat rate, see RepeatRate
	Recency   float64 // days since the last order
}

// RepeatRate is the number of repeat orders (frequency − 1) per 30 days of
// tenure, the tenure counted as at least 30 days. A one-order customer has 0.
func RepeatRate(frequency, tenureDays float64) float64 {
	if frequency <= 0 || math.IsNaN(tenureDays) {
		return math.NaN()
	}
	return (frequency - 1) / (max(tenureDays, 30) / 30)
}

// ClassModel assigns value and loyalty levels and a class to a customer.
type ClassModel struct {
	ValueCuts   [2]float64
	LoyaltyCuts [2]float64
	Weights     [4]float64
	Frequency   Ranker
	Tenure      Ranker
	Repeat      Ranker
	Recency     Ranker
	Grid        [3][3]string
}

// FitClasses fits the model on the buyers: monetary[i] > 0 or frequency > 0
// (callers pass only buyers; NaN entries are ignored).
func FitClasses(monetary []float64, loyalty []Loyalty, opts ClassOptions) ClassModel {
	opts = opts.withDefaults()
	m := ClassModel{ValueCuts: opts.ValueCuts, LoyaltyCuts: opts.LoyaltyCuts, Weights: opts.LoyaltyWeights, Grid: opts.Grid}
	if m.ValueCuts == [2]float64{} {
		m.ValueCuts = quantiles(monetary, opts.ValueQuantiles)
	}
	f, t, r, rec := make([]float64, len(loyalty)), make([]float64, len(loyalty)), make([]float64, len(loyalty)), make([]float64, len(loyalty))
	for i, l := range loyalty {
		f[i], t[i], r[i], rec[i] = l.Frequency, l.Tenure, l.Repeat, -l.Recency
	}
	m.Frequency, m.Tenure, m.Repeat, m.Recency = NewRanker(f), NewRanker(t), NewRanker(r), NewRanker(rec)
	if m.LoyaltyCuts == [2]float64{} {
		scores := make([]float64, len(loyalty))
		for i, l := range loyalty {
			scores[i] = m.LoyaltyScore(l)
		}
		m.LoyaltyCuts = quantiles(scores, opts.LoyaltyQuantiles)
	}
	return m
}

// LoyaltyScore is the weighted mean of the customer's mid-ranks, 0..1
// (components that are NaN are left out and the weights renormalized).
func (m ClassModel) LoyaltyScore(l Loyalty) float64 {
	ranks := [4]float64{m.Frequency.Rank(l.Frequency), m.Tenure.Rank(l.Tenure), m.Repeat.Rank(l.Repeat), m.Recency.Rank(-l.Recency)}
	var sum, w float64
	for i, r := range ranks {
		if !math.IsNaN(r) {
			sum += m.Weights[i] * r
			w += m.Weights[i]
		}
	}
	if w == 0 {
		return math.NaN()
	}
	return sum / w
}

// Classify returns the customer's value and loyalty levels, class and
// loyalty score. A customer without a sale (frequency 0) gets class "".
func (m ClassModel) Classify(monetary float64, l Loyalty) (value, loyalty Level, class string, score float64) {
	if !(l.Frequency > 0) {
		return Low, Low, "", math.NaN()
	}
	score = m.LoyaltyScore(l)
	value, loyalty = level(monetary, m.ValueCuts), level(score, m.LoyaltyCuts)
	return value, loyalty, m.Grid[value][loyalty], score
}

// level: medium from cuts[0] (inclusive), high from cuts[1] (inclusive).
func level(v float64, cuts [2]float64) Level {
	switch {
	case v >= cuts[1]:
		return High
	case v >= cuts[0]:
		return Medium
	}
	return Low
}

// quantiles returns the q-quantiles (lower, no interpolation) of the
// non-NaN values; a cut equal to the minimum is nudged up so that the
// minimum stays low when ties dominate.
func quantiles(values []float64, q [2]float64) [2]float64 {
	xs := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return [2]float64{math.Inf(1), math.Inf(1)}
	}
	sortFloats(xs)
	var cuts [2]float64
	for i, p := range q {
		k := int(math.Ceil(p * float64(len(xs))))
		k = min(max(k, 0), len(xs)-1)
		cuts[i] = xs[k]
		if cuts[i] == xs[0] {
			cuts[i] = math.Nextafter(xs[0], math.Inf(1))
		}
	}
	return cuts
}
