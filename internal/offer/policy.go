package offer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// PolicyKind is the kind of the policy definition in the store (one, named "default").
const PolicyKind = "policy"

// Profile is what the policy reads of a customer. Unknown numbers are NaN,
// unknown texts "".
type Profile struct {
	Class            string  `json:"value_loyalty_class"`
	Lifecycle        string  `json:"lifecycle_stage"`
	PriceSensitivity float64 `json:"price_sensitivity"`
	ChurnProbability float64 `json:"churn_probability"` // NaN until a churn model provides the feature
}

// Policy is the differentiated-offer table: the first row matching a
// customer decides which offer types they get and how deep a discount may
// go. It is data, edited over the API and the CLI, not code.
type Policy struct {
	// PriceHigh: a price_sensitivity at or above it is "high" (default 0.5).
	PriceHigh float64 `json:"price_high" yaml:"price_high"`
	// ChurnHigh: a churn_probability at or above it is "high" (default 0.5).
	// Without that feature, the lifecycle stages ChurnStages count as high.
	ChurnHigh   float64     `json:"churn_high" yaml:"churn_high"`
	ChurnStages []string    `json:"churn_stages" yaml:"churn_stages"`
	Rows        []PolicyRow `json:"rows" yaml:"rows"`
}

// PolicyRow is one row of the table. Empty or "*" matches anything.
type PolicyRow struct {
	Name             string   `json:"name" yaml:"name"`
	Class            string   `json:"class,omitempty" yaml:"class,omitempty"`                         // A, B, C
	PriceSensitivity string   `json:"price_sensitivity,omitempty" yaml:"price_sensitivity,omitempty"` // high, low
	Lifecycle        []string `json:"lifecycle,omitempty" yaml:"lifecycle,omitempty"`                 // any of these stages
	ChurnRisk        string   `json:"churn_risk,omitempty" yaml:"churn_risk,omitempty"`               // high, low
	// OfferTypes are allowed, in order of preference; none: no offer.
	OfferTypes []Type `json:"offer_types" yaml:"offer_types"`
	// MaxDepth is the deepest discount allowed, as a fraction of the price
	// (0: full price; coupon_amount offers need MaxDepth > 0).
	MaxDepth  float64 `json:"max_depth" yaml:"max_depth"`
	Treatment string  `json:"treatment" yaml:"treatment"` // what the customer gets besides: priority service, news...
}

// DefaultPolicy follows the source documents: A — no discount, priority
// service, new-product news; B — coupons and spend thresholds; C — price
// incentives; price-insensitive customers pay full price; high churn risk
// — win-back.
func DefaultPolicy() Policy {
	return Policy{PriceHigh: 0.5, ChurnHigh: 0.5, ChurnStages: []string{"silent", "churned"}, Rows: []PolicyRow{
		{Name: "win_back", ChurnRisk: "high", OfferTypes: []Type{CouponAmount, Threshold, CouponPercent, Gift, FreeShipping},
			MaxDepth: 0.3, Treatment: "win-back: a personal offer and a call to come back"},
		{Name: "class_a", Class: "A", OfferTypes: []Type{Content, Gift, FreeShipping},
			MaxDepth: 0, Treatment: "no discount; priority service; new-product news"},
		{Name: "full_price", PriceSensitivity: "low", OfferTypes: []Type{FreeShipping, Gift, Content},
			MaxDepth: 0, Treatment: "pays full price: service and news, no price cut"},
		{Name: "class_b", Class: "B", OfferTypes: []Type{CouponAmount, Threshold, FreeShipping, Content},
			MaxDepth: 0.15, Treatment: "coupons and spend-threshold discounts"},
		{Name: "class_c", Class: "C", OfferTypes: []Type{CouponPercent, CouponAmount, Threshold, FreeShipping},
			MaxDepth: 0.3, Treatment: "price incentives"},
		{Name: "default", OfferTypes: []Type{Content}, MaxDepth: 0, Treatment: "content only"},
	}}
}

// ParsePolicy reads a policy from JSON or YAML and validates it; errors
// name the row and field (and the line for YAML syntax errors).
func ParsePolicy(data []byte) (Policy, error) {
	var p Policy
	trim := bytes.TrimSpace(data)
	var err error
	if len(trim) > 0 && trim[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trim))
		dec.DisallowUnknownFields()
		err = dec.Decode(&p)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&p)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w: %w", err, ErrInvalid)
	}
	return p, p.Validate()
}

// Validate checks the table and fills in defaults.
func (p *Policy) Validate() error {
	bad := func(i int, field, format string, a ...any) error {
		return fmt.Errorf("policy row %d (%q): field %q: %s: %w", i+1, p.Rows[i].Name, field, fmt.Sprintf(format, a...), ErrInvalid)
	}
	if p.PriceHigh == 0 {
		p.PriceHigh = 0.5
	}
	if p.ChurnHigh == 0 {
		p.ChurnHigh = 0.5
	}
	if p.PriceHigh < 0 || p.PriceHigh > 1 || p.ChurnHigh < 0 || p.ChurnHigh > 1 {
		return fmt.Errorf("policy: price_high and churn_high must be within 0..1: %w", ErrInvalid)
	}
	if len(p.Rows) == 0 {
		return fmt.Errorf("policy: no rows: %w", ErrInvalid)
	}
	for i, r := range p.Rows {
		if r.Name == "" {
			return bad(i, "name", "every row needs a name")
		}
		if !oneOf(r.Class, "", "*", "A", "B", "C") {
			return bad(i, "class", "%q is not A, B, C or *", r.Class)
		}
		if !oneOf(r.PriceSensitivity, "", "*", "high", "low") {
			return bad(i, "price_sensitivity", "%q is not high, low or *", r.PriceSensitivity)
		}
		if !oneOf(r.ChurnRisk, "", "*", "high", "low") {
			return bad(i, "churn_risk", "%q is not high, low or *", r.ChurnRisk)
		}
		for _, t := range r.OfferTypes {
			if !slices.Contains(Types, t) {
				return bad(i, "offer_types", "%q is not one of %s", t, joinTypes())
			}
		}
		if r.MaxDepth < 0 || r.MaxDepth >= 1 || math.IsNaN(r.MaxDepth) {
			return bad(i, "max_depth", "must be within [0, 1)")
		}
	}
	return nil
}

func oneOf(s string, opts ...string) bool { return slices.Contains(opts, s) }

func anyOr(s string) bool { return s == "" || s == "*" }

// Match returns the first row matching the profile; ok is false when none does.
func (p *Policy) Match(pr Profile) (row PolicyRow, ok bool) {
	price := ""
	if !math.IsNaN(pr.PriceSensitivity) {
		price = "low"
		if pr.PriceSensitivity >= p.PriceHigh {
			price = "high"
		}
	}
	churn := "low"
	switch {
	case !math.IsNaN(pr.ChurnProbability):
		if pr.ChurnProbability >= p.ChurnHigh {
			churn = "high"
		}
	case slices.Contains(p.ChurnStages, pr.Lifecycle):
		churn = "high"
	}
	for _, r := range p.Rows {
		if !anyOr(r.Class) && r.Class != pr.Class {
			continue
		}
		if !anyOr(r.PriceSensitivity) && r.PriceSensitivity != price {
			continue
		}
		if !anyOr(r.ChurnRisk) && r.ChurnRisk != churn {
			continue
		}
		if len(r.Lifecycle) > 0 && !slices.Contains(r.Lifecycle, pr.Lifecycle) {
			continue
		}
		return r, true
	}
	return PolicyRow{}, false
}

// Allows tells whether a row allows an offer and, when not, why.
func (r PolicyRow) Allows(o *Offer) (bool, string) {
	if !slices.Contains(r.OfferTypes, o.Type) {
		return false, fmt.Sprintf("policy %q does not offer %s", r.Name, o.Type)
	}
	d := o.Depth()
	if math.IsNaN(d) { // an amount off: allowed when the row allows any discount
		if r.MaxDepth == 0 {
			return false, fmt.Sprintf("policy %q allows no discount", r.Name)
		}
		return true, ""
	}
	if d > r.MaxDepth+1e-9 {
		return false, fmt.Sprintf("policy %q allows a discount of at most %.0f%%, the offer gives %.0f%%", r.Name, r.MaxDepth*100, d*100)
	}
	return true, ""
}

// Rank is the preference of the row for an offer type: 0 best; len when absent.
func (r PolicyRow) Rank(t Type) int {
	if i := slices.Index(r.OfferTypes, t); i >= 0 {
		return i
	}
	return len(r.OfferTypes)
}

// PolicyStore keeps the policy; a store.Store implements it.
type PolicyStore interface {
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	DefinitionHistory(ctx context.Context, kind, name string) ([]store.Definition, error)
}

// LoadPolicy returns the stored policy, or DefaultPolicy when none is stored.
func LoadPolicy(ctx context.Context, st PolicyStore) (Policy, error) {
	h, err := st.DefinitionHistory(ctx, PolicyKind, "default")
	if errors.Is(err, store.ErrNotFound) || (err == nil && (len(h) == 0 || h[len(h)-1].Deleted)) {
		return DefaultPolicy(), nil
	}
	if err != nil {
		return Policy{}, fmt.Errorf("load policy: %w", err)
	}
	var p Policy
	if err := json.Unmarshal(h[len(h)-1].Body, &p); err != nil {
		return Policy{}, fmt.Errorf("load policy version %d: %w", h[len(h)-1].Version, err)
	}
	return p, p.Validate()
}

// SavePolicy validates and stores a policy as a new version.
func SavePolicy(ctx context.Context, st PolicyStore, p Policy, author string, at time.Time) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	v, err := st.PutDefinition(ctx, store.Definition{Kind: PolicyKind, Name: "default", Body: body, CreatedAt: at.UTC().Truncate(time.Microsecond), Author: author})
	if err != nil {
		return 0, fmt.Errorf("save policy: %w", err)
	}
	return v, nil
}

// YAML renders the policy for editing.
func (p Policy) YAML() []byte {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(p)
	return []byte(b.String())
}

// MarshalJSON writes unknown numbers as null.
func (p Profile) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Class            string   `json:"value_loyalty_class"`
		Lifecycle        string   `json:"lifecycle_stage"`
		PriceSensitivity *float64 `json:"price_sensitivity"`
		ChurnProbability *float64 `json:"churn_probability"`
	}{p.Class, p.Lifecycle, num(p.PriceSensitivity), num(p.ChurnProbability)})
}
