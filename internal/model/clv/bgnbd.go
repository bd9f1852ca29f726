package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/optimize"
)

// Errors.
var (
	// ErrTooFew: too few customers or repeat buyers to fit a model.
	ErrTooFew = errors.New("too few customers to fit")
	// ErrInput: the summary is malformed (negative, NaN, t_x > T ...).
	ErrInput = errors.New("invalid customer summary")
)

// Minimums below which a fit is refused.
const (
	MinCustomers    = 20
	MinRepeatBuyers = 5
	// WarnBuyers: below this many buyers the estimates are uncertain and the
	// callers say so.
	WarnBuyers = 500
)

// BGNBD holds the parameters of the BG/NBD model: the purchase rate λ is
// Gamma(r, α) distributed across customers, the drop-out probability after
// each transaction p is Beta(a, b).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
}

// ConvergenceError reports a fit that stopped without converging, with the
// state it stopped in.
type ConvergenceError struct {
	Model      string    // "bgnbd" or "gamma_gamma"
	Status     string    // the optimizer's status
	Iterations int       // major iterations
	Evals      int       // function evaluations
	Params     []float64 // where it stopped (natural scale)
	LogLik     float64   // log-likelihood there
	GradNorm   float64   // infinity norm of the gradient of the mean log-likelihood (log-parameter scale)
	Err        error     // the optimizer's error, if any
}

func (e *ConvergenceError) Error() string {
	s := fmt.Sprintf("%s fit did not converge: status %s after %d iterations (%d evaluations), params %.6g, log-likelihood %.6g, gradient norm %.3g",
		e.Model, e.Status, e.Iterations, e.Evals, e.Params, e.LogLik, e.GradNorm)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *ConvergenceError) Unwrap() error { return e.Err }

// FitResult is a fitted BG/NBD model.
type FitResult struct {
	BGNBD
	LogLik     float64 `json:"log_likelihood"`
	Customers  int     `json:"customers"`
	Repeat     int     `json:"repeat_buyers"`
	Iterations int     `json:"iterations"`
	GradNorm   float64 `json:"gradient_norm"`
	// Warnings about the estimates (boundary solutions).
	Warnings []string `json:"warnings,omitempty"`
}

// noDropout is the mean drop-out probability a/(a+b) below which the fit is
// taken to have reached the NBD boundary.
const noDropout = 1e-4

// bgData is the summary grouped by identical (x, t_x, T) with counts; the
// distinct x and the distinct t_x / T values are tabled so that one
// evaluation computes each special function once per distinct value.
type bgData struct {
	xs     []float64 // distinct x
	vals   []float64 // distinct t_x and T values
	groups []bgGroup
	n      float64 // customers
	repeat int
	meanX  float64
	meanT  float64
}

type bgGroup struct {
	xi, txi, ti int32
	w           float64
}

func validate(x, tx, T []float64) error {
	if len(tx) != len(x) || len(T) != len(x) {
		return fmt.Errorf("%w: %d x, %d t_x and %d T values", ErrInput, len(x), len(tx), len(T))
	}
	for i := range x {
		xi, txi, ti := x[i], tx[i], T[i]
		switch {
		case !(xi >= 0) || math.IsInf(xi, 0) || xi != math.Trunc(xi):
			return fmt.Errorf("%w: customer %d: x = %v is not a whole number ≥ 0", ErrInput, i, xi)
		case !(txi >= 0) || !(ti >= txi) || math.IsInf(ti, 0):
			return fmt.Errorf("%w: customer %d: need 0 ≤ t_x ≤ T, have t_x = %v, T = %v", ErrInput, i, txi, ti)
		case xi == 0 && txi != 0:
			return fmt.Errorf("%w: customer %d: t_x = %v without repeat transactions", ErrInput, i, txi)
		}
	}
	return nil
}

func prepare(x, tx, T []float64) (*bgData, error) {
	if err := validate(x, tx, T); err != nil {
		return nil, err
	}
	d := &bgData{n: float64(len(x))}
	xIdx := map[float64]int32{}
	vIdx := map[float64]int32{}
	type key struct{ xi, txi, ti int32 }
	gIdx := map[key]int32{}
	idx := func(m map[float64]int32, s *[]float64, v float64) int32 {
		i, ok := m[v]
		if !ok {
			i = int32(len(*s))
			m[v] = i
			*s = append(*s, v)
		}
		return i
	}
	var sx, sT float64
	for i := range x {
		sx += x[i]
		sT += T[i]
		if x[i] > 0 {
			d.repeat++
		}
		k := key{idx(xIdx, &d.xs, x[i]), idx(vIdx, &d.vals, tx[i]), idx(vIdx, &d.vals, T[i])}
		g, ok := gIdx[k]
		if !ok {
			g = int32(len(d.groups))
			gIdx[k] = g
			d.groups = append(d.groups, bgGroup{xi: k.xi, txi: k.txi, ti: k.ti})
		}
		d.groups[g].w++
	}
	if len(x) > 0 {
		d.meanX, d.meanT = sx/d.n, sT/d.n
	}
	return d, nil
}

// bgEval evaluates the log-likelihood and its gradient, reusing buffers.
type bgEval struct {
	d      *bgData
	lv, iv []float64 // ln(α+v), 1/(α+v)
	px     []xTerms
}

type xTerms struct {
	c, la4         float64 // constant part of the log-likelihood; ln a − ln(b+x−1)
	dr, da, db, ib float64 // constant gradient parts; 1/(b+x−1)
}

func newBGEval(d *bgData) *bgEval {
	return &bgEval{d: d, lv: make([]float64, len(d.vals)), iv: make([]float64, len(d.vals)), px: make([]xTerms, len(d.xs))}
}

// eval returns the summed log-likelihood at p and, when grad is not nil,
// stores its gradient with respect to (r, α, a, b) in grad.
func (e *bgEval) eval(p BGNBD, grad []float64) float64 {
	r, al, a, b := p.R, p.Alpha, p.A, p.B
	if !(r > 0 && al > 0 && a > 0 && b > 0) || math.IsInf(r+al+a+b, 0) {
		return math.Inf(-1)
	}
	d := e.d
	for k, v := range d.vals {
		e.lv[k] = math.Log(al + v)
		e.iv[k] = 1 / (al + v)
	}
	lnA, lgR, lgB, lgAB := math.Log(al), lgamma(r), lgamma(b), lgamma(a+b)
	psR, psB, psAB := mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
	for i, x := range d.xs {
		t := &e.px[i]
		t.c = lgamma(r+x) - lgR + r*lnA + lgAB + lgamma(b+x) - lgB - lgamma(a+b+x)
		if x > 0 {
			t.ib = 1 / (b + x - 1)
			t.la4 = math.Log(a) + math.Log(t.ib)
		}
		if grad != nil {
			t.dr = mathext.Digamma(r+x) - psR + lnA
			psABX := mathext.Digamma(a + b + x)
			t.da = psAB - psABX
			t.db = psAB + mathext.Digamma(b+x) - psB - psABX
		}
	}
	var ll, gr, ga, gA, gB float64
	for _, g := range d.groups {
		x := d.xs[g.xi]
		t := &e.px[g.xi]
		lT := e.lv[g.ti]
		d1 := -(r + x) * lT
		lse, w := d1, 0.0 // w: weight of the "dropped out at t_x" term
		if x > 0 {
			d2 := t.la4 - (r+x)*e.lv[g.txi]
			if d2 > d1 {
				q := math.Exp(d1 - d2)
				lse, w = d2+math.Log1p(q), 1/(1+q)
			} else {
				q := math.Exp(d2 - d1)
				lse, w = d1+math.Log1p(q), q/(1+q)
			}
		}
		ll += g.w * (t.c + lse)
		if grad == nil {
			continue
		}
		lTx, iT, iTx := e.lv[g.txi], e.iv[g.ti], e.iv[g.txi]
		gr += g.w * (t.dr - (1-w)*lT - w*lTx)
		ga += g.w * (r/al - (r+x)*((1-w)*iT+w*iTx))
		gA += g.w * (t.da + w/a)
		gB += g.w * (t.db - w*t.ib)
	}
	if grad != nil {
		grad[0], grad[1], grad[2], grad[3] = gr, ga, gA, gB
	}
	return ll
}

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// LogLikelihood is the BG/NBD log-likelihood of the customers (x, t_x, T)
// under p, summed over customers.
func LogLikelihood(p BGNBD, x, tx, T []float64) (float64, error) {
	d, err := prepare(x, tx, T)
	if err != nil {
		return 0, err
	}
	return newBGEval(d).eval(p, nil), nil
}

// Gradient returns the gradient of LogLikelihood with respect to
// (r, α, a, b), computed analytically.
func Gradient(p BGNBD, x, tx, T []float64) ([4]float64, error) {
	var g [4]float64
	d, err := prepare(x, tx, T)
	if err != nil {
		return g, err
	}
	newBGEval(d).eval(p, g[:])
	return g, nil
}

// gradTol is the gradient norm (infinity norm, mean log-likelihood, log
// parameters) below which a fit has converged.
const gradTol = 1e-6

// acceptTol: a fit stopped by the function-value criterion is accepted when
// its gradient norm is below this.
const acceptTol = 1e-4

// Fit estimates the BG/NBD parameters by maximum likelihood (BFGS over the
// logarithms of the parameters, analytic gradient).
func Fit(x, tx, T []float64) (*FitResult, error) {
	d, err := prepare(x, tx, T)
	if err != nil {
		return nil, err
	}
	if len(x) < MinCustomers || d.repeat < MinRepeatBuyers {
		return nil, fmt.Errorf("%w: BG/NBD needs at least %d customers and %d repeat buyers, have %d and %d",
			ErrTooFew, MinCustomers, MinRepeatBuyers, len(x), d.repeat)
	}
	e := newBGEval(d)
	// Start: r = 1, α from the mean purchase rate, a = 1, b = 1.
	rate := (d.meanX + 0.1) / math.Max(d.meanT, 1e-9)
	init := []float64{0, math.Log(1 / rate), 0, 0}
	obj := func(th []float64, grad []float64) float64 {
		p := BGNBD{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2]), math.Exp(th[3])}
		var g [4]float64
		var gp []float64
		if grad != nil {
			gp = g[:]
		}
		ll := e.eval(p, gp)
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			if grad != nil {
				for i := range grad {
					grad[i] = 0
				}
			}
			return math.Inf(1)
		}
		if grad != nil {
			nat := [4]float64{p.R, p.Alpha, p.A, p.B}
			for i := range 4 {
				grad[i] = -g[i] * nat[i] / d.n
			}
		}
		return -ll / d.n
	}
	th, res, cerr := minimize(obj, init)
	p := BGNBD{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2]), math.Exp(th[3])}
	if cerr != nil {
		cerr.Model = "bgnbd"
		cerr.Params = []float64{p.R, p.Alpha, p.A, p.B}
		cerr.LogLik = -res.F * d.n
		return nil, cerr
	}
	out := &FitResult{BGNBD: p, LogLik: -res.F * d.n, Customers: len(x), Repeat: d.repeat,
		Iterations: res.MajorIterations, GradNorm: infNorm(res.Gradient)}
	if m := p.A / (p.A + p.B); m < noDropout {
		out.Warnings = append(out.Warnings, fmt.Sprintf("the data show no drop-out: the mean drop-out probability a/(a+b) is %.2g, "+
			"the maximum is on the boundary a → 0, b → ∞ where the BG/NBD becomes the NBD model (P(alive) ≈ 1 for everyone); "+
			"the purchase-rate parameters r and α are well determined, a and b individually are not", m))
	}
	return out, nil
}

// maxLogParam bounds |ln θ| of a converged fit: beyond it (3.3e6 or 3e-7) a
// parameter is running off to ∞ or 0 and the maximum does not exist.
const maxLogParam = 15

// minimize minimizes f (value and gradient in one pass, cached) with BFGS
// and judges convergence; the returned location is where it stopped.
func minimize(f func(x, grad []float64) float64, init []float64) ([]float64, *optimize.Result, *ConvergenceError) {
	n := len(init)
	lastX := make([]float64, n)
	lastG := make([]float64, n)
	var lastF float64
	have := false
	both := func(x []float64) {
		if have && equal(x, lastX) {
			return
		}
		copy(lastX, x)
		lastF = f(x, lastG)
		have = true
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { both(x); return lastF },
		Grad: func(g, x []float64) { both(x); copy(g, lastG) },
	}
	settings := &optimize.Settings{
		GradientThreshold: gradTol,
		MajorIterations:   500,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, init, settings, &optimize.BFGS{})
	if res == nil {
		return init, &optimize.Result{}, &ConvergenceError{Status: "failed", Err: err}
	}
	for _, v := range res.X {
		if math.Abs(v) > maxLogParam { // a parameter ran off to 0 or ∞
			return res.X, res, &ConvergenceError{Status: "parameter diverged", Iterations: res.MajorIterations,
				Evals: res.FuncEvaluations, GradNorm: infNorm(res.Gradient), Err: err}
		}
	}
	gn := infNorm(res.Gradient)
	ok := res.Status == optimize.GradientThreshold || gn < acceptTol
	if !ok || math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		return res.X, res, &ConvergenceError{Status: res.Status.String(), Iterations: res.MajorIterations,
			Evals: res.FuncEvaluations, GradNorm: gn, Err: err}
	}
	return res.X, res, nil
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func infNorm(g []float64) float64 {
	var m float64
	for _, v := range g {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// PAlive is the probability that a customer with (x, t_x, T) is still
// active at T.
func (p BGNBD) PAlive(x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	return 1 / (1 + p.A/(p.B+x-1)*math.Exp((p.R+x)*(math.Log(p.Alpha+T)-math.Log(p.Alpha+tx))))
}

// ExpectedPurchases is E[X(t)], the expected number of repeat purchases of
// a new customer in a period of length t from the first purchase.
func (p BGNBD) ExpectedPurchases(t float64) float64 {
	if lo, hi, ok := p.nearA1(); ok {
		return (lo.ExpectedPurchases(t) + hi.ExpectedPurchases(t)) / 2
	}
	z := t / (p.Alpha + t)
	return (p.A + p.B - 1) / (p.A - 1) * (1 - math.Pow(p.Alpha/(p.Alpha+t), p.R)*mathext.Hypergeo(p.R, p.B, p.A+p.B-1, z))
}

// nearA1: the expectations have a removable singularity at a = 1 (0/0);
// within 5e-7 of it they are the mean of the values at a = 1 ± 1e-6.
func (p BGNBD) nearA1() (lo, hi BGNBD, ok bool) {
	const eps = 1e-6
	if math.Abs(p.A-1) >= eps/2 {
		return p, p, false
	}
	lo, hi = p, p
	lo.A, hi.A = 1-eps, 1+eps
	return lo, hi, true
}

// growth is E[Y(t) | x, t_x, T] / P(alive | x, t_x, T): it depends on x and
// T only.
func (p BGNBD) growth(x, T, t float64) float64 {
	if t <= 0 {
		return 0
	}
	if lo, hi, ok := p.nearA1(); ok {
		return (lo.growth(x, T, t) + hi.growth(x, T, t)) / 2
	}
	aT := p.Alpha + T
	z := t / (aT + t)
	return (p.A + p.B + x - 1) / (p.A - 1) *
		(1 - math.Pow(aT/(aT+t), p.R+x)*mathext.Hypergeo(p.R+x, p.B+x, p.A+p.B+x-1, z))
}

// ConditionalExpected is E[Y(t) | x, t_x, T]: the expected number of
// purchases in (T, T+t] of a customer with history (x, t_x, T) (paper eq. 10).
func (p BGNBD) ConditionalExpected(t, x, tx, T float64) float64 {
	return p.growth(x, T, t) * p.PAlive(x, tx, T)
}

// ProbPurchase is the probability of at least one purchase in (T, T+t]:
// the customer must be alive, and then Poisson with λ | alive ~
// Gamma(r+x, α+T) (death happens only just after a purchase).
func (p BGNBD) ProbPurchase(t, x, tx, T float64) float64 {
	return p.PAlive(x, tx, T) * -math.Expm1((p.R+x)*(math.Log(p.Alpha+T)-math.Log(p.Alpha+T+t)))
}

// MedianWait is the median time from T to the next purchase of a customer
// who is alive: ((α+T)/(α+T+s))^(r+x) = ½.
func (p BGNBD) MedianWait(x, T float64) float64 {
	return (p.Alpha + T) * math.Expm1(math.Ln2/(p.R+x))
}
