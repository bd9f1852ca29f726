package feature

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// ErrSettings: a settings file is malformed or a value is out of range.
var ErrSettings = errors.New("invalid feature settings")

// Settings are the tunable parts of the feature computation, as a user
// writes them in YAML or JSON. Every field is optional: an absent one keeps
// the default, which follows the source documents and the shop's own data
// (see the field comments and `sagitta features settings defaults`).
type Settings struct {
	RFM struct {
		Bins int `yaml:"bins,omitempty" json:"bins,omitempty"` // score bins: 5 (quintiles)
	} `yaml:"rfm" json:"rfm"`
	Preferences struct {
		HalfLifeDays float64 `yaml:"half_life_days,omitempty" json:"half_life_days,omitempty"` // 90
		ViewWeight   float64 `yaml:"view_weight,omitempty" json:"view_weight,omitempty"`       // a tenth of the mean line amount
	} `yaml:"preferences" json:"preferences"`
	Attributes   []string `yaml:"attributes,omitempty" json:"attributes,omitempty"` // country, region, city, gender, age_group
	ValueLoyalty struct {
		ValueCuts        []float64  `yaml:"value_cuts,omitempty" json:"value_cuts,omitempty"`               // absolute monetary [medium, high]
		ValueQuantiles   []float64  `yaml:"value_quantiles,omitempty" json:"value_quantiles,omitempty"`     // [0.2, 0.5]
		LoyaltyWeights   []float64  `yaml:"loyalty_weights,omitempty" json:"loyalty_weights,omitempty"`     // frequency, tenure, repeat rate, recency: [0.35, 0.2, 0.25, 0.2]
		LoyaltyCuts      []float64  `yaml:"loyalty_cuts,omitempty" json:"loyalty_cuts,omitempty"`           // absolute 0..1 [medium, high]
		LoyaltyQuantiles []float64  `yaml:"loyalty_quantiles,omitempty" json:"loyalty_quantiles,omitempty"` // [0.4, 0.8]
		Grid             [][]string `yaml:"grid,omitempty" json:"grid,omitempty"`                           // [value low..high][loyalty low..high] → class
	} `yaml:"value_loyalty" json:"value_loyalty"`
	Lifecycle struct {
		NewForDays        float64 `yaml:"new_for_days,omitempty" json:"new_for_days,omitempty"`                 // the median inter-purchase gap
		SilentAfterDays   float64 `yaml:"silent_after_days,omitempty" json:"silent_after_days,omitempty"`       // the quantile gap
		ChurnAfterDays    float64 `yaml:"churn_after_days,omitempty" json:"churn_after_days,omitempty"`         // churn_factor × silent_after_days
		Quantile          float64 `yaml:"quantile,omitempty" json:"quantile,omitempty"`                         // 0.8
		ChurnFactor       float64 `yaml:"churn_factor,omitempty" json:"churn_factor,omitempty"`                 // 2
		MinCustomers      int     `yaml:"min_customers,omitempty" json:"min_customers,omitempty"`               // 20 repeat customers
		HighChurnRiskFrom float64 `yaml:"high_churn_risk_from,omitempty" json:"high_churn_risk_from,omitempty"` // the riskiest fifth of live customers
	} `yaml:"lifecycle" json:"lifecycle"`
	PriceSensitivity struct {
		Weights  []float64 `yaml:"weights,omitempty" json:"weights,omitempty"`     // discount share, coupon share, depth, promotion response: [0.35, 0.25, 0.2, 0.2]
		DepthCap float64   `yaml:"depth_cap,omitempty" json:"depth_cap,omitempty"` // 0.5
	} `yaml:"price_sensitivity" json:"price_sensitivity"`
}

// MaxSettingsSize bounds a settings file.
const MaxSettingsSize = 64 << 10

// ParseSettings reads settings from YAML (JSON is YAML too). Unknown keys
// and values of the wrong type are refused with their line; values out of
// range with their key.
func ParseSettings(data []byte) (Settings, error) {
	var s Settings
	if len(data) > MaxSettingsSize {
		return s, fmt.Errorf("%w: %d bytes, at most %d", ErrSettings, len(data), MaxSettingsSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return s, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Settings{}, fmt.Errorf("%w: %s", ErrSettings, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// Validate checks every value against its range.
func (s Settings) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if b := s.RFM.Bins; b != 0 && (b < 2 || b > 10) {
		bad("rfm.bins", "%d is not between 2 and 10", b)
	}
	if v := s.Preferences.HalfLifeDays; v < 0 || math.IsInf(v, 0) {
		bad("preferences.half_life_days", "%v is not a positive number of days", v)
	}
	if v := s.Preferences.ViewWeight; v < 0 || math.IsInf(v, 0) {
		bad("preferences.view_weight", "%v is negative", v)
	}
	for i, a := range s.Attributes {
		if a == "" {
			bad(fmt.Sprintf("attributes[%d]", i), "empty")
		}
	}
	vl := s.ValueLoyalty
	pair := func(key string, v []float64, lo, hi float64) {
		if v == nil {
			return
		}
		if len(v) != 2 {
			bad(key, "want two values [medium, high], got %d", len(v))
			return
		}
		if !(v[0] >= lo && v[1] <= hi && v[0] < v[1]) {
			bad(key, "want %v ≤ medium < high ≤ %v, got %v", lo, hi, v)
		}
	}
	pair("value_loyalty.value_cuts", vl.ValueCuts, 0, math.MaxFloat64)
	pair("value_loyalty.value_quantiles", vl.ValueQuantiles, 0, 1)
	pair("value_loyalty.loyalty_cuts", vl.LoyaltyCuts, 0, 1)
	pair("value_loyalty.loyalty_quantiles", vl.LoyaltyQuantiles, 0, 1)
	weights(bad, "value_loyalty.loyalty_weights", vl.LoyaltyWeights, 4)
	if vl.Grid != nil {
		ok := len(vl.Grid) == 3
		for _, row := range vl.Grid {
			ok = ok && len(row) == 3
			for _, c := range row {
				ok = ok && c != ""
			}
		}
		if !ok {
			bad("value_loyalty.grid", "want 3 rows (value low, medium, high) of 3 non-empty classes (loyalty low, medium, high)")
		}
	}
	lc := s.Lifecycle
	for key, v := range map[string]float64{"new_for_days": lc.NewForDays, "silent_after_days": lc.SilentAfterDays,
		"churn_after_days": lc.ChurnAfterDays, "churn_factor": lc.ChurnFactor} {
		if v < 0 || math.IsInf(v, 0) {
			bad("lifecycle."+key, "%v is negative", v)
		}
	}
	if lc.SilentAfterDays > 0 && lc.ChurnAfterDays > 0 && lc.ChurnAfterDays <= lc.SilentAfterDays {
		bad("lifecycle.churn_after_days", "%v must be more than silent_after_days (%v)", lc.ChurnAfterDays, lc.SilentAfterDays)
	}
	if q := lc.Quantile; q != 0 && (q <= 0 || q >= 1) {
		bad("lifecycle.quantile", "%v is not between 0 and 1", q)
	}
	if f := lc.ChurnFactor; f != 0 && f <= 1 {
		bad("lifecycle.churn_factor", "%v must be more than 1", f)
	}
	if p := lc.HighChurnRiskFrom; p < 0 || p > 1 {
		bad("lifecycle.high_churn_risk_from", "%v is not a probability between 0 and 1", p)
	}
	if lc.MinCustomers < 0 {
		bad("lifecycle.min_customers", "%d is negative", lc.MinCustomers)
	}
	weights(bad, "price_sensitivity.weights", s.PriceSensitivity.Weights, 4)
	if d := s.PriceSensitivity.DepthCap; d < 0 || d > 1 {
		bad("price_sensitivity.depth_cap", "%v is not between 0 and 1", d)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrSettings, errors.Join(errs...))
	}
	return nil
}

func weights(bad func(key, format string, a ...any), key string, w []float64, n int) {
	if w == nil {
		return
	}
	if len(w) != n {
		bad(key, "want %d weights, got %d", n, len(w))
		return
	}
	var sum float64
	for _, x := range w {
		if x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			bad(key, "weights must be non-negative, got %v", w)
			return
		}
		sum += x
	}
	if sum == 0 {
		bad(key, "the weights are all zero")
	}
}

// Apply sets the options the settings name, leaving the others as they are.
func (s Settings) Apply(o Options) Options {
	if s.RFM.Bins != 0 {
		o.Bins = s.RFM.Bins
	}
	if s.Preferences.HalfLifeDays != 0 {
		o.HalfLife = s.Preferences.HalfLifeDays
	}
	if s.Preferences.ViewWeight != 0 {
		o.ViewWeight = s.Preferences.ViewWeight
	}
	if s.Attributes != nil {
		o.Attributes = s.Attributes
	}
	vl := s.ValueLoyalty
	copy2 := func(dst *[2]float64, v []float64) {
		if len(v) == 2 {
			*dst = [2]float64{v[0], v[1]}
		}
	}
	copy2(&o.Classes.ValueCuts, vl.ValueCuts)
	copy2(&o.Classes.ValueQuantiles, vl.ValueQuantiles)
	copy2(&o.Classes.LoyaltyCuts, vl.LoyaltyCuts)
	copy2(&o.Classes.LoyaltyQuantiles, vl.LoyaltyQuantiles)
	if len(vl.LoyaltyWeights) == 4 {
		o.Classes.LoyaltyWeights = [4]float64(vl.LoyaltyWeights)
	}
	if len(vl.Grid) == 3 {
		for i := range 3 {
			o.Classes.Grid[i] = [3]string(vl.Grid[i])
		}
	}
	lc := s.Lifecycle
	o.Lifecycle = rfm.LifecycleOptions{NewFor: lc.NewForDays, SilentAfter: lc.SilentAfterDays, ChurnAfter: lc.ChurnAfterDays,
		Quantile: lc.Quantile, ChurnFactor: lc.ChurnFactor, MinCustomers: lc.MinCustomers, HighRiskFrom: lc.HighChurnRiskFrom}
	if len(s.PriceSensitivity.Weights) == 4 {
		o.Price.Weights = [4]float64(s.PriceSensitivity.Weights)
	}
	o.Price.DepthCap = s.PriceSensitivity.DepthCap
	return o
}

// SettingsExample is a settings file with every key, each set to its
// default or commented out where the default comes from the shop's data.
const SettingsExample = `# Sagitta feature settings: sagitta features settings apply FILE
# Every key is optional; an absent key keeps its default.
rfm:
  bins: 5                       # RFM scores 1..bins by quantiles (5: quintiles)
preferences:
  half_life_days: 90            # recency weighting of top category, brand, channel, payment, hour
  # view_weight: 2.5            # what a view adds to a category's weight; default a tenth of the mean line amount
attributes: [country, region, city, gender, age_group]   # customer attributes copied into features
value_loyalty:
  # value_cuts: [100, 1000]     # absolute monetary thresholds [medium, high]; default the quantiles below
  value_quantiles: [0.2, 0.5]   # of the buyers' monetary value: bottom fifth low, top half high
  loyalty_weights: [0.35, 0.2, 0.25, 0.2]   # frequency, tenure, repeat rate, recency
  # loyalty_cuts: [0.3, 0.7]    # absolute loyalty-score thresholds; default the quantiles below
  loyalty_quantiles: [0.4, 0.8]
  grid:                         # rows: value low, medium, high; columns: loyalty low, medium, high
    - [C, C, C]
    - [C, B, B]
    - [B, B, A]
lifecycle:
  # new_for_days: 30            # default: the median inter-purchase gap of repeat customers
  # silent_after_days: 90       # default: the quantile gap below
  # churn_after_days: 180       # default: churn_factor × silent_after_days
  quantile: 0.8
  churn_factor: 2
  min_customers: 20             # repeat customers needed to derive the thresholds (else 30/90/180 days)
  # high_churn_risk_from: 0.7   # churn probability of the high_churn_risk stage; default: the riskiest fifth of live customers
price_sensitivity:
  weights: [0.35, 0.25, 0.2, 0.2]   # discount share, coupon share, discount depth, promotion response
  depth_cap: 0.5                # a discount depth that counts as fully price-sensitive
`
