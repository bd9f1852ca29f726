package clv

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// simulate draws customers from a BG/NBD (and Gamma-Gamma) world: first
// purchase at 0, observed for T ~ U(50, 150) units, then a holdout of h
// units. It returns calibration x, t_x, T, mean repeat spend m and the
// holdout purchase counts.
func simulate(seed uint64, n int, p BGNBD, g GammaGamma, h float64) (x, tx, T, m, hold []float64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	lam := distuv.Gamma{Alpha: p.R, Beta: p.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: p.A, Beta: p.B, Src: rng}
	nu := distuv.Gamma{Alpha: g.Q, Beta: g.Gamma, Src: rng}
	x, tx, T, m, hold = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		l, q := lam.Rand(), drop.Rand()
		spend := distuv.Gamma{Alpha: g.P, Beta: nu.Rand(), Src: rng}
		T[i] = 50 + 100*rng.Float64()
		var sum float64
		// The first purchase at 0; each repeat purchase may be the last.
		for t := 0.0; ; {
			t += rng.ExpFloat64() / l
			if t > T[i]+h {
				break
			}
			if t > T[i] {
				hold[i]++
			} else {
				x[i]++
				tx[i] = t
				sum += spend.Rand()
			}
			if rng.Float64() < q {
				break
			}
		}
		if x[i] > 0 {
			m[i] = sum / x[i]
		}
	}
	return
}

// stdErrors are the asymptotic standard errors from the numerical Hessian
// of the log-likelihood (natural parameters).
func stdErrorsTest(t *testing.T, grad func([]float64) []float64, at []float64) []float64 {
	k := len(at)
	h := mat.NewSymDense(k, nil)
	for j := range k {
		step := 1e-5 * at[j]
		up, dn := append([]float64(nil), at...), append([]float64(nil), at...)
		up[j] += step
		dn[j] -= step
		gu, gd := grad(up), grad(dn)
		for i := 0; i <= j; i++ {
			h.SetSym(i, j, -(gu[i]-gd[i])/(2*step))
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(h); err != nil {
		t.Fatalf("information matrix not invertible: %v", err)
	}
	se := make([]float64, k)
	for i := range k {
		se[i] = math.Sqrt(cov.At(i, i))
	}
	return se
}

func TestSyntheticRecovery(t *testing.T) {
	truth := BGNBD{R: 0.8, Alpha: 8, A: 0.6, B: 2.5}
	gTruth := GammaGamma{P: 4, Q: 3, Gamma: 20}
	const horizon = 30
	x, tx, T, m, hold := simulate(1, 20000, truth, gTruth, horizon)
	fit, err := Fit(x, tx, T)
	if err != nil {
		t.Fatal(err)
	}
	se := stdErrorsTest(t, func(v []float64) []float64 {
		g, _ := Gradient(BGNBD{v[0], v[1], v[2], v[3]}, x, tx, T)
		return g[:]
	}, []float64{fit.R, fit.Alpha, fit.A, fit.B})
	pkg, err := StdErrors(fit.BGNBD, x, tx, T)
	if err != nil {
		t.Fatal(err)
	}
	for i := range se {
		if math.Abs(pkg[i]-se[i]) > 1e-3*se[i] {
			t.Errorf("StdErrors[%d] = %v, the test's computation %v", i, pkg[i], se[i])
		}
	}
	gg, err := FitGammaGamma(x, m)
	if err != nil {
		t.Fatal(err)
	}
	gse := stdErrorsTest(t, func(v []float64) []float64 {
		g, _ := GGGradient(GammaGamma{v[0], v[1], v[2]}, x, m)
		return g[:]
	}, []float64{gg.P, gg.Q, gg.Gamma})
	for i, c := range []struct {
		name          string
		got, want, se float64
	}{
		{"r", fit.R, truth.R, se[0]}, {"α", fit.Alpha, truth.Alpha, se[1]}, {"a", fit.A, truth.A, se[2]}, {"b", fit.B, truth.B, se[3]},
		{"p", gg.P, gTruth.P, gse[0]}, {"q", gg.Q, gTruth.Q, gse[1]}, {"γ", gg.Gamma, gTruth.Gamma, gse[2]},
	} {
		t.Logf("%d %s: estimate %.4f ± %.4f, truth %.4f", i, c.name, c.got, c.se, c.want)
		if d := math.Abs(c.got - c.want); d > 4*c.se || d > 0.2*c.want {
			t.Errorf("%s = %.4f ± %.4f, truth %.4f", c.name, c.got, c.se, c.want)
		}
	}
	// The optimum: nearby points are worse in every direction.
	opt := []float64{fit.R, fit.Alpha, fit.A, fit.B}
	for i := range opt {
		for _, f := range []float64{0.99, 1.01} {
			v := append([]float64(nil), opt...)
			v[i] *= f
			if l, _ := LogLikelihood(BGNBD{v[0], v[1], v[2], v[3]}, x, tx, T); l >= fit.LogLik {
				t.Errorf("log-likelihood %.6f at %v not below the optimum's %.6f", l, v, fit.LogLik)
			}
		}
	}
	// Conditional expectations under the true parameters predict the
	// holdout total; the unconditional E[X(t)] the calibration mean.
	var pred, act float64
	for i := range x {
		pred += truth.ConditionalExpected(horizon, x[i], tx[i], T[i])
		act += hold[i]
	}
	if math.Abs(pred-act) > 0.03*act {
		t.Errorf("holdout purchases: predicted %.1f, simulated %.0f", pred, act)
	}
	var ex, sx float64
	for i := range x {
		ex += truth.ExpectedPurchases(T[i])
		sx += x[i]
	}
	if math.Abs(ex-sx) > 0.03*sx {
		t.Errorf("calibration purchases: E[X(T)] sums to %.1f, simulated %.0f", ex, sx)
	}
	// P(alive) and purchase probability are probabilities; CLV is finite.
	sc := Scores{PAlive: make([]float64, len(x)), Prob: make([]float64, len(x)), CLV: make([]float64, len(x)), Expected: make([]float64, len(x))}
	Score(fit.BGNBD, gg.GammaGamma, x, tx, T, m, sc, ScoreOptions{Window: 30})
	var sumE float64
	for i := range x {
		if !(sc.PAlive[i] >= 0 && sc.PAlive[i] <= 1 && sc.Prob[i] >= 0 && sc.Prob[i] <= sc.PAlive[i] && sc.CLV[i] >= 0) || math.IsNaN(sc.CLV[i]) {
			t.Fatalf("customer %d: p_alive %v prob %v clv %v", i, sc.PAlive[i], sc.Prob[i], sc.CLV[i])
		}
		if d := sc.Expected[i] - fit.ConditionalExpected(30, x[i], tx[i], T[i]); math.Abs(d) > 1e-12 {
			t.Fatalf("customer %d: Score's expected purchases differ from ConditionalExpected by %v", i, d)
		}
		sumE += sc.Expected[i]
	}
	if math.Abs(sumE-act) > 0.05*act {
		t.Errorf("holdout purchases with the fitted model: predicted %.1f, simulated %.0f", sumE, act)
	}
}

func TestFitErrors(t *testing.T) {
	many := func(n int, f func(i int) (float64, float64, float64)) (x, tx, T []float64) {
		for i := range n {
			a, b, c := f(i)
			x, tx, T = append(x, a), append(tx, b), append(T, c)
		}
		return
	}
	fewX, fewTx, fewT := many(10, func(i int) (float64, float64, float64) { return 1, 2, 5 })
	oneX, oneTx, oneT := many(100, func(i int) (float64, float64, float64) {
		if i < 3 {
			return 1, 2, 5
		}
		return 0, 0, 5
	})
	// Everyone buys every day to the end: no drop-out and no rate
	// heterogeneity; the parameters run off.
	regX, regTx, regT := many(100, func(i int) (float64, float64, float64) { return 30, 30, 30 })
	for _, c := range []struct {
		name      string
		x, tx, T  []float64
		want      error
		convError bool
	}{
		{"too few customers", fewX, fewTx, fewT, ErrTooFew, false},
		{"too few repeat buyers", oneX, oneTx, oneT, ErrTooFew, false},
		{"NaN", []float64{math.NaN()}, []float64{0}, []float64{1}, ErrInput, false},
		{"t_x after T", []float64{1}, []float64{5}, []float64{1}, ErrInput, false},
		{"lengths", []float64{1, 2}, []float64{1}, []float64{1}, ErrInput, false},
		{"no convergence", regX, regTx, regT, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Fit(c.x, c.tx, c.T)
			if err == nil {
				t.Fatalf("fit succeeded: %+v", res)
			}
			if res != nil {
				t.Errorf("a result with the error: %+v", res)
			}
			var ce *ConvergenceError
			if c.convError {
				if !errors.As(err, &ce) || len(ce.Params) != 4 {
					t.Fatalf("error %v, want a ConvergenceError with its state", err)
				}
			} else if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			t.Log(err)
		})
	}
	if _, err := FitGammaGamma([]float64{0, 0, 1}, []float64{0, 0, 5}); !errors.Is(err, ErrTooFew) {
		t.Errorf("Gamma-Gamma with one repeat buyer: %v", err)
	}
}

// At a = 1 the expectations are 0/0 in closed form; they must be the limit.
func TestExpectationsAtA1(t *testing.T) {
	for _, a := range []float64{1, 1 + 4e-7, 1 - 4e-7} {
		p := BGNBD{R: 0.5, Alpha: 10, A: a, B: 3}
		below, above := BGNBD{R: 0.5, Alpha: 10, A: 1 - 1e-3, B: 3}, BGNBD{R: 0.5, Alpha: 10, A: 1 + 1e-3, B: 3}
		g, lo, hi := p.ConditionalExpected(30, 3, 20, 40), below.ConditionalExpected(30, 3, 20, 40), above.ConditionalExpected(30, 3, 20, 40)
		if math.IsNaN(g) || g > math.Max(lo, hi)+1e-9 || g < math.Min(lo, hi)-1e-9 {
			t.Errorf("a = %v: E[Y(30)] %v, not between %v and %v", a, g, lo, hi)
		}
		if e := p.ExpectedPurchases(30); math.IsNaN(e) || e <= 0 {
			t.Errorf("a = %v: E[X(30)] %v", a, e)
		}
	}
}
