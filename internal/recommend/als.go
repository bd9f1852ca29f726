package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// ALSOptions configure implicit-feedback matrix factorization.
type ALSOptions struct {
	Factors    int     // default 64
	Iterations int     // default 15
	Lambda     float64 // L2 regularization; default 0.1
	Alpha      float64 // confidence c = 1 + Alpha × log2(1 + weight); default 10
	CGSteps    int     // conjugate-gradient steps per solve; default 3
	// RegExponent ν scales each row's regularization by (n/mean n)^ν, n
	// the row's interactions (frequency-scaled regularization); 0: plain λ.
	RegExponent float64
	Workers     int // goroutines; default 2
	Seed        uint64
	Progress    func(iteration, total int)
}

func (o ALSOptions) withDefaults() ALSOptions {
	if o.Factors <= 0 {
		o.Factors = 64
	}
	if o.Iterations <= 0 {
		o.Iterations = 15
	}
	if o.Lambda <= 0 {
		o.Lambda = 0.1
	}
	if o.Alpha <= 0 {
		o.Alpha = 10
	}
	if o.CGSteps <= 0 {
		o.CGSteps = 3
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	return o
}

// ALS is implicit-feedback matrix factorization (Hu, Koren and Volinsky
// 2008), each least-squares solve done by a few conjugate-gradient steps
// from the previous solution (Takács, Pilászy and Tikk 2011).
type ALS struct {
	F      int
	X      []float32 // users × F
	Y      []float32 // items × F
	Lambda float64
	Alpha  float64
	yty    []float32
	once   sync.Once
}

// FitALS factorizes m (users × items, values = summed interaction
// weights: one purchase or rating is 1).
func FitALS(ctx context.Context, m *Matrix, o ALSOptions) (*ALS, error) {
	o = o.withDefaults()
	if o.Lambda < 0 || o.Alpha < 0 {
		return nil, fmt.Errorf("als: lambda %g and alpha %g must not be negative", o.Lambda, o.Alpha)
	}
	f := o.Factors
	rng := rand.New(rand.NewPCG(o.Seed, 0x5a17a))
	a := &ALS{F: f, X: make([]float32, m.Rows*f), Y: make([]float32, m.Cols*f), Lambda: o.Lambda, Alpha: o.Alpha}
	scale := 0.01
	for i := range a.X {
		a.X[i] = float32(rng.NormFloat64() * scale)
	}
	for i := range a.Y {
		a.Y[i] = float32(rng.NormFloat64() * scale)
	}
	conf := func(v float32) float32 { return float32(1 + o.Alpha*math.Log2(1+float64(v))) }
	c := &Matrix{Rows: m.Rows, Cols: m.Cols, Ptr: m.Ptr, Idx: m.Idx, Val: make([]float32, len(m.Val))}
	for k, v := range m.Val {
		c.Val[k] = conf(v)
	}
	ct := c.Transpose()
	for it := range o.Iterations {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		solveAll(c, a.X, a.Y, f, o.Lambda, o.RegExponent, o.CGSteps, o.Workers)
		solveAll(ct, a.Y, a.X, f, o.Lambda, o.RegExponent, o.CGSteps, o.Workers)
		if o.Progress != nil {
			o.Progress(it+1, o.Iterations)
		}
	}
	return a, nil
}

// gram returns YᵀY (f × f, row-major) in float64.
func gram(y []float32, f int) []float32 {
	g64 := make([]float64, f*f)
	n := len(y) / f
	for r := range n {
		v := y[r*f : (r+1)*f]
		for a := range f {
			va := float64(v[a])
			row := g64[a*f : (a+1)*f]
			for b := a; b < f; b++ {
				row[b] += va * float64(v[b])
			}
		}
	}
	g := make([]float32, f*f)
	for a := range f {
		for b := a; b < f; b++ {
			g[a*f+b] = float32(g64[a*f+b])
			g[b*f+a] = g[a*f+b]
		}
	}
	return g
}

// solveAll updates every row of x from the fixed factors y, in parallel.
func solveAll(c *Matrix, x, y []float32, f int, lambda, nu float64, steps, workers int) {
	yty := gram(y, f)
	mean := float64(len(c.Idx)) / float64(max(1, c.Rows))
	var wg sync.WaitGroup
	rows := c.Rows
	chunk := (rows + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min(rows, (w+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newCGSolver(f)
			for u := lo; u < hi; u++ {
				items, cs := c.Row(int32(u))
				lam := lambda
				if nu != 0 {
					lam *= math.Pow((float64(len(items))+1)/(mean+1), nu)
				}
				s.solve(x[u*f:(u+1)*f], y, yty, items, cs, lam, steps)
			}
		}()
	}
	wg.Wait()
}

type cgSolver struct {
	f           int
	r, p, ap, x []float32
}

func newCGSolver(f int) *cgSolver {
	return &cgSolver{f: f, r: make([]float32, f), p: make([]float32, f), ap: make([]float32, f), x: make([]float32, f)}
}

// solve improves x towards the solution of
// (YᵀY + Yᵀ(C−I)Y + λI) x = YᵀC p by conjugate-gradient steps.
func (s *cgSolver) solve(x []float32, y []float32, yty []float32, items []int32, cs []float32, lambda float64, steps int) {
	f := s.f
	r, p, ap := s.r, s.p, s.ap
	lam := float32(lambda)
	// r = b − A x
	matVec(r, yty, x, f)
	for a := range f {
		r[a] = -r[a] - lam*x[a]
	}
	for k, i := range items {
		yi := y[int(i)*f : int(i+1)*f]
		c := cs[k]
		w := c - (c-1)*dot32(yi, x)
		axpy(r, w, yi)
	}
	copy(p, r)
	rs := dot32(r, r)
	for range steps {
		if rs < 1e-10 {
			break
		}
		matVec(ap, yty, p, f)
		axpy(ap, lam, p)
		for k, i := range items {
			yi := y[int(i)*f : int(i+1)*f]
			axpy(ap, (cs[k]-1)*dot32(yi, p), yi)
		}
		pap := dot32(p, ap)
		if pap <= 0 {
			break
		}
		alpha := rs / pap
		axpy(x, alpha, p)
		axpy(r, -alpha, ap)
		rn := dot32(r, r)
		beta := rn / rs
		for a := range f {
			p[a] = r[a] + beta*p[a]
		}
		rs = rn
	}
}

func matVec(dst, m, v []float32, f int) {
	for a := range f {
		dst[a] = dot32(m[a*f:(a+1)*f], v)
	}
}

func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

func axpy(dst []float32, a float32, x []float32) {
	x = x[:len(dst)]
	for i := range dst {
		dst[i] += a * x[i]
	}
}

// Score implements Scorer. A user not seen in training (u = -1) or whose
// history changed is folded in: its factors are solved from hist.
func (a *ALS) Score(u int32, hist []int32, dst []float32) {
	f := a.F
	var xu []float32
	if u >= 0 && int(u) < len(a.X)/f {
		xu = a.X[int(u)*f : int(u+1)*f]
	} else {
		xu = a.FoldIn(hist)
	}
	n := len(a.Y) / f
	for i := range n {
		yi := a.Y[i*f : (i+1)*f]
		dst[i] = dot32(xu, yi)
	}
}

// FoldIn solves the factors of a user from its items (each counted once).
func (a *ALS) FoldIn(hist []int32) []float32 {
	a.once.Do(func() { a.yty = gram(a.Y, a.F) })
	x := make([]float32, a.F)
	if len(hist) == 0 {
		return x
	}
	cs := make([]float32, len(hist))
	for k := range cs {
		cs[k] = float32(1 + a.Alpha)
	}
	newCGSolver(a.F).solve(x, a.Y, a.yty, hist, cs, a.Lambda, a.F)
	return x
}
