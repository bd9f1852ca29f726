package predict

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// Columns are the prediction columns added to every feature table.
func Columns() []feature.Column {
	cols := []feature.Column{
		{Name: ColChurn, Description: "Calibrated probability of no sale order within the churn model's horizon (default 90 days), from the shop's churn model (sagitta model churn train); unknown without a model or a purchase."},
		{Name: ColPAlive, Description: "BG/NBD probability that the customer is still active (sagitta model clv fit); unknown without a model or a purchase."},
		{Name: ColCLV, Description: "Discounted expected spend over the next 12 months (BG/NBD × Gamma-Gamma, 1 % a month); unknown without a model or a purchase."},
		{Name: ColExpected30, Description: "BG/NBD expected number of orders (distinct days) in the next 30 days."},
		{Name: ColPropensity, Description: "BG/NBD probability of at least one order in the next 30 days."},
		{Name: ColNextOrder, Description: "Median days from the as-of day to the next order if the customer is still active (BG/NBD)."},
		{Name: ColExpectSpend, Description: "Gamma-Gamma expected value of the customer's next order."},
	}
	for i := range cols {
		cols[i].Type = feature.Number
		cols[i].TypeName = feature.Number.String()
	}
	return cols
}

// EnsureColumns adds the prediction columns a table lacks, unknown (NaN).
func EnsureColumns(t *feature.Table) {
	if t.Num == nil {
		t.Num = map[string][]float64{}
	}
	for _, c := range Columns() {
		if _, ok := t.Column(c.Name); ok && len(t.Num[c.Name]) == t.Len() {
			continue
		}
		col := make([]float64, t.Len())
		for i := range col {
			col[i] = math.NaN()
		}
		t.Num[c.Name] = col
		if _, ok := t.Column(c.Name); !ok {
			t.Cols = append(t.Cols, c)
		}
	}
}

//go:embed tags.yaml
var tagsYAML []byte

// Tags are the tags over the prediction columns.
func Tags() []tag.Definition {
	defs, err := tag.Parse("predict/tags.yaml", tagsYAML)
	if err != nil {
		panic("predict: tags.yaml: " + err.Error()) // a test guards it
	}
	return defs
}

// EnrichReport says what Enrich scored.
type EnrichReport struct {
	CLVVersion   int `json:"clv_version,omitempty"`
	CLVScored    int `json:"clv_scored"`
	ChurnVersion int `json:"churn_version,omitempty"`
	ChurnScored  int `json:"churn_scored"`
	// Ignored counts customer-days of orders after the table's as-of day.
	Ignored int `json:"ignored_after_as_of"`
}

// Enrich fills the prediction columns of a feature table from the models
// persisted in DATA_DIR/models (the columns stay unknown where no model
// was trained): CLV, P(alive), expected purchases, 30-day propensity and
// next-order days from the CLV model over the orders up to the table's
// as-of day; the churn probability from the shop's churn model over the
// table's own features.
func Enrich(ctx context.Context, src store.Analytics, t *feature.Table, dataDir string, loc *time.Location) (EnrichReport, error) {
	EnsureColumns(t)
	var rep EnrichReport
	if dataDir == "" || t.Len() == 0 {
		return rep, nil
	}
	if loc == nil {
		loc = time.UTC
	}
	var errs []error
	if m, err := LoadCLV(dataDir); err == nil {
		if err := scoreCLV(ctx, src, t, m, loc, &rep); err != nil {
			errs = append(errs, fmt.Errorf("score CLV model version %d: %w", m.Version, err))
		}
	} else if !errors.Is(err, ErrNoModel) {
		errs = append(errs, err)
	}
	if f, err := LoadShopChurn(dataDir); err == nil {
		if err := scoreChurn(t, f, &rep); err != nil {
			errs = append(errs, fmt.Errorf("score churn model version %d: %w", f.Version, err))
		}
	} else if !errors.Is(err, ErrNoModel) {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

func scoreCLV(ctx context.Context, src store.Analytics, t *feature.Table, m *CLVModel, loc *time.Location, rep *EnrichReport) error {
	bg, gg, unit := m.Model()
	tx, err := ReadTxns(ctx, src, t.AsOf, loc)
	if err != nil {
		return err
	}
	s := clv.Summarize(tx.List, Day(t.AsOf, loc), 0, unit)
	n := len(s.IDs)
	sc := clv.Scores{PAlive: make([]float64, n), Expected: make([]float64, n), Prob: make([]float64, n),
		Spend: make([]float64, n), CLV: make([]float64, n), NextDays: make([]float64, n)}
	clv.Score(bg, gg, s.X, s.Tx, s.T, s.Monetary, sc, clv.ScoreOptions{Unit: unit, Window: 30})
	cols := map[string][]float64{ColPAlive: sc.PAlive, ColExpected30: sc.Expected, ColPropensity: sc.Prob,
		ColExpectSpend: sc.Spend, ColCLV: sc.CLV, ColNextOrder: sc.NextDays}
	for i, id := range s.IDs {
		row, ok := t.Index(id)
		if !ok {
			continue
		}
		for name, v := range cols {
			t.Num[name][row] = v[i]
		}
		rep.CLVScored++
	}
	rep.CLVVersion = m.Version
	rep.Ignored = s.Ignored
	return nil
}

func scoreChurn(t *feature.Table, f *ChurnFile, rep *EnrichReport) error {
	if f.Source != "store" {
		return nil // a model of an outside CSV table does not fit the feature columns
	}
	freq := t.Num[feature.ColFrequency]
	var rows []int
	for i := range t.IDs {
		if freq[i] >= 1 {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	p, err := f.Model.Predict(FeatureCols(t, rows))
	if err != nil {
		return err
	}
	col := t.Num[ColChurn]
	for i, r := range rows {
		col[r] = p[i]
	}
	rep.ChurnScored = len(rows)
	rep.ChurnVersion = f.Version
	return nil
}

// Prediction is one customer's predictions, for the API and the CLI.
type Prediction struct {
	CustomerID         int64    `json:"customer_id"`
	AsOf               string   `json:"as_of"`
	ChurnProbability   *float64 `json:"churn_probability"`
	PAlive             *float64 `json:"p_alive"`
	CLV                *float64 `json:"clv"`
	ExpectedPurchases  *float64 `json:"expected_purchases_30d"`
	Propensity         *float64 `json:"propensity_30d"`
	ExpectedOrderValue *float64 `json:"expected_order_value"`
	NextOrderDays      *float64 `json:"expected_next_order_days"`
	NextOrderDate      string   `json:"expected_next_order_date,omitempty"`
}

// PredictionOf reads a customer's predictions from a table; false when the
// customer has no row.
func PredictionOf(t *feature.Table, id int64, loc *time.Location) (Prediction, bool) {
	row, ok := t.Index(id)
	if !ok {
		return Prediction{}, false
	}
	get := func(name string) *float64 {
		c, ok := t.Num[name]
		if !ok || row >= len(c) || math.IsNaN(c[row]) {
			return nil
		}
		v := c[row]
		return &v
	}
	if loc == nil {
		loc = time.UTC
	}
	p := Prediction{CustomerID: id, AsOf: t.AsOf.Format(time.RFC3339), ChurnProbability: get(ColChurn), PAlive: get(ColPAlive),
		CLV: get(ColCLV), ExpectedPurchases: get(ColExpected30), Propensity: get(ColPropensity),
		ExpectedOrderValue: get(ColExpectSpend), NextOrderDays: get(ColNextOrder)}
	if d := p.NextOrderDays; d != nil && !math.IsInf(*d, 0) {
		p.NextOrderDate = DayString(Day(t.AsOf, loc) + int32(math.Round(*d)))
	}
	return p, true
}
