package predict

import (
	"fmt"
	"testing"
)

func TestROCCurve(t *testing.T) {
	tests := []struct {
		name  string
		score []float64
		y     []bool
		want  [][2]float64
	}{
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []bool{true, true, false, false}, [][2]float64{{0, 0}, {0, 0.5}, {0, 1}, {0.5, 1}, {1, 1}}},
		{"reversed", []float64{0.1, 0.9}, []bool{true, false}, [][2]float64{{0, 0}, {1, 0}, {1, 1}}},
		{"ties step together", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, [][2]float64{{0, 0}, {1, 1}}},
		{"no negatives", []float64{0.5, 0.4}, []bool{true, true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rocCurve(tt.score, tt.y)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("rocCurve = %v, want %v", got, tt.want)
			}
		})
	}
	// a long curve is thinned to rocPoints+1 points from (0,0) to (1,1)
	n := 1000
	score, y := make([]float64, n), make([]bool, n)
	for i := range n {
		score[i], y[i] = float64(i), i%3 == 0
	}
	got := rocCurve(score, y)
	if len(got) != rocPoints+1 || got[0] != [2]float64{0, 0} || got[len(got)-1] != [2]float64{1, 1} {
		t.Errorf("thinned curve: %d points, from %v to %v", len(got), got[0], got[len(got)-1])
	}
}
