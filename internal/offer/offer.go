package offer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors.
var (
	ErrNotFound = errors.New("offer not found")
	ErrInvalid  = errors.New("invalid offer")
)

// Type is the kind of an offer.
type Type string

const (
	CouponAmount  Type = "coupon_amount"  // Amount off
	CouponPercent Type = "coupon_percent" // Percent off
	Threshold     Type = "threshold"      // 满减: spend Threshold, save Amount
	FreeShipping  Type = "free_shipping"
	Gift          Type = "gift"    // the item Gift with the order
	Content       Type = "content" // a message only: news, a recommendation, priority service
)

// Types lists the offer types.
var Types = []Type{CouponAmount, CouponPercent, Threshold, FreeShipping, Gift, Content}

// Code modes.
const (
	CodeNone   = "none"   // no code (content, automatic free shipping)
	CodeShared = "shared" // one code for everyone
	CodeUnique = "unique" // one code per customer, derived from a secret
)

// Offer is what may be offered to whom.
type Offer struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Type        Type   `json:"type" yaml:"type"`
	// Amount off (coupon_amount, threshold), Percent off (coupon_percent,
	// 0 < p < 100), spend Threshold (threshold), Gift item id (gift).
	Amount    float64 `json:"amount,omitempty" yaml:"amount,omitempty"`
	Percent   float64 `json:"percent,omitempty" yaml:"percent,omitempty"`
	Threshold float64 `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	Gift      string  `json:"gift,omitempty" yaml:"gift,omitempty"`
	// Content is the message of a content-only offer.
	Content string `json:"content,omitempty" yaml:"content,omitempty"`
	// Code: mode none, shared (SharedCode) or unique (Prefix + a derived part).
	Code       string `json:"code" yaml:"code"`
	SharedCode string `json:"shared_code,omitempty" yaml:"shared_code,omitempty"`
	Prefix     string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	// Validity: [ValidFrom, ValidUntil); zero ValidFrom means "from now on".
	// Given as a date only, they mean whole days in the shop's time zone
	// (days.go): from the start of ValidFrom's day to the end of ValidUntil's.
	ValidFrom  time.Time `json:"valid_from,omitzero" yaml:"valid_from,omitempty"`
	ValidUntil time.Time `json:"valid_until" yaml:"valid_until"`
	// fromDay, untilDay: ValidFrom, ValidUntil as decoded when given as a
	// date only (YYYY-MM-DD), for ResolveDays.
	fromDay, untilDay string
	// Budget: at most BudgetCount issues and BudgetCost of cost (0: no
	// bound of that kind; at least one is required). UnitCost is the cost
	// of one issue (default: Amount for coupon_amount and threshold).
	BudgetCount int64   `json:"budget_count,omitempty" yaml:"budget_count,omitempty"`
	BudgetCost  float64 `json:"budget_cost,omitempty" yaml:"budget_cost,omitempty"`
	UnitCost    float64 `json:"unit_cost,omitempty" yaml:"unit_cost,omitempty"`
	// PerCustomer is the most a customer may receive (default 1).
	PerCustomer int `json:"per_customer,omitempty" yaml:"per_customer,omitempty"`
	// Eligibility: a saved segment, a rule, or both (both must hold).
	Segment string `json:"segment,omitempty" yaml:"segment,omitempty"`
	Rule    string `json:"rule,omitempty" yaml:"rule,omitempty"`
	// Script is what an agent says on assisted channels (call centre, store, hotline).
	Script string `json:"script,omitempty" yaml:"script,omitempty"`
	// Value ranks offers for next-best-offers (higher first); default the
	// unit cost.
	Value float64 `json:"value,omitempty" yaml:"value,omitempty"`
}

// FieldError is a problem with one field of an offer.
type FieldError struct {
	Offer, Field, Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("offer %q: field %q: %s", e.Offer, e.Field, e.Problem)
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Validate checks an offer and fills in the defaults. An offer without a
// budget or without eligibility is refused.
func (o *Offer) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Offer: o.Name, Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	if !nameRE.MatchString(o.Name) {
		return bad("name", "must be 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
	}
	if !slices.Contains(Types, o.Type) {
		return bad("type", "%q is not one of %s", o.Type, joinTypes())
	}
	finite := func(field string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return bad(field, "must be a finite number >= 0")
		}
		return nil
	}
	for _, f := range []struct {
		n string
		v float64
	}{{"amount", o.Amount}, {"percent", o.Percent}, {"threshold", o.Threshold}, {"budget_cost", o.BudgetCost}, {"unit_cost", o.UnitCost}, {"value", o.Value}} {
		if err := finite(f.n, f.v); err != nil {
			return err
		}
	}
	switch o.Type {
	case CouponAmount:
		if o.Amount <= 0 {
			return bad("amount", "a coupon_amount offer needs an amount > 0")
		}
	case CouponPercent:
		if o.Percent <= 0 || o.Percent >= 100 {
			return bad("percent", "a coupon_percent offer needs 0 < percent < 100")
		}
	case Threshold:
		if o.Threshold <= 0 || o.Amount <= 0 {
			return bad("threshold", "a threshold offer needs threshold > 0 (spend) and amount > 0 (save)")
		}
		if o.Amount >= o.Threshold {
			return bad("amount", "saves %g on a spend of %g: the amount must be below the threshold", o.Amount, o.Threshold)
		}
	case Gift:
		if o.Gift == "" {
			return bad("gift", "a gift offer names the gift item")
		}
	case Content:
		if strings.TrimSpace(o.Content) == "" && strings.TrimSpace(o.Description) == "" {
			return bad("content", "a content offer needs its content")
		}
	}
	if o.Code == "" {
		o.Code = CodeNone
		if o.Type != Content {
			o.Code = CodeUnique
		}
	}
	switch o.Code {
	case CodeNone:
	case CodeShared:
		if o.SharedCode == "" {
			return bad("shared_code", "a shared code needs its value")
		}
	case CodeUnique:
		if len(o.Prefix) > 16 {
			return bad("prefix", "at most 16 characters")
		}
	default:
		return bad("code", "%q is not none, shared or unique", o.Code)
	}
	if o.ValidUntil.IsZero() {
		return bad("valid_until", "an offer needs an end of validity")
	}
	if !o.ValidFrom.IsZero() && !o.ValidFrom.Before(o.ValidUntil) {
		return bad("valid_until", "must be after valid_from")
	}
	if o.BudgetCount < 0 {
		return bad("budget_count", "must be >= 0")
	}
	if o.BudgetCount == 0 && o.BudgetCost == 0 {
		return bad("budget_count", "an offer needs a budget: budget_count, budget_cost or both")
	}
	if o.PerCustomer < 0 {
		return bad("per_customer", "must be >= 0")
	}
	if o.PerCustomer == 0 {
		o.PerCustomer = 1
	}
	if o.UnitCost == 0 && (o.Type == CouponAmount || o.Type == Threshold) {
		o.UnitCost = o.Amount
	}
	if o.BudgetCost > 0 && o.UnitCost == 0 && o.Type != Content {
		return bad("unit_cost", "a budget_cost needs the cost of one issue")
	}
	if strings.TrimSpace(o.Segment) == "" && strings.TrimSpace(o.Rule) == "" {
		return bad("rule", "an offer needs eligibility: a segment, a rule or both")
	}
	if o.Value == 0 {
		o.Value = o.UnitCost
	}
	return nil
}

func joinTypes() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// Valid reports whether the offer is valid at the instant.
func (o *Offer) Valid(at time.Time) bool {
	return (o.ValidFrom.IsZero() || !at.Before(o.ValidFrom)) && at.Before(o.ValidUntil)
}

// Depth is the discount depth of the offer as a fraction of the price (0 for
// gifts, content and free shipping): percent/100, or amount/threshold for 满减.
func (o *Offer) Depth() float64 {
	switch o.Type {
	case CouponPercent:
		return o.Percent / 100
	case Threshold:
		return o.Amount / o.Threshold
	case CouponAmount:
		return math.NaN() // depends on the basket
	}
	return 0
}

// Summary is a short human description: "10 off", "15% off", "满 200 减 30".
func (o *Offer) Summary() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch o.Type {
	case CouponAmount:
		return f(o.Amount) + " off"
	case CouponPercent:
		return f(o.Percent) + "% off"
	case Threshold:
		return "spend " + f(o.Threshold) + ", save " + f(o.Amount)
	case FreeShipping:
		return "free shipping"
	case Gift:
		return "gift: " + o.Gift
	}
	if o.Content != "" {
		return o.Content
	}
	return o.Description
}

var codeEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// CodeFor returns the code of the offer for a customer: "" with no code,
// the shared code, or the prefix and 12 characters of an HMAC-SHA256 of
// the offer and the customer under secret (60 bits: unique in practice,
// and not guessable without the secret). The same customer always gets
// the same code.
func (o *Offer) CodeFor(secret []byte, customerID int64) string {
	switch o.Code {
	case CodeShared:
		return o.SharedCode
	case CodeUnique:
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(o.Name))
		m.Write([]byte{0})
		m.Write(strconv.AppendInt(nil, customerID, 10))
		return o.Prefix + codeEnc.EncodeToString(m.Sum(nil))[:12]
	}
	return ""
}
