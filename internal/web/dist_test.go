package web

import (
	"math"
	"testing"
)

func TestHistOf(t *testing.T) {
	tests := []struct {
		name         string
		col          []float64
		lo, hi       float64
		first, last  int
		over, scored int
	}{
		{"probabilities", []float64{0, 0.01, 0.5, 0.99, 1, math.NaN()}, 0, 1, 2, 2, 0, 5},
		{"tail over hi", []float64{0, 1, 2, 100}, 0, 2, 1, 1, 1, 4},
		{"all equal", []float64{3, 3}, 3, 3, 2, 0, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := histOf("x", tt.col, tt.lo, tt.hi)
			if h.Counts[0] != tt.first || h.Counts[histBins-1] != tt.last || h.Over != tt.over || h.Scored != tt.scored {
				t.Errorf("first %d last %d over %d scored %d, want %d %d %d %d", h.Counts[0], h.Counts[histBins-1], h.Over, h.Scored,
					tt.first, tt.last, tt.over, tt.scored)
			}
			sum := h.Over
			for _, c := range h.Counts {
				sum += c
			}
			if sum != h.Scored {
				t.Errorf("bins hold %d values, %d scored", sum, h.Scored)
			}
		})
	}
}

func TestPercentile99(t *testing.T) {
	col := make([]float64, 10000)
	for i := range col {
		col[i] = float64(i) // 0 … 9999: the 99th percentile is 9900
	}
	col[0] = math.NaN()
	if got := percentile99(col, 0, 9999); math.Abs(got-9900) > 10 {
		t.Errorf("percentile99 = %v, want 9900 ± 10", got)
	}
}
