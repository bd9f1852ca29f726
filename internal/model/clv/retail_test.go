package clv

import (
	"compress/gzip"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const retailFile = "../../../../shared/data/online-retail/online-retail.csv.gz"

// readRetail reads the Online Retail transactions of known customers from
// non-cancelled invoices: one Txn per line (merged per day by Summarize).
func readRetail(t testing.TB) []Txn {
	t.Helper()
	path, _ := filepath.Abs(retailFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("Online Retail data not found at %s (../shared/data is absent)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	var txns []Txn
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		inv, qty, date, price, cust := rec[0], rec[3], rec[4], rec[5], rec[6]
		if cust == "" || strings.HasPrefix(inv, "C") {
			continue
		}
		id, err1 := strconv.ParseFloat(cust, 64)
		q, err2 := strconv.ParseFloat(qty, 64)
		p, err3 := strconv.ParseFloat(price, 64)
		at, err4 := time.Parse("2006-01-02 15:04:05", date)
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		txns = append(txns, Txn{Customer: int64(id), Day: int32(at.Unix() / 86400), Amount: q * p})
	}
	return txns
}

func dayOf(s string) int32 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return int32(t.Unix() / 86400)
}

// independentLL computes the BG/NBD log-likelihood without the closed form:
// the drop-out probability p is integrated analytically (Beta moments), the
// purchase rate λ numerically (trapezoid rule over ln λ).
func independentLL(p BGNBD, x, tx, T []float64) float64 {
	lbeta := func(a, b float64) float64 { return lgamma(a) + lgamma(b) - lgamma(a+b) }
	type key struct{ x, s float64 }
	cache := map[key]float64{}
	// logI is ln ∫ λ^x e^{−λs} Gamma(λ; r, α) dλ.
	logI := func(x, s float64) float64 {
		if v, ok := cache[key{x, s}]; ok {
			return v
		}
		k, c := x+p.R, s+p.Alpha
		u0 := math.Log(k / c)
		f := func(u float64) float64 { return k*u - c*math.Exp(u) }
		fmax := f(u0)
		h := 0.05 / math.Sqrt(math.Max(k, 1))
		var sum float64
		for u := u0 - 60/k; u < u0+6; u += h {
			sum += math.Exp(f(u) - fmax)
		}
		v := math.Log(sum*h) + fmax + p.R*math.Log(p.Alpha) - lgamma(p.R)
		cache[key{x, s}] = v
		return v
	}
	var ll float64
	for i := range x {
		l := math.Exp(lbeta(p.A, p.B+x[i])-lbeta(p.A, p.B)) * math.Exp(logI(x[i], T[i]))
		if x[i] > 0 {
			l += math.Exp(lbeta(p.A+1, p.B+x[i]-1)-lbeta(p.A, p.B)) * math.Exp(logI(x[i], tx[i]))
		}
		ll += math.Log(l)
	}
	return ll
}

// numGrad is the central-difference gradient of f at v.
func numGrad(f func([]float64) float64, v []float64) []float64 {
	g := make([]float64, len(v))
	for i := range v {
		h := 1e-5 * v[i]
		up, dn := append([]float64(nil), v...), append([]float64(nil), v...)
		up[i] += h
		dn[i] -= h
		g[i] = (f(up) - f(dn)) / (2 * h)
	}
	return g
}

func TestOnlineRetailBGNBD(t *testing.T) {
	txns := readRetail(t)
	cal, hold := dayOf("2011-08-01"), dayOf("2011-10-31")
	s := Summarize(txns, cal, hold, Day)
	if s.Buyers() < 3000 || s.LateFirst == 0 || s.Ignored == 0 {
		t.Fatalf("summary: %d buyers, %d first after the calibration end, %d later days ignored", s.Buyers(), s.LateFirst, s.Ignored)
	}
	fit, err := Fit(s.X, s.Tx, s.T)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Online Retail to %s: %d customers, %d repeat; r %.4f α %.4f a %.4f b %.4f LL %.2f (%d iterations)",
		"2011-08-01", fit.Customers, fit.Repeat, fit.R, fit.Alpha, fit.A, fit.B, fit.LogLik, fit.Iterations)
	ll := func(v []float64) float64 {
		l, err := LogLikelihood(BGNBD{v[0], v[1], v[2], v[3]}, s.X, s.Tx, s.T)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	opt := []float64{fit.R, fit.Alpha, fit.A, fit.B}
	other := []float64{fit.R * 1.3, fit.Alpha * 0.7, fit.A * 1.5, fit.B * 0.8}
	for _, at := range [][]float64{opt, other} {
		p := BGNBD{at[0], at[1], at[2], at[3]}
		// The closed form against the numerical integral over λ.
		got, want := ll(at), independentLL(p, s.X, s.Tx, s.T)
		if math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("at %v: log-likelihood %.6f, independent computation %.6f", at, got, want)
		}
		// The analytic gradient against central differences.
		g, err := Gradient(p, s.X, s.Tx, s.T)
		if err != nil {
			t.Fatal(err)
		}
		ng := numGrad(ll, at)
		for i := range g {
			// Compare in log-parameter scale (∂/∂ln θ), relative to the log-likelihood.
			if d := math.Abs(g[i]-ng[i]) * at[i]; d > 1e-6*math.Abs(want)+1e-3 {
				t.Errorf("at %v: ∂LL/∂θ%d analytic %.6g, numerical %.6g", at, i, g[i], ng[i])
			}
		}
		if &at[0] == &opt[0] {
			for i := range g {
				if v := math.Abs(g[i] * at[i] / float64(fit.Customers)); v > 1e-4 {
					t.Errorf("gradient at the optimum: component %d is %.3g (scaled)", i, v)
				}
			}
		}
	}
	// Nearby points are worse. This data shows no drop-out: the optimum is
	// on the boundary a → 0, b → ∞ (the NBD limit), where the likelihood is
	// flat in a and b; the fit says so in a warning.
	if len(fit.Warnings) == 0 || fit.A/(fit.A+fit.B) > 1e-4 {
		t.Errorf("expected the no-drop-out boundary and its warning, have a %.3g b %.3g, warnings %q", fit.A, fit.B, fit.Warnings)
	}
	for i := range opt {
		for _, f := range []float64{0.98, 1.02, 0.9, 1.1} {
			v := append([]float64(nil), opt...)
			v[i] *= f
			l := ll(v)
			if (i < 2 && l >= fit.LogLik) || l > fit.LogLik+1e-9*math.Abs(fit.LogLik) {
				t.Errorf("log-likelihood %.6f at %v is not below the optimum's %.6f", l, v, fit.LogLik)
			}
		}
	}
	// Weeks: the same model with α scaled by 1/7.
	sw := Summarize(txns, cal, hold, Week)
	fw, err := Fit(sw.X, sw.Tx, sw.T)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"r", fw.R, fit.R}, {"α", fw.Alpha * 7, fit.Alpha}, {"a", fw.A, fit.A}, {"b", fw.B, fit.B}} {
		if math.Abs(c.got-c.want) > 1e-3*c.want {
			t.Errorf("weekly fit: %s = %.6g, daily fit gives %.6g", c.name, c.got, c.want)
		}
	}

	// Holdout: the model predicts the total within 10 % and each group of
	// x = 0 … 6 within 25 %. (Per customer the naive rate carried forward is
	// about as good: the log shows both MAEs.)
	ev := Evaluate(fit.BGNBD, s, int(hold-cal))
	t.Logf("holdout %d days: actual %.0f, predicted %.1f; MAE %.4f (naive %.4f)", ev.HoldoutDays, ev.ActualTotal, ev.PredictedTotal, ev.MAE, ev.BaselineMAE)
	for _, b := range ev.ByX {
		t.Logf("  x=%-2s n=%-5d actual %.3f predicted %.3f", b.X, b.Customers, b.Actual, b.Predicted)
	}
	if math.Abs(ev.PredictedTotal-ev.ActualTotal) > 0.1*ev.ActualTotal {
		t.Errorf("holdout total predicted %.1f, actual %.0f", ev.PredictedTotal, ev.ActualTotal)
	}
	for _, b := range ev.ByX[:7] {
		if math.Abs(b.Predicted-b.Actual) > 0.25*b.Actual {
			t.Errorf("holdout x=%s: predicted mean %.3f, actual %.3f", b.X, b.Predicted, b.Actual)
		}
	}

	// Scores of every customer are finite probabilities and values, on the
	// daily and the weekly model.
	for _, c := range []struct {
		p BGNBD
		s *Summary
	}{{fit.BGNBD, s}, {fw.BGNBD, sw}} {
		n := len(c.s.X)
		sc := Scores{PAlive: make([]float64, n), Expected: make([]float64, n), Prob: make([]float64, n),
			CLV: make([]float64, n), NextDays: make([]float64, n), Spend: make([]float64, n)}
		Score(c.p, GammaGamma{P: 2.5, Q: 3.3, Gamma: 370}, c.s.X, c.s.Tx, c.s.T, c.s.Monetary, sc, ScoreOptions{Unit: c.s.Unit})
		for i := range n {
			for _, v := range []float64{sc.PAlive[i], sc.Expected[i], sc.Prob[i], sc.CLV[i], sc.NextDays[i], sc.Spend[i]} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("%s model, customer %d (x %v, t_x %v, T %v): scores %v %v %v %v %v %v", c.s.Unit, i, c.s.X[i], c.s.Tx[i], c.s.T[i],
						sc.PAlive[i], sc.Expected[i], sc.Prob[i], sc.CLV[i], sc.NextDays[i], sc.Spend[i])
				}
			}
			if sc.PAlive[i] > 1 || sc.Prob[i] > 1 {
				t.Fatalf("customer %d: p_alive %v, prob %v", i, sc.PAlive[i], sc.Prob[i])
			}
		}
	}

	// Gamma-Gamma on the repeat buyers.
	gg, err := FitGammaGamma(s.X, s.Monetary)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gamma-Gamma: p %.4f q %.4f γ %.4f (%d repeat buyers, LL %.2f)", gg.P, gg.Q, gg.Gamma, gg.Customers, gg.LogLik)
	gll := func(v []float64) float64 {
		l, err := GGLogLikelihood(GammaGamma{v[0], v[1], v[2]}, s.X, s.Monetary)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	gopt := []float64{gg.P, gg.Q, gg.Gamma}
	for _, at := range [][]float64{gopt, {gg.P * 1.4, gg.Q * 0.8, gg.Gamma * 1.2}} {
		g := GammaGamma{at[0], at[1], at[2]}
		got, want := gll(at), independentGGLL(g, s.X, s.Monetary)
		if math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("Gamma-Gamma at %v: log-likelihood %.6f, independent %.6f", at, got, want)
		}
		an, _ := GGGradient(g, s.X, s.Monetary)
		ng := numGrad(gll, at)
		for i := range an {
			if d := math.Abs(an[i]-ng[i]) * at[i]; d > 1e-6*math.Abs(want)+1e-3 {
				t.Errorf("Gamma-Gamma at %v: ∂LL/∂θ%d analytic %.6g, numerical %.6g", at, i, an[i], ng[i])
			}
		}
	}
	for i := range gopt {
		for _, f := range []float64{0.98, 1.02} {
			v := append([]float64(nil), gopt...)
			v[i] *= f
			if l := gll(v); l >= gg.LogLik {
				t.Errorf("Gamma-Gamma log-likelihood %.6f at %v not below the optimum's %.6f", l, v, gg.LogLik)
			}
		}
	}
}

// independentGGLL: the mean of x Gamma(p, ν) values is Gamma(px, xν);
// integrate ν ~ Gamma(q, γ) numerically over ln ν.
func independentGGLL(g GammaGamma, x, m []float64) float64 {
	var ll float64
	for i := range x {
		if x[i] < 1 || m[i] <= 0 {
			continue
		}
		px, mx := g.P*x[i], m[i]*x[i]
		// ln density of the mean given ν plus ln prior of ν, over u = ln ν (Jacobian ν).
		f := func(u float64) float64 {
			nu := math.Exp(u)
			return px*math.Log(x[i]*nu) + (px-1)*math.Log(m[i]) - nu*mx - lgamma(px) +
				g.Q*math.Log(g.Gamma) + g.Q*u - g.Gamma*nu - lgamma(g.Q)
		}
		k, c := px+g.Q, mx+g.Gamma
		u0 := math.Log(k / c)
		fmax := f(u0)
		h := 0.05 / math.Sqrt(math.Max(k, 1))
		var sum float64
		for u := u0 - 60/k; u < u0+6; u += h {
			sum += math.Exp(f(u) - fmax)
		}
		ll += math.Log(sum*h) + fmax
	}
	return ll
}

func TestSummarize(t *testing.T) {
	d := dayOf
	txns := []Txn{
		{1, d("1997-01-01"), 10}, {1, d("1997-01-01"), 5}, // same day: one transaction
		{1, d("1997-03-01"), 20}, {1, d("1997-06-30"), 40},
		{1, d("1997-10-05"), 99}, // after the calibration end: holdout
		{2, d("1997-09-30"), 7},  // first on the last day
		{3, d("1997-10-01"), 1},  // first after the calibration end: left out
	}
	s := Summarize(txns, d("1997-09-30"), d("1997-12-31"), Week)
	if len(s.IDs) != 2 || s.LateFirst != 1 || s.Ignored != 2 || s.HoldoutTxns != 1 {
		t.Fatalf("summary %+v", s)
	}
	const eps = 1e-9
	if s.X[0] != 2 || math.Abs(s.T[0]-272.0/7) > eps || math.Abs(s.Tx[0]-float64(d("1997-06-30")-d("1997-01-01"))/7) > eps ||
		s.Monetary[0] != 30 || s.Holdout[0] != 1 {
		t.Errorf("customer 1: x %v t_x %v T %v (want 272/7 = 38.857) m %v holdout %v", s.X[0], s.Tx[0], s.T[0], s.Monetary[0], s.Holdout[0])
	}
	if s.X[1] != 0 || s.T[1] != 0 || s.Tx[1] != 0 || s.Monetary[1] != 0 {
		t.Errorf("customer 2: x %v t_x %v T %v m %v", s.X[1], s.Tx[1], s.T[1], s.Monetary[1])
	}
}
