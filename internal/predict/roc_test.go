package predict

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/model/churn"
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

func TestLiftCurve(t *testing.T) {
	// a perfect ranking of 10 customers, 2 of them churners: the top tenth
	// and fifth hold only churners (lift 5), then the lift falls to 1
	score := []float64{.1, .9, .2, .3, .8, .4, .5, .6, .7, .05}
	y := []bool{false, true, false, false, true, false, false, false, false, false}
	want := []float64{5, 5, 10.0 / 3, 2.5, 2, 5.0 / 3, 10.0 / 7, 1.25, 10.0 / 9, 1}
	got := liftCurve(score, y)
	if len(got) != 10 {
		t.Fatalf("liftCurve = %v", got)
	}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-12 || d < -1e-12 {
			t.Errorf("lift at %d0%% = %v, want %v", i+1, got[i], want[i])
		}
	}
	// every score tied: no ranking, lift 1 at every depth whatever the order
	tied := make([]float64, len(y))
	for i, l := range liftCurve(tied, y) {
		if d := l - 1; d > 1e-12 || d < -1e-12 {
			t.Errorf("tied scores: lift at %d0%% = %v, want 1", i+1, l)
		}
	}
	if liftCurve(score, make([]bool, len(y))) != nil {
		t.Error("no churner: want nil")
	}
	// the first point is the top-decile lift of the metrics
	rng := rand.New(rand.NewPCG(1, 1))
	score, y = make([]float64, 997), make([]bool, 997)
	for i := range score {
		score[i] = float64(rng.IntN(50))
		y[i] = rng.Float64() < score[i]/60
	}
	if got, want := liftCurve(score, y)[0], churn.TopDecileLift(score, y); got-want > 1e-9 || want-got > 1e-9 {
		t.Errorf("lift at 10%% = %v, TopDecileLift %v", got, want)
	}
}
