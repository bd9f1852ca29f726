package uplift

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Evaluation compares the approaches on one held-out split.
type Evaluation struct {
	TrainRows int `json:"train_rows"`
	TestRows  int `json:"test_rows"`
	// Results per approach: every kind, "auto" (the kind chosen by
	// cross-validation on the training part), and the baselines
	// "propensity" (ranking by P(y | treated, x)) and "random" (all scores
	// equal: the random line, coefficient 0).
	Results []Result `json:"results"`
	Best    string   `json:"best"` // highest Qini coefficient among the models
}

// Result is one approach's held-out figures.
type Result struct {
	Approach string `json:"approach"`
	Chosen   string `json:"chosen,omitempty"` // for auto
	Curve
	// At20 is Qini at 20% targeted: incremental conversions per customer.
	At20 float64 `json:"qini_at_20pct"`
}

// Split returns train and test row indexes, stratified by (treated,
// outcome), with testShare of each cell in the test part.
func Split(treated, y []bool, testShare float64, seed uint64) (train, test []int) {
	r := rand.New(rand.NewPCG(seed, 13))
	for _, cell := range cells(treated, y) {
		r.Shuffle(len(cell), func(a, b int) { cell[a], cell[b] = cell[b], cell[a] })
		k := int(float64(len(cell))*testShare + 0.5)
		test = append(test, cell[:k]...)
		train = append(train, cell[k:]...)
	}
	slices.Sort(train)
	slices.Sort(test)
	return train, test
}

// Evaluate splits the table (testShare held out, stratified), fits the
// encoder and every approach on the training part only, and computes their
// Qini curves on the held-out part.
func Evaluate(ctx context.Context, t *Table, spec Spec, opt Options, testShare float64) (*Evaluation, error) {
	if !(testShare > 0 && testShare < 1) {
		return nil, fmt.Errorf("test share %v: want 0 < share < 1", testShare)
	}
	treated, y, err := spec.Labels(t)
	if err != nil {
		return nil, err
	}
	fs, err := spec.FeatureColumns(t)
	if err != nil {
		return nil, err
	}
	train, test := Split(treated, y, testShare, opt.Seed)
	enc, err := FitEncoder(t, fs, train)
	if err != nil {
		return nil, err
	}
	x, err := enc.Encode(t, nil)
	if err != nil {
		return nil, err
	}
	d := &Data{X: x, D: enc.Width(), Treated: treated, Y: y}
	ev := &Evaluation{TrainRows: len(train), TestRows: len(test)}
	tt, ty := make([]bool, len(test)), make([]bool, len(test))
	for j, i := range test {
		tt[j], ty[j] = treated[i], y[i]
	}
	score := func(f func(row []float64) float64) []float64 {
		s := make([]float64, len(test))
		for j, i := range test {
			s[j] = f(x[i*d.D : (i+1)*d.D])
		}
		return s
	}
	add := func(name, chosen string, s []float64) {
		c := Qini(s, tt, ty)
		ev.Results = append(ev.Results, Result{Approach: name, Chosen: chosen, Curve: c.Thin(20), At20: c.At(0.2)})
	}
	best := -1.0
	for _, kind := range Kinds {
		m, err := fitRows(ctx, d, train, kind, opt)
		if err != nil {
			return nil, fmt.Errorf("cannot evaluate %s: %w", kind, err)
		}
		add(kind, "", score(m.upliftRow))
		if c := ev.Results[len(ev.Results)-1].Coefficient; c > best {
			best, ev.Best = c, kind
		}
		if kind == TwoModel {
			add("propensity", "", score(m.Treated.Prob))
		}
	}
	// Auto: cross-validate on the training rows only.
	sub := &Data{D: d.D, X: make([]float64, 0, len(train)*d.D), Treated: make([]bool, len(train)), Y: make([]bool, len(train))}
	for j, i := range train {
		sub.X = append(sub.X, x[i*d.D:(i+1)*d.D]...)
		sub.Treated[j], sub.Y[j] = treated[i], y[i]
	}
	m, err := Fit(ctx, sub, Options{Kind: Auto, Lambda: opt.Lambda, Forest: opt.Forest, Folds: opt.Folds, Seed: opt.Seed, Progress: opt.Progress})
	if err != nil {
		return nil, err
	}
	add(Auto, m.Kind, score(m.upliftRow))
	add("random", "", make([]float64, len(test)))
	return ev, nil
}
