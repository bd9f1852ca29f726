package clv

import (
	"math"
	"testing"
)

// benchData simulates n customers in whole days (T up to 150 days).
func benchData(n int) (x, tx, T, m []float64) {
	x, tx, T, m, _ = simulate(7, n, BGNBD{R: 0.8, Alpha: 8, A: 0.6, B: 2.5}, GammaGamma{P: 4, Q: 3, Gamma: 20}, 0)
	for i := range x {
		tx[i], T[i] = math.Floor(tx[i]), math.Floor(T[i])
	}
	return
}

// BenchmarkFit: BG/NBD and Gamma-Gamma fits on 100,000 customers.
func BenchmarkFit(b *testing.B) {
	x, tx, T, m := benchData(100_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(x, tx, T); err != nil {
			b.Fatal(err)
		}
		if _, err := FitGammaGamma(x, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScore10M: P(alive), 30-day purchase probability and 12-month
// CLV of 10,000,000 customers (100,000 simulated ones repeated).
func BenchmarkScore10M(b *testing.B) {
	const n = 10_000_000
	x0, tx0, T0, m0 := benchData(100_000)
	x, tx, T, m := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		j := i % len(x0)
		x[i], tx[i], T[i], m[i] = x0[j], tx0[j], T0[j], m0[j]
	}
	bg := BGNBD{R: 0.8, Alpha: 8, A: 0.6, B: 2.5}
	gg := GammaGamma{P: 4, Q: 3, Gamma: 20}
	sc := Scores{PAlive: make([]float64, n), Prob: make([]float64, n), CLV: make([]float64, n)}
	b.ReportAllocs()
	for b.Loop() {
		Score(bg, gg, x, tx, T, m, sc, ScoreOptions{Workers: 2})
	}
}
