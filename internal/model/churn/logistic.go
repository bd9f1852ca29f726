package churn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// Logistic is an L2-regularized logistic regression over standardized
// numbers clipped to the training range (unknown: the mean, plus an
// indicator when training had unknowns)
// and one-hot categories (unknown or unseen: all zero).
type Logistic struct {
	W         []float64 `json:"weights"` // in design order: per feature, see design
	Intercept float64   `json:"intercept"`
}

// width is the number of design columns of a feature.
func (f *Feature) width() int {
	if f.Numeric {
		if f.Missing {
			return 2
		}
		return 1
	}
	return len(f.Levels)
}

// design builds the row-major design matrix of the aligned columns.
func design(fs []Feature, cols []Col, n int) ([]float64, int) {
	p := 0
	for i := range fs {
		p += fs[i].width()
	}
	x := make([]float64, n*p)
	off := 0
	for j := range fs {
		f := &fs[j]
		if f.Numeric {
			for i, v := range cols[j].Num {
				if math.IsNaN(v) {
					if f.Missing {
						x[i*p+off+1] = 1
					}
					continue
				}
				x[i*p+off] = (math.Min(math.Max(v, f.Min), f.Max) - f.Mean) / f.Std
			}
		} else {
			for i, c := range f.codes(cols[j].Text) {
				if c > 0 {
					x[i*p+off+int(c)-1] = 1
				}
			}
		}
		off += f.width()
	}
	return x, p
}

// fitLogistic minimizes Σ log-loss + λ/2 ‖w‖² (intercept not penalized)
// with L-BFGS.
func fitLogistic(x []float64, p int, y []bool, lambda float64) (*Logistic, error) {
	n := len(y)
	z := make([]float64, n)
	f := func(th, grad []float64) float64 {
		w, b := th[:p], th[p]
		var loss float64
		for i := range n {
			row := x[i*p : i*p+p]
			s := b
			for k, v := range row {
				if v != 0 {
					s += w[k] * v
				}
			}
			// log(1+e^s) − y·s, stably
			if y[i] {
				loss += softplus(-s)
			} else {
				loss += softplus(s)
			}
			z[i] = sigmoid(s)
			if y[i] {
				z[i]--
			}
		}
		var reg float64
		for _, v := range w {
			reg += v * v
		}
		loss += lambda / 2 * reg
		if grad != nil {
			for k := range grad {
				grad[k] = 0
			}
			for i := range n {
				d := z[i]
				row := x[i*p : i*p+p]
				for k, v := range row {
					if v != 0 {
						grad[k] += d * v
					}
				}
				grad[p] += d
			}
			for k := range p {
				grad[k] += lambda * w[k]
			}
			for k := range grad {
				grad[k] /= float64(n)
			}
		}
		return loss / float64(n)
	}
	var lastX, lastG []float64
	var lastF float64
	both := func(th []float64) {
		if lastX != nil && equalSlices(th, lastX) {
			return
		}
		lastX = append(lastX[:0], th...)
		lastG = make([]float64, len(th))
		lastF = f(th, lastG)
	}
	prob := optimize.Problem{
		Func: func(th []float64) float64 { both(th); return lastF },
		Grad: func(g, th []float64) { both(th); copy(g, lastG) },
	}
	res, err := optimize.Minimize(prob, make([]float64, p+1), &optimize.Settings{GradientThreshold: 1e-7, MajorIterations: 1000}, &optimize.LBFGS{})
	if res == nil || math.IsNaN(res.F) {
		return nil, fmt.Errorf("logistic regression did not converge: %v", err)
	}
	if res.Status != optimize.GradientThreshold && res.Status != optimize.FunctionConvergence {
		if g := maxAbs(res.Gradient); g > 1e-4 {
			return nil, fmt.Errorf("logistic regression did not converge: status %v after %d iterations, gradient norm %.3g", res.Status, res.MajorIterations, g)
		}
	}
	return &Logistic{W: append([]float64(nil), res.X[:p]...), Intercept: res.X[p]}, nil
}

// margin returns the linear scores of the design rows.
func (l *Logistic) margin(x []float64, p, n int) []float64 {
	out := make([]float64, n)
	for i := range n {
		s := l.Intercept
		for k, v := range x[i*p : i*p+p] {
			if v != 0 {
				s += l.W[k] * v
			}
		}
		out[i] = s
	}
	return out
}

func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}

// softplus is log(1+e^s).
func softplus(s float64) float64 {
	if s > 30 {
		return s
	}
	return math.Log1p(math.Exp(s))
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func maxAbs(v []float64) float64 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
