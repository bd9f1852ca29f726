package clv

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// stdErrors returns the asymptotic standard errors of the maximum
// likelihood estimates at v: the square roots of the diagonal of the
// inverse observed information, the Hessian taken by central differences of
// the analytic gradient. An entry is NaN where the information is singular
// or not positive (a boundary solution); there the first two are computed
// with the others held fixed.
func stdErrors(grad func(v, g []float64), v []float64) []float64 {
	k := len(v)
	se := make([]float64, k)
	for i := range se {
		se[i] = math.NaN()
	}
	h := mat.NewSymDense(k, nil)
	gu, gd := make([]float64, k), make([]float64, k)
	for j := range k {
		step := 1e-5 * v[j]
		up, dn := append([]float64(nil), v...), append([]float64(nil), v...)
		up[j] += step
		dn[j] -= step
		grad(up, gu)
		grad(dn, gd)
		for i := 0; i <= j; i++ {
			h.SetSym(i, j, -(gu[i]-gd[i])/(2*step))
		}
	}
	// All parameters; failing that (a boundary solution), the leading two
	// (r and α of the BG/NBD) on their own.
	for _, n := range []int{k, 2} {
		sub := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				sub.SetSym(i, j, h.At(i, j))
			}
		}
		var chol mat.Cholesky
		if !chol.Factorize(sub) {
			continue
		}
		var cov mat.SymDense
		if err := chol.InverseTo(&cov); err != nil {
			continue
		}
		for i := range n {
			if c := cov.At(i, i); c > 0 && !math.IsInf(c, 0) {
				se[i] = math.Sqrt(c)
			}
		}
		return se
	}
	return se
}

// StdErrors are the standard errors of a fitted BG/NBD model's parameters
// (r, α, a, b) for the customers it was fitted on; NaN where undetermined.
func StdErrors(p BGNBD, x, tx, T []float64) ([]float64, error) {
	d, err := prepare(x, tx, T)
	if err != nil {
		return nil, err
	}
	e := newBGEval(d)
	return stdErrors(func(v, g []float64) { e.eval(BGNBD{v[0], v[1], v[2], v[3]}, g) }, []float64{p.R, p.Alpha, p.A, p.B}), nil
}

// GGStdErrors are the standard errors of a fitted Gamma-Gamma model's
// parameters (p, q, γ).
func GGStdErrors(g GammaGamma, x, m []float64) ([]float64, error) {
	d, err := prepareGG(x, m)
	if err != nil {
		return nil, err
	}
	return stdErrors(func(v, gr []float64) { d.eval(GammaGamma{v[0], v[1], v[2]}, gr) }, []float64{g.P, g.Q, g.Gamma}), nil
}
