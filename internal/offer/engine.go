package offer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/definition"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// DefinitionKind is the kind of offer definitions in the store.
const DefinitionKind = "offer"

// Store is what offers keep and read; a store.Store implements it.
type Store interface {
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
	OfferUse(ctx context.Context, offer string) (store.OfferUse, error)
	IssuedTo(ctx context.Context, offer string, customerIDs []int64) (map[int64]int, error)
	OfferUses(ctx context.Context) (map[string]store.OfferUse, error)
	IssuesOf(ctx context.Context, customerID int64) (map[string]int, error)
}

// Audience evaluates eligibility rules over the customers' features, tags
// and lists; NewAudience serves it from the intelligence service.
type Audience interface {
	// SegmentRule returns the rule of a saved segment.
	SegmentRule(name string) (string, error)
	// Check compiles a rule against the current schema; the error is a
	// *rule.Error with the position of the mistake.
	Check(src string) error
	// Explain evaluates a rule for one customer; ok is false when the
	// customer has no features yet.
	Explain(ctx context.Context, src string, customerID int64) (x rule.Explanation, ok bool, err error)
	// Select returns the customers a rule selects, ascending.
	Select(ctx context.Context, src string) ([]int64, error)
	// Profile returns what the policy reads of a customer; ok is false
	// when the customer has no features yet.
	Profile(customerID int64) (p Profile, ok bool)
}

// Lists tells a customer's admission; *admission.Engine implements it.
type Lists interface {
	Check(customerID int64) (admission.Decision, bool)
}

// Options configure an Engine.
type Options struct {
	Store    Store    // required
	Audience Audience // required
	Lists    Lists    // nil: no admission lists
	Logger   *slog.Logger
	Clock    func() time.Time
	// Location is the shop's time zone, where a date-only validity starts
	// and ends (UTC when nil).
	Location *time.Location
}

// Engine keeps the offers and decides eligibility. It is safe for concurrent use.
type Engine struct {
	opts   Options
	offers *definition.Set[Offer]
}

// Saved is an offer as stored.
type Saved struct {
	Offer
	definition.Meta
}

func saved(e definition.Entry[Offer]) Saved { return Saved{Offer: e.Value, Meta: e.Meta} }

// New returns an Engine; call Load to read the stored offers.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Engine{opts: opts, offers: definition.NewSet(DefinitionKind, func(o *Offer, name string) { o.Name = name })}
}

// Load reads the offers from the store.
func (e *Engine) Load(ctx context.Context) error {
	return e.offers.Load(ctx, e.opts.Store)
}

// eligibility returns the rule an offer's customers must satisfy.
func (e *Engine) eligibility(o *Offer) (string, error) {
	var parts []string
	if o.Segment != "" {
		r, err := e.opts.Audience.SegmentRule(o.Segment)
		if err != nil {
			return "", &FieldError{Offer: o.Name, Field: "segment", Problem: err.Error()}
		}
		parts = append(parts, "("+r+")")
	}
	if o.Rule != "" {
		parts = append(parts, "("+o.Rule+")")
	}
	if len(parts) == 1 {
		return parts[0][1 : len(parts[0])-1], nil
	}
	return parts[0] + " and " + parts[1], nil
}

// Save validates and stores an offer as a new version.
func (e *Engine) Save(ctx context.Context, o Offer, author string) (Saved, error) {
	if err := o.ResolveDays(e.opts.Location); err != nil {
		return Saved{}, err
	}
	if err := o.Validate(); err != nil {
		return Saved{}, err
	}
	if o.Rule != "" {
		if err := e.opts.Audience.Check(o.Rule); err != nil {
			return Saved{}, &FieldError{Offer: o.Name, Field: "rule", Problem: err.Error()}
		}
	}
	if _, err := e.eligibility(&o); err != nil {
		return Saved{}, err
	}
	en, err := e.offers.Save(ctx, e.opts.Store, o.Name, o, author, e.opts.Clock())
	if err != nil {
		return Saved{}, err
	}
	return saved(en), nil
}

// Get returns an offer.
func (e *Engine) Get(name string) (Saved, error) {
	en, ok := e.offers.Get(name)
	if !ok {
		return Saved{}, fmt.Errorf("offer %q: %w", name, ErrNotFound)
	}
	return saved(en), nil
}

// List returns the offers by name.
func (e *Engine) List() []Saved {
	es := e.offers.List()
	out := make([]Saved, len(es))
	for i, en := range es {
		out[i] = saved(en)
	}
	return out
}

// Check names one of the checks of Why.
const (
	CheckValidity  = "validity"
	CheckAdmission = "admission"
	CheckRule      = "rule"
	CheckLimit     = "customer_limit"
	CheckBudget    = "budget"
)

// Step is the outcome of one check.
type Step struct {
	Check  string            `json:"check"`
	Pass   bool              `json:"pass"`
	Detail string            `json:"detail"`
	Rule   *rule.Explanation `json:"rule,omitempty"`
}

// Verdict is the eligibility of one customer for one offer.
type Verdict struct {
	Offer       string `json:"offer"`
	CustomerID  int64  `json:"customer_id"`
	Eligible    bool   `json:"eligible"`
	Review      bool   `json:"review"`       // on the grey list: eligible only after a review
	PreApproved bool   `json:"pre_approved"` // on the white list
	Code        string `json:"code,omitempty"`
	Reason      string `json:"reason"` // the first check that failed, or why it is eligible
	Checks      []Step `json:"checks"`
}

// Why decides whether a customer may receive an offer now and explains
// every check: validity, admission lists, the eligibility rule, the
// customer's limit and the budget. Reason names the first that failed.
func (e *Engine) Why(ctx context.Context, name string, customerID int64) (Verdict, error) {
	s, err := e.Get(name)
	if err != nil {
		return Verdict{}, err
	}
	issued, err := e.opts.Store.IssuedTo(ctx, name, []int64{customerID})
	if err != nil {
		return Verdict{}, fmt.Errorf("why offer %q: %w", name, err)
	}
	use, err := e.opts.Store.OfferUse(ctx, name)
	if err != nil {
		return Verdict{}, fmt.Errorf("why offer %q: %w", name, err)
	}
	return e.why(ctx, s, customerID, issued[customerID], use)
}

// why decides with the customer's issues of the offer and the offer's use known.
func (e *Engine) why(ctx context.Context, s Saved, customerID int64, n int, use store.OfferUse) (Verdict, error) {
	name := s.Name
	o := &s.Offer
	now := e.opts.Clock()
	v := Verdict{Offer: name, CustomerID: customerID}
	add := func(check string, pass bool, format string, a ...any) {
		v.Checks = append(v.Checks, Step{Check: check, Pass: pass, Detail: fmt.Sprintf(format, a...)})
	}
	// validity
	switch {
	case !o.ValidFrom.IsZero() && now.Before(o.ValidFrom):
		add(CheckValidity, false, "not valid yet: valid from %s", o.ValidFrom.UTC().Format(time.RFC3339))
	case !now.Before(o.ValidUntil):
		add(CheckValidity, false, "expired at %s", o.ValidUntil.UTC().Format(time.RFC3339))
	default:
		add(CheckValidity, true, "valid until %s", o.ValidUntil.UTC().Format(time.RFC3339))
	}
	// admission
	if d, ok := e.check(customerID); ok {
		switch d.List {
		case store.ListBlack:
			add(CheckAdmission, false, "on the black list (%s, source %s): never offered", d.Reason, d.Source)
		case store.ListGrey:
			v.Review = true
			add(CheckAdmission, true, "on the grey list (%s, source %s): flagged for review", d.Reason, d.Source)
		default:
			v.PreApproved = true
			add(CheckAdmission, true, "on the white list (%s, source %s): pre-approved", d.Reason, d.Source)
		}
	} else {
		add(CheckAdmission, true, "on no admission list")
	}
	// rule
	src, err := e.eligibility(o)
	if err != nil {
		return Verdict{}, err
	}
	x, ok, err := e.opts.Audience.Explain(ctx, src, customerID)
	switch {
	case err != nil:
		add(CheckRule, false, "the eligibility rule cannot be evaluated: %v", err)
	case !ok:
		add(CheckRule, false, "the customer has no features yet (compute the features first)")
	default:
		detail := "the eligibility rule holds"
		if !x.Result {
			detail = "the eligibility rule does not hold"
		}
		if o.Segment != "" {
			detail += " (segment " + o.Segment + ")"
		}
		v.Checks = append(v.Checks, Step{Check: CheckRule, Pass: x.Result, Detail: detail, Rule: &x})
	}
	// limit
	add(CheckLimit, n < o.PerCustomer, "issued to this customer %d of at most %d", n, o.PerCustomer)
	// budget
	pass, detail := budgetLeft(o, use, 1)
	add(CheckBudget, pass, "%s", detail)

	v.Eligible = true
	for _, st := range v.Checks {
		if !st.Pass {
			v.Eligible = false
			v.Reason = st.Check + ": " + st.Detail
			break
		}
	}
	if v.Eligible {
		v.Code = o.Code // the mode; the code itself is made when issued
		v.Reason = "eligible"
		if v.Review {
			v.Reason = "eligible after review: on the grey list"
		}
	}
	return v, nil
}

func (e *Engine) check(id int64) (admission.Decision, bool) {
	if e.opts.Lists == nil {
		return admission.Decision{}, false
	}
	return e.opts.Lists.Check(id)
}

// budgetLeft tells whether n more issues fit in the budget.
func budgetLeft(o *Offer, use store.OfferUse, n int64) (bool, string) {
	pass := true
	detail := fmt.Sprintf("issued %d", use.Count)
	if o.BudgetCount > 0 {
		detail += fmt.Sprintf(" of %d", o.BudgetCount)
		pass = use.Count+n <= o.BudgetCount
	}
	if o.BudgetCost > 0 {
		detail += fmt.Sprintf("; cost %.2f of %.2f", use.Cost, o.BudgetCost)
		pass = pass && use.Cost+float64(n)*o.UnitCost <= o.BudgetCost+1e-9
	}
	if !pass {
		detail = "budget exhausted: " + detail
	}
	return pass, detail
}

// Remaining is how many more issues the budget allows (math.MaxInt64 when unbounded).
func Remaining(o *Offer, use store.OfferUse) int64 {
	left := int64(1<<63 - 1)
	if o.BudgetCount > 0 {
		left = max(0, o.BudgetCount-use.Count)
	}
	if o.BudgetCost > 0 && o.UnitCost > 0 {
		left = min(left, max(0, int64((o.BudgetCost-use.Cost+1e-9)/o.UnitCost)))
	}
	return left
}

// Population is the eligibility of the whole audience for an offer,
// before limits and budget (which are counted when issuing).
type Population struct {
	Eligible []int64 // ascending: the rule holds, not black, not grey
	Black    int     // dropped: on the black list
	Grey     int     // dropped: on the grey list, flagged for review
	GreyIDs  []int64 // those customers, ascending
	White    int     // pre-approved among Eligible
	Invalid  bool    // the offer is not valid now
}

// Select evaluates an offer's eligibility over all customers (or those in
// within, ascending, when not nil).
func (e *Engine) Select(ctx context.Context, name string, within []int64) (Population, error) {
	s, err := e.Get(name)
	if err != nil {
		return Population{}, err
	}
	var p Population
	if !s.Valid(e.opts.Clock()) {
		p.Invalid = true
		return p, nil
	}
	src, err := e.eligibility(&s.Offer)
	if err != nil {
		return Population{}, err
	}
	ids, err := e.opts.Audience.Select(ctx, src)
	if err != nil {
		return Population{}, fmt.Errorf("select the customers of offer %q: %w", name, err)
	}
	if within != nil {
		ids = intersect(ids, within)
	}
	out := ids[:0:0]
	for _, id := range ids {
		if d, ok := e.check(id); ok {
			switch d.List {
			case store.ListBlack:
				p.Black++
				continue
			case store.ListGrey:
				p.Grey++
				p.GreyIDs = append(p.GreyIDs, id)
				continue
			default:
				p.White++
			}
		}
		out = append(out, id)
	}
	p.Eligible = out
	return p, nil
}

// intersect returns the ids in both ascending lists.
func intersect(a, b []int64) []int64 {
	out := make([]int64, 0, min(len(a), len(b)))
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// ErrBudget: the budget of an offer is exhausted.
var ErrBudget = errors.New("offer budget exhausted")

// Ranked is one offer of next-best-offers.
type Ranked struct {
	Offer   Saved   `json:"offer"`
	Summary string  `json:"summary"`
	Review  bool    `json:"review"`
	Script  string  `json:"script,omitempty"`
	Score   float64 `json:"score"`
}

// Best is what may be offered to a customer now.
type Best struct {
	CustomerID int64      `json:"customer_id"`
	Profile    *Profile   `json:"profile"` // nil without features
	Policy     *PolicyRow `json:"policy"`  // the matching row; nil when none
	Offers     []Ranked   `json:"offers"`  // eligible and allowed by the policy, best first
	Refused    []Verdict  `json:"refused,omitempty"`
}

// Best ranks the offers a customer is eligible for and the policy allows:
// by the policy's preference of the offer type, then value. With
// withRefused, the verdicts of the others are included.
func (e *Engine) Best(ctx context.Context, id int64, p *Policy, withRefused bool) (Best, error) {
	b := Best{CustomerID: id, Offers: []Ranked{}}
	pr, ok := e.opts.Audience.Profile(id)
	var row PolicyRow
	matched := false
	if ok {
		b.Profile = &pr
		if row, matched = p.Match(pr); matched {
			b.Policy = &row
		}
	}
	uses, err := e.opts.Store.OfferUses(ctx)
	if err != nil {
		return Best{}, err
	}
	issues, err := e.opts.Store.IssuesOf(ctx, id)
	if err != nil {
		return Best{}, err
	}
	for _, s := range e.List() {
		v, err := e.why(ctx, s, id, issues[s.Name], uses[s.Name])
		if err != nil {
			return Best{}, err
		}
		if v.Eligible && matched {
			if allowed, why := row.Allows(&s.Offer); !allowed {
				v.Eligible = false
				v.Reason = "policy: " + why
				v.Checks = append(v.Checks, Step{Check: "policy", Pass: false, Detail: why})
			}
		}
		if !v.Eligible {
			if withRefused {
				b.Refused = append(b.Refused, v)
			}
			continue
		}
		score := s.Value
		if matched {
			score += float64(len(row.OfferTypes)-row.Rank(s.Type)) * 1e6
		}
		if v.Review {
			score -= 1e9
		}
		b.Offers = append(b.Offers, Ranked{Offer: s, Summary: s.Summary(), Review: v.Review, Script: s.Script, Score: score})
	}
	slices.SortStableFunc(b.Offers, func(x, y Ranked) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return 0
	})
	return b, nil
}
