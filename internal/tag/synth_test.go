package tag

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// emptyAnalytics is a store with no customers: feature.Compute over it
// yields the real feature schema.
type emptyAnalytics struct{ store.Analytics }

func (emptyAnalytics) CustomerIDs(context.Context) ([]int64, error) { return nil, nil }
func (emptyAnalytics) ScanLines(context.Context, time.Time, func(*store.LineRow) error) error {
	return nil
}
func (emptyAnalytics) ScanEvents(context.Context, time.Time, time.Time, func(*store.Event) error) error {
	return nil
}
func (emptyAnalytics) AttributeValues(context.Context, string) (map[int64]string, error) {
	return map[int64]string{}, nil
}

var (
	schemaOnce sync.Once
	schemaCols []feature.Column
	schemaErr  error
)

// featureSchema is the schema of the real feature package.
func featureSchema(tb testing.TB) []feature.Column {
	tb.Helper()
	schemaOnce.Do(func() {
		var t *feature.Table
		t, schemaErr = feature.Compute(context.Background(), emptyAnalytics{}, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), feature.Options{})
		if schemaErr == nil {
			schemaCols = t.Cols
		}
	})
	if schemaErr != nil {
		tb.Fatalf("feature schema: %v", schemaErr)
	}
	return schemaCols
}

var textValues = map[string][]string{
	"rfm_segment":         {"champions", "loyal", "potential_loyalist", "new", "promising", "need_attention", "about_to_sleep", "at_risk", "cannot_lose", "hibernating", "lost", ""},
	"value_loyalty_class": {"A", "B", "B", "C", "C", ""},
	"value_level":         {"low", "medium", "high", ""},
	"loyalty_level":       {"low", "medium", "high", ""},
	"value_loyalty_cell":  {"high/high", "high/medium", "low/low", "medium/low", ""},
	"lifecycle_stage":     {"prospect", "new", "active", "won_back", "silent", "churned"},
	"top_category":        {"fashion/women/dresses", "electronics/audio/headphones", "home/kitchen/mugs", "beauty/skin/creams", "sports/running/shoes", "books/fiction", ""},
	"top_brand":           {"Marlow", "Voltra", "Nordwik", ""},
	"preferred_channel":   {"web", "app", "store", ""},
	"preferred_payment":   {"card", "paypal", "cod", "wallet", ""},
}

// synthTable makes n customers with plausible random values for every
// column of the schema (about 5% unknown).
func synthTable(cols []feature.Column, n int, seed uint64) *feature.Table {
	t := &feature.Table{AsOf: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), IDs: make([]int64, n),
		Num: map[string][]float64{}, Text: map[string][]string{}, Cols: cols}
	for i := range t.IDs {
		t.IDs[i] = int64(i + 1)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for ci, c := range cols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			if c.Type == feature.Text {
				vals := textValues[c.Name]
				if vals == nil {
					vals = []string{"x", "y", ""}
				}
				col := make([]string, n)
				for i := range col {
					col[i] = vals[rng.IntN(len(vals))]
				}
				mu.Lock()
				t.Text[c.Name] = col
				mu.Unlock()
				return
			}
			col := make([]float64, n)
			gen := numGen(c.Name)
			for i := range col {
				if rng.IntN(20) == 0 {
					col[i] = math.NaN()
				} else {
					col[i] = gen(rng)
				}
			}
			mu.Lock()
			t.Num[c.Name] = col
			mu.Unlock()
		}()
	}
	wg.Wait()
	return t
}

func numGen(name string) func(*rand.Rand) float64 {
	switch {
	case strings.HasPrefix(name, "rfm_") && name != "rfm_score":
		return func(r *rand.Rand) float64 { return float64(1 + r.IntN(5)) }
	case name == "rfm_score":
		return func(r *rand.Rand) float64 { return float64(100*(1+r.IntN(5)) + 10*(1+r.IntN(5)) + 1 + r.IntN(5)) }
	case strings.Contains(name, "share"), strings.Contains(name, "rate"), strings.Contains(name, "score"),
		strings.Contains(name, "sensitivity"), strings.Contains(name, "depth"), strings.Contains(name, "response"):
		return func(r *rand.Rand) float64 { return r.Float64() }
	case name == "preferred_hour":
		return func(r *rand.Rand) float64 { return float64(r.IntN(24)) }
	case name == "repeat":
		return func(r *rand.Rand) float64 { return float64(r.IntN(2)) }
	case strings.Contains(name, "days"):
		return func(r *rand.Rand) float64 { return float64(r.IntN(1500)) }
	case strings.Contains(name, "spend"), strings.Contains(name, "monetary"), strings.Contains(name, "amount"), strings.Contains(name, "value"):
		return func(r *rand.Rand) float64 { return math.Round(r.ExpFloat64()*300*100) / 100 }
	}
	return func(r *rand.Rand) float64 { return float64(r.IntN(12)) }
}
