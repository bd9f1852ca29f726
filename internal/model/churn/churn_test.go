package churn

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// pairAUC counts ordered pairs directly.
func pairAUC(s []float64, y []bool) float64 {
	var num, den float64
	for i := range s {
		for j := range s {
			if y[i] && !y[j] {
				den++
				switch {
				case s[i] > s[j]:
					num++
				case s[i] == s[j]:
					num += 0.5
				}
			}
		}
	}
	return num / den
}

func TestMetrics(t *testing.T) {
	for _, c := range []struct {
		name       string
		s          []float64
		y          []bool
		auc, ap, l float64
	}{
		{"perfect", []float64{.9, .8, .2, .1}, []bool{true, true, false, false}, 1, 1, 2},
		{"reversed", []float64{.1, .2, .8, .9}, []bool{true, true, false, false}, 0, 5.0 / 12, 0},
		{"ties", []float64{.5, .5, .5, .5}, []bool{true, false, true, false}, 0.5, 0.5, 1},
		// sklearn: average_precision_score([1,0,1,0,1],[.9,.8,.7,.6,.1]) = (1 + 2/3 + 3/5)/3
		{"mixed", []float64{.9, .8, .7, .6, .1}, []bool{true, false, true, false, true}, 0.5, (1 + 2.0/3 + 3.0/5) / 3, 5.0 / 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := AUC(c.s, c.y); math.Abs(got-c.auc) > 1e-12 {
				t.Errorf("AUC %v, want %v", got, c.auc)
			}
			if got := AveragePrecision(c.s, c.y); math.Abs(got-c.ap) > 1e-12 {
				t.Errorf("AP %v, want %v", got, c.ap)
			}
			if got := TopDecileLift(c.s, c.y); math.Abs(got-c.l) > 1e-12 {
				t.Errorf("lift %v, want %v", got, c.l)
			}
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	s, y := make([]float64, 500), make([]bool, 500)
	for i := range s {
		s[i] = float64(rng.IntN(50)) // many ties
		y[i] = rng.Float64() < 0.2+s[i]/100
	}
	if got, want := AUC(s, y), pairAUC(s, y); math.Abs(got-want) > 1e-12 {
		t.Errorf("AUC %v, pair count %v", got, want)
	}
	folds := StratifiedFolds(y, 5, 0)
	var pos [5]int
	for i, f := range folds {
		if y[i] {
			pos[f]++
		}
	}
	for _, p := range pos {
		if p < pos[0]-1 || p > pos[0]+1 {
			t.Errorf("positives per fold %v", pos)
		}
	}
}

// A small synthetic problem: churn depends on a number (with unknowns) and
// a category; unseen categories and unknowns score; bad inputs are errors.
func TestTrainPredict(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	n := 2000
	num, txt, y := make([]float64, n), make([]string, n), make([]bool, n)
	plans := []string{"monthly", "yearly", "two-year"}
	for i := range n {
		num[i] = rng.NormFloat64()
		if i%17 == 0 {
			num[i] = math.NaN()
		}
		txt[i] = plans[rng.IntN(3)]
		z := 1.5 * num[i]
		if math.IsNaN(z) {
			z = 1
		}
		if txt[i] == "monthly" {
			z += 1.5
		}
		y[i] = rng.Float64() < sigmoid(z-1)
	}
	cols := []Col{{Name: "usage", Num: num}, {Name: "plan", Text: txt}}
	m, err := Train(context.Background(), cols, y, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.Predict(cols)
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(p, y)
	t.Logf("kind %s, inner AUC %v, train AUC %.3f, lift %.2f, log-loss %.3f", m.Kind, m.InnerAUC, ev.AUC, ev.Lift, ev.LogLoss)
	if ev.AUC < 0.8 {
		t.Errorf("AUC %.3f", ev.AUC)
	}
	// Calibrated: each populated bin's observed rate is near its prediction.
	for _, b := range ev.Calibration {
		if b.Count >= 100 && math.Abs(b.Observed-b.Predicted) > 0.1 {
			t.Errorf("calibration bin %s: predicted %.3f, observed %.3f (%d rows)", b.Range, b.Predicted, b.Observed, b.Count)
		}
	}
	// Unseen category and unknown number.
	q, err := m.Predict([]Col{{Name: "plan", Text: []string{"lifetime", ""}}, {Name: "usage", Num: []float64{math.NaN(), 0}}})
	if err != nil || len(q) != 2 || !(q[0] > 0 && q[0] < 1) || !(q[1] > 0 && q[1] < 1) {
		t.Errorf("unseen/unknown: %v, %v", q, err)
	}
	// Outside the training range the logistic regression does not
	// extrapolate: a huge usage scores like the largest one seen.
	maxU := math.Inf(-1)
	for _, v := range num {
		if !math.IsNaN(v) {
			maxU = math.Max(maxU, v)
		}
	}
	far, err := m.PredictAll([]Col{{Name: "plan", Text: []string{"yearly", "yearly"}}, {Name: "usage", Num: []float64{maxU, 1e9}}})
	if err != nil || far[KindLogistic][0] != far[KindLogistic][1] {
		t.Errorf("usage %v and 1e9: %v, %v", maxU, far[KindLogistic], err)
	}
	// Errors.
	if _, err := m.Predict([]Col{{Name: "plan", Text: []string{"monthly"}}}); !errors.Is(err, ErrData) {
		t.Errorf("missing column: %v", err)
	}
	if _, err := m.Predict([]Col{{Name: "plan", Num: []float64{1}}, {Name: "usage", Num: []float64{1}}}); !errors.Is(err, ErrData) {
		t.Errorf("wrong kind: %v", err)
	}
	if _, err := Train(context.Background(), cols, make([]bool, n), Options{}); !errors.Is(err, ErrLabels) {
		t.Errorf("one class: %v", err)
	}
}
