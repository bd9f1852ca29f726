package clv

import (
	"math"
	"runtime"
	"sync"
)

// ScoreOptions configure Score. Zero values take the defaults.
type ScoreOptions struct {
	// Unit is the time unit of the summary; Day by default.
	Unit Unit
	// Months is the CLV horizon in months of 30 days; 12.
	Months int
	// DiscountRate per month; 0.01 (about 12.7 % a year). Negative: none.
	DiscountRate float64
	// Window, in days, of the expected purchases and the purchase
	// probability; 30.
	Window float64
	// Workers scoring in parallel; GOMAXPROCS.
	Workers int
}

func (o ScoreOptions) withDefaults() ScoreOptions {
	if o.Unit != Week {
		o.Unit = Day
	}
	if o.Months <= 0 {
		o.Months = 12
	}
	if o.DiscountRate == 0 {
		o.DiscountRate = 0.01
	} else if o.DiscountRate < 0 {
		o.DiscountRate = 0
	}
	if o.Window <= 0 {
		o.Window = 30
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Scores are per-customer predictions; Score fills the slices that are not
// nil (each as long as the summary).
type Scores struct {
	PAlive   []float64 // P(alive) at the calibration end
	Expected []float64 // expected purchases in the next Window days
	Prob     []float64 // P(at least one purchase in the next Window days)
	Spend    []float64 // expected value of a transaction (Gamma-Gamma)
	CLV      []float64 // discounted expected spend over the horizon
	NextDays []float64 // median days to the next purchase if alive
}

// Score computes the predictions of every customer (x, t_x, T, monetary m).
// The terms that depend on (x, T) only — hypergeometric functions — are
// computed once per distinct pair in each worker.
func Score(bg BGNBD, gg GammaGamma, x, tx, T, m []float64, dst Scores, opts ScoreOptions) {
	opts = opts.withDefaults()
	n := len(x)
	w := opts.Workers
	if n < 4096 {
		w = 1
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			scoreRange(bg, gg, x, tx, T, m, dst, opts, lo, hi)
		}()
	}
	wg.Wait()
}

type xtKey struct{ x, T float64 }

type xtTerms struct {
	disc   float64 // Σ_k (G(t_k) − G(t_{k−1})) / (1+d)^k
	window float64 // G(window)
}

func scoreRange(bg BGNBD, gg GammaGamma, x, tx, T, m []float64, dst Scores, o ScoreOptions, lo, hi int) {
	u := float64(o.Unit)
	month := 30 / u
	win := o.Window / u
	needDisc := dst.CLV != nil
	needWin := dst.Expected != nil
	cache := map[xtKey]xtTerms{}
	terms := func(xi, ti float64) xtTerms {
		k := xtKey{xi, ti}
		if t, ok := cache[k]; ok {
			return t
		}
		var t xtTerms
		if needDisc {
			prev, f := 0.0, 1.0
			for i := 1; i <= o.Months; i++ {
				f /= 1 + o.DiscountRate
				g := bg.growth(xi, ti, float64(i)*month)
				t.disc += (g - prev) * f
				prev = g
			}
		}
		if needWin {
			t.window = bg.growth(xi, ti, win)
		}
		cache[k] = t
		return t
	}
	for i := lo; i < hi; i++ {
		xi, txi, ti := x[i], tx[i], T[i]
		la := math.Log(bg.Alpha + ti)
		pa := 1.0
		if xi > 0 {
			pa = 1 / (1 + bg.A/(bg.B+xi-1)*math.Exp((bg.R+xi)*(la-math.Log(bg.Alpha+txi))))
		}
		if dst.PAlive != nil {
			dst.PAlive[i] = pa
		}
		var t xtTerms
		if needDisc || needWin {
			t = terms(xi, ti)
		}
		if needWin {
			dst.Expected[i] = pa * t.window
		}
		if dst.Prob != nil {
			dst.Prob[i] = pa * -math.Expm1((bg.R+xi)*(la-math.Log(bg.Alpha+ti+win)))
		}
		if dst.Spend != nil || needDisc {
			mi := 0.0
			if m != nil {
				mi = m[i]
			}
			s := gg.ExpectedSpend(xi, mi)
			if dst.Spend != nil {
				dst.Spend[i] = s
			}
			if needDisc {
				dst.CLV[i] = pa * t.disc * s
			}
		}
		if dst.NextDays != nil {
			dst.NextDays[i] = bg.MedianWait(xi, ti) * u
		}
	}
}
