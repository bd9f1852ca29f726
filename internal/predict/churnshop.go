package predict

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/model/churn"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// ChurnName is the file name (without .json) of the shop's churn model.
const ChurnName = "churn"

// ShopChurnOptions configure churn models over the shop's own data.
type ShopChurnOptions struct {
	// Cutoff is the last day of the history a prediction sees; 0: the day
	// of the last order minus Horizon (the latest cutoff whose outcome is
	// known).
	Cutoff int32
	// Horizon: a customer churns without a sale order within this many days
	// after the cutoff; 90.
	Horizon  int
	Location *time.Location
	DataDir  string
	Clock    func() time.Time
	Churn    churn.Options
	Logger   func(msg string) // progress; may be nil
}

func (o *ShopChurnOptions) defaults() {
	if o.Horizon <= 0 {
		o.Horizon = 90
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = func(string) {}
	}
}

// EndOfDay is the last instant of calendar day d in loc.
func EndOfDay(d int32, loc *time.Location) time.Time {
	y, m, dd := DayTime(d).Date()
	return time.Date(y, m, dd+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
}

// excluded are feature columns that are not model inputs: aliases of other
// columns and the model outputs themselves.
var excluded = map[string]bool{feature.ColDaysSinceLast: true, feature.ColTenure: true}

// FeatureCols turns the buyers' rows of a feature table into model input
// columns; rows are table row numbers.
func FeatureCols(t *feature.Table, rows []int) []churn.Col {
	var cols []churn.Col
	for _, c := range t.Cols {
		if excluded[c.Name] || PredictionColumn(c.Name) {
			continue
		}
		col := churn.Col{Name: c.Name}
		if c.Type == feature.Number {
			src := t.Num[c.Name]
			col.Num = make([]float64, len(rows))
			for i, r := range rows {
				col.Num[i] = src[r]
			}
		} else {
			src := t.Text[c.Name]
			col.Text = make([]string, len(rows))
			for i, r := range rows {
				col.Text[i] = src[r]
			}
		}
		cols = append(cols, col)
	}
	return cols
}

// shopSet is a labelled data set at one cutoff: the buyers as of the
// cutoff, their features as of its end, and whether they bought in the
// horizon after it.
type shopSet struct {
	cutoff  int32
	ids     []int64
	cols    []churn.Col
	y       []bool
	recency []float64
}

func buildSet(ctx context.Context, src store.Analytics, tx *Txns, cutoff int32, o ShopChurnOptions) (*shopSet, error) {
	t, err := feature.Compute(ctx, src, EndOfDay(cutoff, o.Location), feature.Options{Location: o.Location})
	if err != nil {
		return nil, fmt.Errorf("features as of %s: %w", DayString(cutoff), err)
	}
	active := map[int64]bool{}
	end := cutoff + int32(o.Horizon)
	for _, x := range tx.List {
		if x.Day > cutoff && x.Day <= end {
			active[x.Customer] = true
		}
	}
	s := &shopSet{cutoff: cutoff}
	var rows []int
	freq, rec := t.Num[feature.ColFrequency], t.Num[feature.ColRecency]
	for i, id := range t.IDs {
		if freq[i] >= 1 {
			rows = append(rows, i)
			s.ids = append(s.ids, id)
			s.y = append(s.y, !active[id])
			s.recency = append(s.recency, rec[i])
		}
	}
	s.cols = FeatureCols(t, rows)
	return s, nil
}

// ShopEval compares the churn model with a recency-only baseline on a
// later cutoff than it was trained on.
type ShopEval struct {
	TrainCutoff string                   `json:"train_cutoff"`
	TestCutoff  string                   `json:"test_cutoff"`
	HorizonDays int                      `json:"horizon_days"`
	TrainRows   int                      `json:"train_customers"`
	TrainChurn  float64                  `json:"train_churn_rate"`
	TestRows    int                      `json:"test_customers"`
	TestChurn   float64                  `json:"test_churn_rate"`
	Chosen      string                   `json:"chosen"`
	Models      map[string]churn.Metrics `json:"models"` // logistic, gbdt, blend, chosen, recency_baseline
	// ROC holds points [false positive rate, true positive rate] of the
	// chosen model and the recency baseline on the test cutoff, at most
	// rocPoints+1 of them each, for plotting.
	ROC map[string][][2]float64 `json:"roc,omitempty"`
	// Lift holds the cumulative lift of the same two at each tenth of the
	// customers ranked by score: the churn rate among the top 10 %, 20 %, …,
	// 100 % over the churn rate of all (1 at 100 %).
	Lift     map[string][]float64 `json:"lift,omitempty"`
	Warnings []string             `json:"warnings,omitempty"`
}

func rate(y []bool) float64 {
	var n float64
	for _, v := range y {
		if v {
			n++
		}
	}
	return n / math.Max(float64(len(y)), 1)
}

// EvalShopChurn trains at cutoff − horizon (labels: the horizon up to the
// cutoff) and tests at the cutoff (labels: the horizon after it): a
// time-based split with no leakage.
func EvalShopChurn(ctx context.Context, src store.Analytics, o ShopChurnOptions) (*ShopEval, error) {
	o.defaults()
	tx, err := ReadTxns(ctx, src, time.Time{}, o.Location)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	if len(tx.List) == 0 {
		return nil, ErrNoOrders
	}
	return evalShop(ctx, src, tx, o)
}

func (o *ShopChurnOptions) cutoff(tx *Txns) (int32, error) {
	c := o.Cutoff
	if c == 0 {
		c = tx.LastDay - int32(o.Horizon)
	}
	if c+int32(o.Horizon) > tx.LastDay {
		return 0, fmt.Errorf("cutoff %s + %d days is after the last order (%s): the outcome is not known yet; choose an earlier --cutoff",
			DayString(c), o.Horizon, DayString(tx.LastDay))
	}
	if c < tx.FirstDay {
		return 0, fmt.Errorf("cutoff %s is before the first order (%s)", DayString(c), DayString(tx.FirstDay))
	}
	return c, nil
}

func evalShop(ctx context.Context, src store.Analytics, tx *Txns, o ShopChurnOptions) (*ShopEval, error) {
	test, err := o.cutoff(tx)
	if err != nil {
		return nil, err
	}
	train := test - int32(o.Horizon)
	if train < tx.FirstDay {
		return nil, fmt.Errorf("a time split needs history before %s − %d days; the first order is on %s: choose a later --cutoff or a shorter --horizon",
			DayString(test), o.Horizon, DayString(tx.FirstDay))
	}
	o.Logger(fmt.Sprintf("features as of %s (train) and %s (test)", DayString(train), DayString(test)))
	tr, err := buildSet(ctx, src, tx, train, o)
	if err != nil {
		return nil, err
	}
	te, err := buildSet(ctx, src, tx, test, o)
	if err != nil {
		return nil, err
	}
	ev := &ShopEval{TrainCutoff: DayString(train), TestCutoff: DayString(test), HorizonDays: o.Horizon,
		TrainRows: len(tr.y), TrainChurn: rate(tr.y), TestRows: len(te.y), TestChurn: rate(te.y), Models: map[string]churn.Metrics{}}
	if len(tr.y) < 500 {
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("only %d buyers to train on (fewer than 500): the metrics are uncertain", len(tr.y)))
	}
	o.Logger(fmt.Sprintf("training on %d buyers", len(tr.y)))
	m, err := churn.Train(ctx, tr.cols, tr.y, o.Churn)
	if err != nil {
		return nil, fmt.Errorf("train at %s: %w", DayString(train), err)
	}
	all, err := m.PredictAll(te.cols)
	if err != nil {
		return nil, err
	}
	all["chosen"] = all[m.Kind]
	ev.Chosen = m.Kind
	for k, p := range all {
		ev.Models[k] = churn.Evaluate(p, te.y)
	}
	// Baseline: the longer since the last order, the likelier the churn.
	base := rankProb(te.recency)
	ev.Models["recency_baseline"] = churn.Evaluate(base, te.y)
	ev.ROC = map[string][][2]float64{"chosen": rocCurve(all["chosen"], te.y), "recency_baseline": rocCurve(base, te.y)}
	ev.Lift = map[string][]float64{"chosen": liftCurve(all["chosen"], te.y), "recency_baseline": liftCurve(base, te.y)}
	if c, b := ev.Models["chosen"].AUC, ev.Models["recency_baseline"].AUC; b >= c {
		ev.Warnings = append(ev.Warnings, fmt.Sprintf("the recency-only baseline ranks churners as well as the model or better on this time split (AUC %.3f vs %.3f): with this little data, prefer recency", b, c))
	}
	return ev, nil
}

// liftCurve returns the cumulative lift at each tenth of the customers
// ranked by score, highest first: the positive rate among the top
// ⌈k·n/10⌉ over the positive rate of all, k = 1..10. Customers tied at the
// cut are counted in proportion, so the curve does not depend on their
// order. Nil without positives.
func liftCurve(score []float64, y []bool) []float64 {
	n := len(score)
	idx := make([]int, n)
	var pos float64
	for i := range idx {
		idx[i] = i
		if y[i] {
			pos++
		}
	}
	if pos == 0 {
		return nil
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	// run[i]: positives among the first i ranked customers, with ties shared
	// evenly across their run
	posBefore := make([]float64, n+1)
	for i := 0; i < n; {
		j := i
		var p float64
		for j < n && score[idx[j]] == score[idx[i]] {
			if y[idx[j]] {
				p++
			}
			j++
		}
		for k := i; k < j; k++ {
			posBefore[k+1] = posBefore[i] + p*float64(k+1-i)/float64(j-i)
		}
		i = j
	}
	out := make([]float64, 10)
	for k := 1; k <= 10; k++ {
		top := (k*n + 9) / 10
		out[k-1] = (posBefore[top] / float64(top)) / (pos / float64(n))
	}
	return out
}

// rocPoints bounds the points of a saved ROC curve.
const rocPoints = 50

// rocCurve returns the ROC curve of scores as at most rocPoints+1 points
// (false positive rate, true positive rate), from (0, 0) to (1, 1); ties
// are stepped over together. Nil without positives or negatives.
func rocCurve(score []float64, y []bool) [][2]float64 {
	idx := make([]int, len(score))
	var pos, neg float64
	for i := range idx {
		idx[i] = i
		if y[i] {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	full := [][2]float64{{0, 0}}
	var tp, fp float64
	for k, i := range idx {
		if y[i] {
			tp++
		} else {
			fp++
		}
		if k+1 == len(idx) || score[idx[k+1]] != score[i] {
			full = append(full, [2]float64{fp / neg, tp / pos})
		}
	}
	if len(full) <= rocPoints+1 {
		return full
	}
	out := make([][2]float64, 0, rocPoints+1)
	for j := range rocPoints + 1 {
		out = append(out, full[j*(len(full)-1)/rocPoints])
	}
	return out
}

// rankProb turns scores into (0,1) by rank, for metrics that need a
// probability; AUC and lift depend on the order only.
func rankProb(s []float64) []float64 {
	n := len(s)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := make([]float64, n)
	// simple O(n log n) ranking
	sorted := append([]float64(nil), s...)
	for i := range sorted {
		if math.IsNaN(sorted[i]) {
			sorted[i] = math.Inf(1)
		}
	}
	order := make([]int, n)
	copy(order, idx)
	sortByValue(order, sorted)
	for r, i := range order {
		out[i] = (float64(r) + 0.5) / float64(n)
	}
	// ties share the mean rank
	for a := 0; a < n; {
		b := a
		for b < n && sorted[order[b]] == sorted[order[a]] {
			b++
		}
		m := (float64(a+b) / 2) / float64(n)
		for k := a; k < b; k++ {
			out[order[k]] = m
		}
		a = b
	}
	return out
}

// TrainShopChurn evaluates on a time split, then trains the model at the
// latest labelled cutoff and saves it as DATA_DIR/models/churn.json with its
// window and the evaluation.
func TrainShopChurn(ctx context.Context, src store.Analytics, o ShopChurnOptions) (*ChurnFile, *ShopEval, error) {
	o.defaults()
	tx, err := ReadTxns(ctx, src, time.Time{}, o.Location)
	if err != nil {
		return nil, nil, fmt.Errorf("read orders: %w", err)
	}
	if len(tx.List) == 0 {
		return nil, nil, ErrNoOrders
	}
	cut, err := o.cutoff(tx)
	if err != nil {
		return nil, nil, err
	}
	var ev *ShopEval
	if cut-int32(o.Horizon) >= tx.FirstDay {
		if ev, err = evalShop(ctx, src, tx, o); err != nil {
			return nil, nil, err
		}
	}
	set, err := buildSet(ctx, src, tx, cut, o)
	if err != nil {
		return nil, nil, err
	}
	o.Logger(fmt.Sprintf("training the model at %s on %d buyers", DayString(cut), len(set.y)))
	m, err := churn.Train(ctx, set.cols, set.y, o.Churn)
	if err != nil {
		return nil, nil, fmt.Errorf("train at %s: %w", DayString(cut), err)
	}
	f := &ChurnFile{
		Header: Header{Kind: "churn", Format: 1, Version: nextVersion(o.DataDir, ChurnName), TrainedAt: o.Clock().UTC().Format(time.RFC3339)},
		Source: "store", Rows: len(set.y),
		Window: map[string]string{"data_from": DayString(tx.FirstDay), "cutoff": DayString(cut),
			"label_until": DayString(cut + int32(o.Horizon)), "horizon_days": fmt.Sprint(o.Horizon),
			"label": fmt.Sprintf("no sale order within %d days after the cutoff", o.Horizon)},
		Metrics: map[string]any{"chosen": m.Kind, "inner_cv_auc": m.InnerAUC},
		Model:   m,
	}
	for _, v := range set.y {
		if v {
			f.Positive++
		}
	}
	if ev != nil {
		f.Metrics["time_split"] = ev
	}
	if o.DataDir != "" {
		if err := saveModel(o.DataDir, ChurnName, f); err != nil {
			return nil, nil, err
		}
	}
	return f, ev, nil
}

// LoadShopChurn reads DATA_DIR/models/churn.json; ErrNoModel when absent.
func LoadShopChurn(dataDir string) (*ChurnFile, error) {
	var f ChurnFile
	if err := loadModel(dataDir, ChurnName, &f); err != nil {
		return nil, err
	}
	if f.Model == nil {
		return nil, fmt.Errorf("model %s: no classifier in the file", ChurnName)
	}
	return &f, nil
}

func sortByValue(order []int, v []float64) {
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
}
