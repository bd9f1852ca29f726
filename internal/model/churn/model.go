package churn

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Model kinds.
const (
	KindLogistic = "logistic"
	KindGBDT     = "gbdt"
	KindBlend    = "blend" // mean of the two calibrated probabilities
)

// Options configure Train. Zero values take the defaults.
type Options struct {
	// Lambda is the L2 penalty of the logistic regression (1/C); 1.
	Lambda float64
	Trees  TreeOptions
	// Folds of the inner cross-validation that calibrates the scores,
	// chooses the number of trees and the model kind; 3.
	Folds int
	Seed  uint64
	// Kind forces a model kind; "" chooses the best held-out AUC.
	Kind string
}

// Platt maps a margin m to the probability σ(A·m + B).
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

func (p Platt) prob(m float64) float64 { return sigmoid(p.A*m + p.B) }

// Model is a trained churn classifier: both models, their calibrations and
// the kind chosen.
type Model struct {
	Features  []Feature `json:"features"`
	Kind      string    `json:"kind"`
	Logistic  *Logistic `json:"logistic"`
	GBDT      *GBDT     `json:"gbdt"`
	PlattLR   Platt     `json:"platt_logistic"`
	PlattGBDT Platt     `json:"platt_gbdt"`
	// Held-out AUC of each kind in the inner cross-validation.
	InnerAUC map[string]float64 `json:"inner_auc"`
}

// ErrLabels: the labels are all one class.
var ErrLabels = errors.New("the labels need both classes")

// Train fits both classifiers on the columns and labels. It stops with
// ctx's error when ctx is done (checked between trees).
func Train(ctx context.Context, cols []Col, y []bool, o Options) (*Model, error) {
	if o.Lambda <= 0 {
		o.Lambda = 1
	}
	if o.Folds < 2 {
		o.Folds = 3
	}
	o.Trees = o.Trees.withDefaults()
	var pos int
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos < o.Folds || len(y)-pos < o.Folds {
		return nil, fmt.Errorf("%w: %d positive and %d negative rows", ErrLabels, pos, len(y)-pos)
	}
	fs := describe(cols)
	cols, n, err := align(fs, cols)
	if err != nil {
		return nil, err
	}
	if n != len(y) {
		return nil, fmt.Errorf("%w: %d rows of features, %d labels", ErrData, n, len(y))
	}
	m := &Model{Features: fs, InnerAUC: map[string]float64{}}

	// Inner folds: out-of-fold margins of both models; the tree count with
	// the least held-out log-loss.
	folds := StratifiedFolds(y, o.Folds, o.Seed)
	oofLR := make([]float64, n)
	// Held-out margins are kept at checkpoints (every tree while that
	// takes at most 20M numbers); the held-out log-loss at every tree count.
	step := max(1, n*o.Trees.MaxTrees/20_000_000)
	oofGB := map[int][]float64{}
	loss := make([]float64, o.Trees.MaxTrees+1)
	for f := range o.Folds {
		tr, va := split2(folds, f)
		trCols, vaCols := subset(cols, tr), subset(cols, va)
		trY := pick(y, tr)
		x, p := design(fs, trCols, len(tr))
		lr, err := fitLogistic(x, p, trY, o.Lambda)
		if err != nil {
			return nil, err
		}
		xv, _ := design(fs, vaCols, len(va))
		for i, s := range lr.margin(xv, p, len(va)) {
			oofLR[va[i]] = s
		}
		// Score the held-out rows incrementally, tree by tree.
		acc := make([]float64, len(va))
		var vaCodes [][]int32
		_, err = trainGBDT(ctx, cloneFeatures(fs), trCols, len(tr), trY, o.Trees, func(g *GBDT, k int) {
			if k == 1 {
				vaCodes = make([][]int32, len(fs))
				for j := range fs {
					if !fs[j].Numeric {
						vaCodes[j] = fs[j].codes(vaCols[j].Text)
					}
				}
				for i := range acc {
					acc[i] = g.Base
				}
			}
			t := &g.Trees[k-1]
			keep := k%step == 0
			if keep && oofGB[k] == nil {
				oofGB[k] = make([]float64, n)
			}
			for i := range acc {
				acc[i] += t.value(vaCols, vaCodes, i)
				if y[va[i]] {
					loss[k] += softplus(-acc[i])
				} else {
					loss[k] += softplus(acc[i])
				}
				if keep {
					oofGB[k][va[i]] = acc[i]
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	best, bestLoss := step, math.Inf(1)
	for k := step; k <= o.Trees.MaxTrees; k += step {
		if loss[k] < bestLoss {
			best, bestLoss = k, loss[k]
		}
	}
	gbOOF := oofGB[best]
	if m.PlattLR, err = fitPlatt(oofLR, y); err != nil {
		return nil, err
	}
	if m.PlattGBDT, err = fitPlatt(gbOOF, y); err != nil {
		return nil, err
	}
	pLR, pGB, pBl := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		pLR[i], pGB[i] = m.PlattLR.prob(oofLR[i]), m.PlattGBDT.prob(gbOOF[i])
		pBl[i] = (pLR[i] + pGB[i]) / 2
	}
	m.InnerAUC[KindLogistic], m.InnerAUC[KindGBDT], m.InnerAUC[KindBlend] = AUC(pLR, y), AUC(pGB, y), AUC(pBl, y)
	m.Kind = o.Kind
	if m.Kind == "" {
		m.Kind = KindBlend
		for _, k := range []string{KindLogistic, KindGBDT} {
			if m.InnerAUC[k] > m.InnerAUC[m.Kind] {
				m.Kind = k
			}
		}
	}

	// Final models on every row.
	x, p := design(fs, cols, n)
	if m.Logistic, err = fitLogistic(x, p, y, o.Lambda); err != nil {
		return nil, err
	}
	to := o.Trees
	to.MaxTrees = best
	if m.GBDT, err = trainGBDT(ctx, fs, cols, n, y, to, nil); err != nil {
		return nil, err
	}
	return m, nil
}

func cloneFeatures(fs []Feature) []Feature {
	out := make([]Feature, len(fs))
	copy(out, fs)
	return out
}

// fitPlatt fits σ(A·m + B) to the labels (a one-feature logistic
// regression, barely regularized).
func fitPlatt(m []float64, y []bool) (Platt, error) {
	l, err := fitLogistic(m, 1, y, 1e-6)
	if err != nil {
		return Platt{}, fmt.Errorf("calibrate: %w", err)
	}
	return Platt{A: l.W[0], B: l.Intercept}, nil
}

func split2(folds []int, f int) (tr, va []int) {
	for i, k := range folds {
		if k == f {
			va = append(va, i)
		} else {
			tr = append(tr, i)
		}
	}
	return
}

func subset(cols []Col, rows []int) []Col {
	out := make([]Col, len(cols))
	for j, c := range cols {
		out[j] = Col{Name: c.Name}
		if c.Num != nil {
			out[j].Num = make([]float64, len(rows))
			for i, r := range rows {
				out[j].Num[i] = c.Num[r]
			}
		} else {
			out[j].Text = make([]string, len(rows))
			for i, r := range rows {
				out[j].Text[i] = c.Text[r]
			}
		}
	}
	return out
}

func pick(y []bool, rows []int) []bool {
	out := make([]bool, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}

// Subset returns the rows of the columns (for callers' own splits).
func Subset(cols []Col, rows []int) []Col { return subset(cols, rows) }

// PredictAll returns the calibrated churn probabilities of every kind.
func (m *Model) PredictAll(cols []Col) (map[string][]float64, error) {
	cols, n, err := align(m.Features, cols)
	if err != nil {
		return nil, err
	}
	x, p := design(m.Features, cols, n)
	lr := m.Logistic.margin(x, p, n)
	gb := m.GBDT.margins(m.Features, cols, n)
	out := map[string][]float64{KindLogistic: lr, KindGBDT: gb, KindBlend: make([]float64, n)}
	for i := range n {
		lr[i], gb[i] = m.PlattLR.prob(lr[i]), m.PlattGBDT.prob(gb[i])
		out[KindBlend][i] = (lr[i] + gb[i]) / 2
	}
	return out, nil
}

// Predict returns the calibrated churn probabilities of the chosen kind.
func (m *Model) Predict(cols []Col) ([]float64, error) {
	all, err := m.PredictAll(cols)
	if err != nil {
		return nil, err
	}
	return all[m.Kind], nil
}
