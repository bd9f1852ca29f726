package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma holds the parameters of the Gamma-Gamma spend model: a
// customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across
// customers. The mean spend exists when q > 1.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
}

// GGFitResult is a fitted Gamma-Gamma model.
type GGFitResult struct {
	GammaGamma
	LogLik     float64 `json:"log_likelihood"`
	Customers  int     `json:"customers"` // repeat buyers with a positive mean spend
	Iterations int     `json:"iterations"`
	GradNorm   float64 `json:"gradient_norm"`
}

// ErrNoMean: the fitted q is ≤ 1, so the expected spend is infinite.
var ErrNoMean = errors.New("gamma-gamma: q ≤ 1, the expected spend is undefined")

type ggData struct {
	xs     []float64 // distinct x
	lnX    []float64
	cust   []ggCust
	n      float64
	meanM  float64
	lgPX   []float64 // buffers per distinct x
	psPX   []float64
	lgPXQ  []float64
	psPXQ  []float64
	sumLnM float64
}

type ggCust struct {
	xi     int32
	x, m   float64
	lnM    float64
	mx     float64 // m·x
	weight float64
}

// prepareGG keeps the repeat buyers (x ≥ 1) with a positive mean spend m.
func prepareGG(x, m []float64) (*ggData, error) {
	if len(m) != len(x) {
		return nil, fmt.Errorf("%w: %d x and %d monetary values", ErrInput, len(x), len(m))
	}
	d := &ggData{}
	xIdx := map[float64]int32{}
	var sm float64
	for i := range x {
		if math.IsNaN(m[i]) || math.IsInf(m[i], 0) {
			return nil, fmt.Errorf("%w: customer %d: monetary value %v", ErrInput, i, m[i])
		}
		if !(x[i] >= 1) || !(m[i] > 0) {
			continue
		}
		xi, ok := xIdx[x[i]]
		if !ok {
			xi = int32(len(d.xs))
			xIdx[x[i]] = xi
			d.xs = append(d.xs, x[i])
			d.lnX = append(d.lnX, math.Log(x[i]))
		}
		d.cust = append(d.cust, ggCust{xi: xi, x: x[i], m: m[i], lnM: math.Log(m[i]), mx: m[i] * x[i], weight: 1})
		sm += m[i]
	}
	d.n = float64(len(d.cust))
	if d.n > 0 {
		d.meanM = sm / d.n
	}
	k := len(d.xs)
	d.lgPX, d.psPX, d.lgPXQ, d.psPXQ = make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	return d, nil
}

// eval returns the summed log-likelihood and, when grad is not nil, its
// gradient with respect to (p, q, γ).
func (d *ggData) eval(g GammaGamma, grad []float64) float64 {
	p, q, gm := g.P, g.Q, g.Gamma
	if !(p > 0 && q > 0 && gm > 0) || math.IsInf(p+q+gm, 0) {
		return math.Inf(-1)
	}
	for i, x := range d.xs {
		d.lgPX[i] = lgamma(p * x)
		d.lgPXQ[i] = lgamma(p*x + q)
		if grad != nil {
			d.psPX[i] = mathext.Digamma(p * x)
			d.psPXQ[i] = mathext.Digamma(p*x + q)
		}
	}
	lgQ, lnG := lgamma(q), math.Log(gm)
	psQ := mathext.Digamma(q)
	var ll, gp, gq, gg float64
	for _, c := range d.cust {
		px := p * c.x
		l := math.Log(gm + c.mx)
		ll += d.lgPXQ[c.xi] - d.lgPX[c.xi] - lgQ + q*lnG + (px-1)*c.lnM + px*d.lnX[c.xi] - (px+q)*l
		if grad != nil {
			gp += c.x * (d.psPXQ[c.xi] - d.psPX[c.xi] + c.lnM + d.lnX[c.xi] - l)
			gq += d.psPXQ[c.xi] - psQ + lnG - l
			gg += q/gm - (px+q)/(gm+c.mx)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = gp, gq, gg
	}
	return ll
}

// GGLogLikelihood is the Gamma-Gamma log-likelihood of the repeat buyers
// among the customers (x repeat transactions of mean value m).
func GGLogLikelihood(g GammaGamma, x, m []float64) (float64, error) {
	d, err := prepareGG(x, m)
	if err != nil {
		return 0, err
	}
	return d.eval(g, nil), nil
}

// GGGradient is the analytic gradient of GGLogLikelihood in (p, q, γ).
func GGGradient(g GammaGamma, x, m []float64) ([3]float64, error) {
	var gr [3]float64
	d, err := prepareGG(x, m)
	if err != nil {
		return gr, err
	}
	d.eval(g, gr[:])
	return gr, nil
}

// FitGammaGamma estimates the Gamma-Gamma parameters by maximum likelihood
// from the repeat buyers (x ≥ 1, m > 0; the others are skipped). m is the
// mean value of a customer's repeat transactions.
func FitGammaGamma(x, m []float64) (*GGFitResult, error) {
	d, err := prepareGG(x, m)
	if err != nil {
		return nil, err
	}
	if len(d.cust) < MinRepeatBuyers {
		return nil, fmt.Errorf("%w: Gamma-Gamma needs at least %d repeat buyers with a positive spend, have %d",
			ErrTooFew, MinRepeatBuyers, len(d.cust))
	}
	init := []float64{0, math.Log(2), math.Log(d.meanM)}
	obj := func(th, grad []float64) float64 {
		g := GammaGamma{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])}
		var gr [3]float64
		var gp []float64
		if grad != nil {
			gp = gr[:]
		}
		ll := d.eval(g, gp)
		if math.IsNaN(ll) || math.IsInf(ll, 0) {
			for i := range grad {
				grad[i] = 0
			}
			return math.Inf(1)
		}
		if grad != nil {
			nat := [3]float64{g.P, g.Q, g.Gamma}
			for i := range 3 {
				grad[i] = -gr[i] * nat[i] / d.n
			}
		}
		return -ll / d.n
	}
	th, res, cerr := minimize(obj, init)
	g := GammaGamma{math.Exp(th[0]), math.Exp(th[1]), math.Exp(th[2])}
	if cerr != nil {
		cerr.Model = "gamma_gamma"
		cerr.Params = []float64{g.P, g.Q, g.Gamma}
		cerr.LogLik = -res.F * d.n
		return nil, cerr
	}
	out := &GGFitResult{GammaGamma: g, LogLik: -res.F * d.n, Customers: len(d.cust),
		Iterations: res.MajorIterations, GradNorm: infNorm(res.Gradient)}
	if g.Q <= 1 {
		return out, fmt.Errorf("%w (p %.4g, q %.4g, γ %.4g)", ErrNoMean, g.P, g.Q, g.Gamma)
	}
	return out, nil
}

// ExpectedSpend is the expected value of a customer's next transaction given
// x repeat transactions of mean value m: a weighted mean of the population
// mean pγ/(q−1) and m. For x = 0 (or m ≤ 0) it is the population mean.
func (g GammaGamma) ExpectedSpend(x, m float64) float64 {
	if x < 1 || !(m > 0) {
		return g.P * g.Gamma / (g.Q - 1)
	}
	return g.P * (g.Gamma + m*x) / (g.P*x + g.Q - 1)
}
