package uplift

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Logistic is an L2-regularized logistic regression over encoded
// (standardized / one-hot) features: P(y=1|x) = σ(Bias + W·x).
type Logistic struct {
	Bias float64   `json:"bias"`
	W    []float64 `json:"w"`
}

// Prob is P(y=1 | x) for one encoded row.
func (m *Logistic) Prob(x []float64) float64 {
	z := m.Bias
	for k, w := range m.W {
		z += w * x[k]
	}
	return sigmoid(z)
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// fitLogistic minimizes Σᵢ wᵢ·logloss(yᵢ, σ(b + W·xᵢ)) + (λ·Σwᵢ/2)·|W|² by
// Newton's method (the intercept is not penalized; the penalty scales with
// the total weight, so λ means the same for any n). rows selects rows of the
// n×d matrix x; w nil means weight 1. Stops when the largest Newton step is
// below 1e-8 or after 50 iterations.
func fitLogistic(ctx context.Context, x []float64, d int, rows []int, y []bool, w []float64, lambda float64) (*Logistic, error) {
	p := d + 1 // parameter 0 is the intercept
	beta := make([]float64, p)
	var wsum, ysum float64
	for _, i := range rows {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		wsum += wi
		if y[i] {
			ysum += wi
		}
	}
	if wsum == 0 {
		return nil, errors.New("cannot fit logistic regression: no rows")
	}
	// Start from the base rate, clamped away from 0 and 1.
	rate := math.Min(math.Max(ysum/wsum, 1e-6), 1-1e-6)
	beta[0] = math.Log(rate / (1 - rate))
	H := make([]float64, p*p)
	g := make([]float64, p)
	step := make([]float64, p)
	pen := lambda * wsum
	for iter := 0; iter < 50; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(H)
		clear(g)
		for _, i := range rows {
			xi := x[i*d : i*d+d]
			z := beta[0]
			for k, v := range xi {
				z += beta[k+1] * v
			}
			pr := sigmoid(z)
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			r := pr
			if y[i] {
				r -= 1
			}
			r *= wi
			h := wi * pr * (1 - pr)
			g[0] += r
			H[0] += h
			// Lower triangle only; parameter k+1 belongs to feature k.
			for a, va := range xi {
				if va == 0 {
					continue
				}
				g[a+1] += r * va
				hv := h * va
				row := H[(a+1)*p:]
				row[0] += hv
				for b, vb := range xi[:a+1] {
					row[b+1] += hv * vb
				}
			}
		}
		for a := 1; a < p; a++ {
			g[a] += pen * beta[a]
			H[a*p+a] += pen + 1e-9*wsum
		}
		for a := 1; a < p; a++ {
			for b := 0; b < a; b++ {
				H[b*p+a] = H[a*p+b]
			}
		}
		H[0] += 1e-9 * wsum
		if err := cholSolve(H, g, step, p); err != nil {
			return nil, fmt.Errorf("cannot fit logistic regression: %w", err)
		}
		maxStep := 0.0
		for k := range beta {
			beta[k] -= step[k]
			maxStep = math.Max(maxStep, math.Abs(step[k]))
		}
		if math.IsNaN(maxStep) || math.IsInf(maxStep, 0) {
			return nil, errors.New("cannot fit logistic regression: Newton's method diverged (features too extreme?)")
		}
		if maxStep < 1e-8 {
			break
		}
	}
	return &Logistic{Bias: beta[0], W: beta[1:]}, nil
}

// cholSolve solves A·x = b for symmetric positive definite A (p×p,
// row-major; overwritten by its Cholesky factor).
func cholSolve(A, b, x []float64, p int) error {
	for j := 0; j < p; j++ {
		s := A[j*p+j]
		for k := 0; k < j; k++ {
			s -= A[j*p+k] * A[j*p+k]
		}
		if s <= 0 || math.IsNaN(s) {
			return errors.New("Hessian not positive definite")
		}
		ljj := math.Sqrt(s)
		A[j*p+j] = ljj
		for i := j + 1; i < p; i++ {
			s := A[i*p+j]
			for k := 0; k < j; k++ {
				s -= A[i*p+k] * A[j*p+k]
			}
			A[i*p+j] = s / ljj
		}
	}
	copy(x, b)
	for i := 0; i < p; i++ {
		s := x[i]
		for k := 0; k < i; k++ {
			s -= A[i*p+k] * x[k]
		}
		x[i] = s / A[i*p+i]
	}
	for i := p - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < p; k++ {
			s -= A[k*p+i] * x[k]
		}
		x[i] = s / A[i*p+i]
	}
	return nil
}
