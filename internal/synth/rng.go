package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// gamma draws from a Gamma(shape, scale) distribution (Marsaglia and Tsang).
func gamma(r *rand.Rand, shape, scale float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gamma(r, shape+1, scale) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v * scale
		}
	}
}

// beta draws from a Beta(a, b) distribution.
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a, 1)
	y := gamma(r, b, 1)
	return x / (x + y)
}

// poisson draws from a Poisson distribution with the given mean.
func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		n := math.Round(mean + math.Sqrt(mean)*r.NormFloat64())
		if n < 0 {
			return 0
		}
		return int(n)
	}
	l := math.Exp(-mean)
	k := 0
	p := r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}

// geometric draws the number of failures before the first success of a
// Bernoulli(p) process: 0, 1, 2, ... with mean (1-p)/p.
func geometric(r *rand.Rand, p float64) int {
	if p >= 1 {
		return 0
	}
	u := r.Float64()
	if u == 0 {
		return 0
	}
	return int(math.Log(u) / math.Log1p(-p))
}

// pick draws an index from a cumulative weight table.
func pick(r *rand.Rand, cum []float64) int {
	u := r.Float64() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > u {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// cumulative returns the running sums of w.
func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	return c
}

// affine is a bijection of [0, mod) used to turn a person's index into a
// source's customer number that looks unrelated to it.
type affine struct{ a, b, mod int64 }

func newAffine(r *rand.Rand, mod int64) affine {
	for {
		a := r.Int64N(mod-1) + 1
		if a%2 != 0 && a%5 != 0 && gcd(a, mod) == 1 {
			return affine{a: a, b: r.Int64N(mod), mod: mod}
		}
	}
}

func (f affine) at(i int64) int64 {
	// (a*i + b) mod m without overflow for m < 2^62.
	return int64((mulmod(uint64(f.a), uint64(i), uint64(f.mod)) + uint64(f.b)) % uint64(f.mod))
}

func mulmod(a, b, m uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	_, rem := bits.Div64(hi%m, lo, m)
	return rem
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
