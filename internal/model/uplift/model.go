package uplift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Kinds of model.
const (
	Auto           = "auto"
	TwoModel       = "two-model"
	ClassTransform = "class-transform"
	TreeForest     = "tree"
)

// Kinds lists the approaches Train can fit (Auto chooses among them).
var Kinds = []string{TwoModel, ClassTransform, TreeForest}

// ErrKind is returned for an unknown model kind.
var ErrKind = errors.New("unknown model kind")

// Options configure training.
type Options struct {
	Kind   string  // Auto (default), TwoModel, ClassTransform or TreeForest
	Lambda float64 // L2 penalty of the logistic regressions; default 1e-4
	Forest ForestOptions
	Folds  int    // cross-validation folds for Auto; default 3
	Seed   uint64 // of the folds and the forest
	// Progress, if set, is told what is being fitted.
	Progress func(stage string)
}

// Model is a trained uplift model, self-contained (encoder included) and
// stored as JSON.
type Model struct {
	Format  int     `json:"format"`
	Kind    string  `json:"kind"`
	Spec    Spec    `json:"spec"`
	Encoder Encoder `json:"encoder"`
	// Treated and Control are the two-model's arms; Treated is also the
	// response (propensity-to-buy-when-treated) model of every kind.
	Treated *Logistic `json:"treated"`
	Control *Logistic `json:"control,omitempty"`
	// Transformed is the class-transformation model, P(z=1 | x).
	Transformed *Logistic `json:"transformed,omitempty"`
	Forest      *Forest   `json:"forest,omitempty"`
	// Selection holds the cross-validated Qini coefficient of each kind
	// when Kind was chosen automatically.
	Selection map[string]float64 `json:"selection,omitempty"`
	Rows      int                `json:"rows"`
	TreatedN  int                `json:"treated_rows"`
	// ATE is the average treatment effect in the training data.
	ATE float64 `json:"ate"`
}

// Data is an encoded campaign table.
type Data struct {
	X       []float64 // n×D, row-major
	D       int
	Treated []bool
	Y       []bool
}

// Len is the number of rows.
func (d *Data) Len() int { return len(d.Treated) }

// Prepare reads the labels and fits the encoder on all rows of t.
func Prepare(t *Table, spec Spec) (*Data, *Encoder, error) {
	treated, y, err := spec.Labels(t)
	if err != nil {
		return nil, nil, err
	}
	fs, err := spec.FeatureColumns(t)
	if err != nil {
		return nil, nil, err
	}
	enc, err := FitEncoder(t, fs, nil)
	if err != nil {
		return nil, nil, err
	}
	x, err := enc.Encode(t, nil)
	if err != nil {
		return nil, nil, err
	}
	return &Data{X: x, D: enc.Width(), Treated: treated, Y: y}, enc, nil
}

// Train fits a model of opt.Kind on the table. With Auto, every kind is
// cross-validated on opt.Folds stratified folds and the one with the highest
// mean Qini coefficient is refitted on all rows.
func Train(ctx context.Context, t *Table, spec Spec, opt Options) (*Model, error) {
	d, enc, err := Prepare(t, spec)
	if err != nil {
		return nil, err
	}
	m, err := Fit(ctx, d, opt)
	if err != nil {
		return nil, err
	}
	m.Spec = spec
	m.Spec.Features = nil
	for _, c := range enc.Columns {
		m.Spec.Features = append(m.Spec.Features, c.Name)
	}
	m.Spec.Exclude = nil
	m.Encoder = *enc
	return m, nil
}

// Fit fits a model on encoded data (all rows); the caller sets Spec and
// Encoder.
func Fit(ctx context.Context, d *Data, opt Options) (*Model, error) {
	rows := make([]int, d.Len())
	for i := range rows {
		rows[i] = i
	}
	kind := opt.Kind
	if kind == "" {
		kind = Auto
	}
	var sel map[string]float64
	if kind == Auto {
		scores, err := CrossValidate(ctx, d, opt)
		if err != nil {
			return nil, err
		}
		sel = scores
		best := math.Inf(-1)
		for _, k := range Kinds {
			if s := scores[k]; s > best {
				best, kind = s, k
			}
		}
	}
	m, err := fitRows(ctx, d, rows, kind, opt)
	if err != nil {
		return nil, err
	}
	m.Selection = sel
	return m, nil
}

// CrossValidate returns the mean held-out Qini coefficient of every kind
// over opt.Folds folds stratified by (treated, outcome).
func CrossValidate(ctx context.Context, d *Data, opt Options) (map[string]float64, error) {
	k := opt.Folds
	if k <= 1 {
		k = 3
	}
	folds := StratifiedFolds(d.Treated, d.Y, k, opt.Seed)
	scores := map[string]float64{}
	for _, kind := range Kinds {
		for f := 0; f < k; f++ {
			var train, test []int
			for i, fi := range folds {
				if fi == f {
					test = append(test, i)
				} else {
					train = append(train, i)
				}
			}
			if opt.Progress != nil {
				opt.Progress(fmt.Sprintf("cross-validating %s, fold %d of %d", kind, f+1, k))
			}
			m, err := fitRows(ctx, d, train, kind, opt)
			if err != nil {
				return nil, fmt.Errorf("cannot cross-validate %s: %w", kind, err)
			}
			s, tr, y := make([]float64, len(test)), make([]bool, len(test)), make([]bool, len(test))
			for j, i := range test {
				s[j] = m.upliftRow(d.X[i*d.D : (i+1)*d.D])
				tr[j], y[j] = d.Treated[i], d.Y[i]
			}
			scores[kind] += Qini(s, tr, y).Coefficient / float64(k)
		}
	}
	return scores, nil
}

// StratifiedFolds assigns every row to one of k folds so that each fold has
// its share of each (treated, outcome) cell.
func StratifiedFolds(treated, y []bool, k int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 11))
	folds := make([]int, len(treated))
	off := 0
	for _, cell := range cells(treated, y) {
		r.Shuffle(len(cell), func(a, b int) { cell[a], cell[b] = cell[b], cell[a] })
		for j, i := range cell {
			folds[i] = (j + off) % k
		}
		off += len(cell)
	}
	return folds
}

// cells groups the row indexes by (treated, outcome), in row order.
func cells(treated, y []bool) [4][]int {
	var cs [4][]int
	for i := range treated {
		c := 0
		if treated[i] {
			c |= 1
		}
		if y[i] {
			c |= 2
		}
		cs[c] = append(cs[c], i)
	}
	return cs
}

func fitRows(ctx context.Context, d *Data, rows []int, kind string, opt Options) (*Model, error) {
	lambda := opt.Lambda
	if lambda <= 0 {
		lambda = 1e-4
	}
	m := &Model{Format: 1, Kind: kind, Rows: len(rows)}
	var tr, co []int
	var yt, yc float64
	for _, i := range rows {
		if d.Treated[i] {
			tr = append(tr, i)
			if d.Y[i] {
				yt++
			}
		} else {
			co = append(co, i)
			if d.Y[i] {
				yc++
			}
		}
	}
	if len(tr) == 0 || len(co) == 0 {
		return nil, fmt.Errorf("cannot fit: %d treated and %d control rows; both arms are needed", len(tr), len(co))
	}
	m.TreatedN = len(tr)
	m.ATE = yt/float64(len(tr)) - yc/float64(len(co))
	progress := func(s string) {
		if opt.Progress != nil {
			opt.Progress(s)
		}
	}
	var err error
	progress("fitting the treated response model")
	if m.Treated, err = fitLogistic(ctx, d.X, d.D, tr, d.Y, nil, lambda); err != nil {
		return nil, err
	}
	switch kind {
	case TwoModel:
		progress("fitting the control response model")
		if m.Control, err = fitLogistic(ctx, d.X, d.D, co, d.Y, nil, lambda); err != nil {
			return nil, err
		}
	case ClassTransform:
		// z = y for the treated, 1−y for the controls; weights make the two
		// arms count equally (the transformation needs P(T) = 1/2).
		z := make([]bool, len(d.Y))
		w := make([]float64, len(d.Y))
		wt, wc := float64(len(rows))/(2*float64(len(tr))), float64(len(rows))/(2*float64(len(co)))
		for _, i := range rows {
			if d.Treated[i] {
				z[i], w[i] = d.Y[i], wt
			} else {
				z[i], w[i] = !d.Y[i], wc
			}
		}
		progress("fitting the class-transformation model")
		if m.Transformed, err = fitLogistic(ctx, d.X, d.D, rows, z, w, lambda); err != nil {
			return nil, err
		}
	case TreeForest:
		fo := opt.Forest
		if fo.Seed == 0 {
			fo.Seed = opt.Seed + 1
		}
		progress("growing the uplift forest")
		if m.Forest, err = fitForest(ctx, d.X, d.D, rows, d.Treated, d.Y, fo); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w %q: want %s, %s, %s or %s", ErrKind, kind, Auto, TwoModel, ClassTransform, TreeForest)
	}
	return m, nil
}

// upliftRow is the model's uplift for one encoded row.
func (m *Model) upliftRow(x []float64) float64 {
	switch m.Kind {
	case TwoModel:
		return m.Treated.Prob(x) - m.Control.Prob(x)
	case ClassTransform:
		return 2*m.Transformed.Prob(x) - 1
	case TreeForest:
		u, _ := m.Forest.Predict(x)
		return u
	}
	return math.NaN()
}

// Scores are a model's predictions for the rows of a table.
type Scores struct {
	Uplift []float64
	// Propensity is P(y=1 | treated, x) by the treated response model: what
	// targeting by propensity ranks on.
	Propensity []float64
}

// Score predicts every row of t, in order.
func (m *Model) Score(ctx context.Context, t *Table) (Scores, error) {
	x, err := m.Encoder.Encode(t, nil) // the encoder was initialized by Train or Read
	if err != nil {
		return Scores{}, err
	}
	d := m.Encoder.Width()
	n := t.Rows()
	s := Scores{Uplift: make([]float64, n), Propensity: make([]float64, n)}
	// Rows in chunks over the cores; each row's score depends on the row only.
	const chunk = 16384
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk) {
		wg.Go(func() {
			for lo := range next {
				hi := min(lo+chunk, n)
				if m.Kind == TreeForest {
					// Tree by tree over the block, so one tree's nodes stay in cache.
					m.Forest.predictBlock(x[lo*d:hi*d], d, s.Uplift[lo:hi])
				}
				for i := lo; i < hi; i++ {
					row := x[i*d : (i+1)*d]
					if m.Kind != TreeForest {
						s.Uplift[i] = m.upliftRow(row)
					}
					s.Propensity[i] = m.Treated.Prob(row)
				}
			}
		})
	}
	for lo := 0; lo < n; lo += chunk {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- lo
	}
	close(next)
	wg.Wait()
	if err != nil {
		return Scores{}, err
	}
	return s, nil
}

// Write stores the model as JSON.
func (m *Model) Write(w io.Writer) error {
	return json.NewEncoder(w).Encode(m)
}

// Read loads a model written by Write and checks it is complete.
func Read(r io.Reader) (*Model, error) {
	var m Model
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return nil, fmt.Errorf("cannot read uplift model: %w", err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("cannot read uplift model: format %d, want 1", m.Format)
	}
	for _, c := range m.Encoder.Columns {
		if c.Numeric && (!(c.SD > 0) || math.IsInf(c.SD, 0) || math.IsNaN(c.Mean) || math.IsInf(c.Mean, 0)) {
			return nil, fmt.Errorf("cannot read uplift model: column %q has mean %v and SD %v", c.Name, c.Mean, c.SD)
		}
	}
	w := m.Encoder.Width()
	ok := m.Treated != nil && len(m.Treated.W) == w
	switch m.Kind {
	case TwoModel:
		ok = ok && m.Control != nil && len(m.Control.W) == w
	case ClassTransform:
		ok = ok && m.Transformed != nil && len(m.Transformed.W) == w
	case TreeForest:
		ok = ok && m.Forest != nil && len(m.Forest.Trees) > 0 && validForest(m.Forest, w)
	default:
		return nil, fmt.Errorf("cannot read uplift model: %w %q", ErrKind, m.Kind)
	}
	if !ok {
		return nil, fmt.Errorf("cannot read uplift model: %s model incomplete or inconsistent with its %d encoded features", m.Kind, w)
	}
	m.Encoder.init()
	return &m, nil
}

func validForest(f *Forest, w int) bool {
	for _, t := range f.Trees {
		if len(t.Nodes) == 0 {
			return false
		}
		for i, n := range t.Nodes {
			if n.Feature >= w || (n.Feature >= 0 && (n.Left <= i || n.Right <= i || n.Left >= len(t.Nodes) || n.Right >= len(t.Nodes))) {
				return false
			}
		}
	}
	return true
}

// Columns lists the columns a table must have to be scored.
func (m *Model) Columns() []string {
	return slices.Clone(m.Spec.Features)
}
