package feature

import (
	"errors"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// The example file states the defaults: applied, it changes nothing.
func TestSettingsExampleIsTheDefaults(t *testing.T) {
	s, err := ParseSettings([]byte(SettingsExample))
	if err != nil {
		t.Fatal(err)
	}
	got := s.Apply(Options{}).withDefaults()
	want := Options{}.withDefaults()
	if got.Bins != want.Bins || got.HalfLife != want.HalfLife || strings.Join(got.Attributes, ",") != strings.Join(want.Attributes, ",") {
		t.Errorf("bins/half-life/attributes %v %v %v, want %v %v %v", got.Bins, got.HalfLife, got.Attributes, want.Bins, want.HalfLife, want.Attributes)
	}
	if got.Classes.Grid != rfm.DefaultClassGrid() {
		t.Errorf("grid %v, want the default %v", got.Classes.Grid, rfm.DefaultClassGrid())
	}
	if got.Classes.ValueQuantiles != [2]float64{0.2, 0.5} || got.Classes.LoyaltyQuantiles != [2]float64{0.4, 0.8} ||
		got.Classes.LoyaltyWeights != [4]float64{0.35, 0.2, 0.25, 0.2} {
		t.Errorf("class options %+v differ from the documented defaults", got.Classes)
	}
	if got.Lifecycle.Quantile != 0.8 || got.Lifecycle.ChurnFactor != 2 || got.Lifecycle.MinCustomers != 20 {
		t.Errorf("lifecycle options %+v differ from the documented defaults", got.Lifecycle)
	}
	if got.Price.Weights != [4]float64{0.35, 0.25, 0.2, 0.2} || got.Price.DepthCap != 0.5 {
		t.Errorf("price options %+v differ from the documented defaults", got.Price)
	}
}

func TestSettingsErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"rfm:\n  binz: 4\n", "line 2: field binz not found"},
		{"rfm:\n  bins: four\n", "line 2"},
		{"rfm: {bins: 1}", "rfm.bins: 1 is not between 2 and 10"},
		{"value_loyalty: {value_quantiles: [0.6, 0.5]}", "value_loyalty.value_quantiles"},
		{"value_loyalty: {value_cuts: [100]}", "want two values"},
		{"value_loyalty: {loyalty_weights: [0, 0, 0, 0]}", "all zero"},
		{"value_loyalty: {grid: [[A, B, C]]}", "value_loyalty.grid"},
		{"lifecycle: {silent_after_days: 90, churn_after_days: 60}", "more than silent_after_days"},
		{"lifecycle: {quantile: 1.5}", "lifecycle.quantile"},
		{"price_sensitivity: {depth_cap: 2}", "price_sensitivity.depth_cap"},
		{"- just\n- a list\n", "line 1"},
	} {
		_, err := ParseSettings([]byte(tt.in))
		if !errors.Is(err, ErrSettings) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want ErrSettings mentioning %q", tt.in, err, tt.want)
		}
	}
	if _, err := ParseSettings(nil); err != nil {
		t.Errorf("empty settings: %v", err)
	}
	if _, err := ParseSettings([]byte(`{"rfm":{"bins":3},"lifecycle":{"silent_after_days":40,"churn_after_days":100}}`)); err != nil {
		t.Errorf("JSON settings: %v", err)
	}
}
