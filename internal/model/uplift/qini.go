package uplift

import (
	"cmp"
	"slices"
)

// Point is one point of a Qini or uplift curve: after targeting the
// Fraction of customers with the highest scores.
type Point struct {
	Fraction float64 `json:"fraction"`
	// Qini is Y_T(k) − Y_C(k)·N_T(k)/N_C(k), divided by N: the incremental
	// conversions of the targeted top k, per customer of the population.
	Qini float64 `json:"qini"`
	// Uplift is (Y_T(k)/N_T(k) − Y_C(k)/N_C(k))·k/N: the cumulative gain.
	Uplift float64 `json:"uplift"`
}

// Curve is a Qini curve over held-out data, with its summary figures.
//
// Definitions (the same in scripts/bench_uplift_sklearn.sh): customers are
// sorted by score, highest first; customers with equal scores form one
// group, so that a curve does not depend on the order of ties. After each
// group, with k customers targeted of N, N_T(k) and N_C(k) treated and
// control among them and Y_T(k), Y_C(k) their conversions:
//
//	Qini(k)   = (Y_T(k) − Y_C(k)·N_T(k)/N_C(k)) / N        (0 while N_C(k) = 0: Y_T(k)/N)
//	Uplift(k) = (Y_T(k)/N_T(k) − Y_C(k)/N_C(k)) · k/N      (0 while an arm is empty)
//
// The curves start at (0, 0) and are joined linearly (trapezoids).
// Coefficient is the area between the Qini curve and the straight line from
// (0, 0) to (1, Qini(N)) — random targeting; AUUC is the area under the
// Uplift curve. Both are per customer of the population, so they compare
// across data sets of different sizes; higher is better, and a model no
// better than random has a Coefficient near 0.
type Curve struct {
	Points      []Point `json:"points,omitempty"`
	Coefficient float64 `json:"qini_coefficient"`
	AUUC        float64 `json:"auuc"`
	// Total is Qini(N): the incremental conversions per customer when all
	// are targeted (the average treatment effect).
	Total float64 `json:"total"`
}

// Qini computes the Qini and uplift curves of scores on held-out data.
func Qini(score []float64, treated, y []bool) Curve {
	n := len(score)
	if n == 0 {
		return Curve{}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	N := float64(n)
	c := Curve{Points: []Point{{0, 0, 0}}}
	var nt, nc, yt, yc float64
	var area, uarea float64
	prev := Point{}
	for g := 0; g < n; {
		e := g
		for e < n && score[idx[e]] == score[idx[g]] {
			i := idx[e]
			if treated[i] {
				nt++
				if y[i] {
					yt++
				}
			} else {
				nc++
				if y[i] {
					yc++
				}
			}
			e++
		}
		g = e
		p := Point{Fraction: float64(e) / N}
		if nc > 0 {
			p.Qini = (yt - yc*nt/nc) / N
		} else {
			p.Qini = yt / N
		}
		if nt > 0 && nc > 0 {
			p.Uplift = (yt/nt - yc/nc) * float64(e) / N
		}
		dx := p.Fraction - prev.Fraction
		area += dx * (p.Qini + prev.Qini) / 2
		uarea += dx * (p.Uplift + prev.Uplift) / 2
		c.Points = append(c.Points, p)
		prev = p
	}
	c.Total = prev.Qini
	c.Coefficient = area - c.Total/2
	c.AUUC = uarea
	return c
}

// At returns the Qini value (incremental conversions per customer of the
// population) after targeting fraction f, interpolated linearly.
func (c Curve) At(f float64) float64 {
	ps := c.Points
	for k := 1; k < len(ps); k++ {
		if ps[k].Fraction >= f {
			a, b := ps[k-1], ps[k]
			if b.Fraction == a.Fraction {
				return b.Qini
			}
			return a.Qini + (b.Qini-a.Qini)*(f-a.Fraction)/(b.Fraction-a.Fraction)
		}
	}
	if len(ps) == 0 {
		return 0
	}
	return ps[len(ps)-1].Qini
}

// Thin keeps at most k+1 evenly spaced points of the curve, for output.
func (c Curve) Thin(k int) Curve {
	if len(c.Points) <= k+1 {
		return c
	}
	out := c
	out.Points = nil
	for s := 0; s <= k; s++ {
		f := float64(s) / float64(k)
		i, _ := slices.BinarySearchFunc(c.Points, f, func(p Point, f float64) int { return cmp.Compare(p.Fraction, f) })
		if i >= len(c.Points) {
			i = len(c.Points) - 1
		}
		out.Points = append(out.Points, c.Points[i])
	}
	return out
}
