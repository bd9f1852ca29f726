package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// DefaultHoldoutPercent is the share of a campaign's audience held out for
// measurement when neither the campaign nor the configuration says otherwise.
const DefaultHoldoutPercent = 10.0

// StratumColumn is the feature the holdout is stratified by.
const StratumColumn = "value_loyalty_class"

// ContactHoldout is the contact-history kind of a held-out customer: the
// moment the campaign would have contacted them. It is written by the
// engine at launch only (it is not one of store.ContactKinds, which the API
// accepts from outside), and it does not count for caps.
const ContactHoldout = "holdout"

// ArmsKind is the definition kind that keeps, per launched campaign, both
// arms of the experiment (see Arms).
const ArmsKind = "campaign_arms"

// Measurement configures holdouts (docs/measure.md).
type Measurement struct {
	// DefaultPercent is the holdout of campaigns that set no
	// holdout_percent; nil: DefaultHoldoutPercent.
	DefaultPercent *float64
	// Global holds the same customers out of every campaign (0..100).
	Global float64
	// Salt changes every assignment at once; keep it fixed for a shop.
	Salt string
}

func (m *Measurement) defaultPercent() float64 {
	if m == nil {
		return 0
	}
	if m.DefaultPercent == nil {
		return DefaultHoldoutPercent
	}
	return *m.DefaultPercent
}

// HoldoutOf returns the holdout that applies to a campaign.
func (s *Service) HoldoutOf(c *Campaign) measure.Holdout {
	h := measure.Holdout{Percent: s.opts.Measure.defaultPercent()}
	if c.HoldoutPercent != nil {
		h.Percent = *c.HoldoutPercent
	}
	if m := s.opts.Measure; m != nil {
		h.Global, h.Salt = m.Global, m.Salt
	}
	return h
}

// validateMeasurement checks the measurement fields of a campaign.
func (c *Campaign) validateMeasurement() error {
	if p := c.HoldoutPercent; p != nil && (math.IsNaN(*p) || *p < 0 || *p >= 100) {
		return &FieldError{Campaign: c.Name, Field: "holdout_percent", Problem: fmt.Sprintf("want 0 to less than 100, got %v", *p)}
	}
	if v := c.ConversionValue; math.IsNaN(v) || v < 0 {
		return &FieldError{Campaign: c.Name, Field: "conversion_value", Problem: fmt.Sprintf("want a value >= 0, got %v", v)}
	}
	return nil
}

// HoldoutPreview is the holdout a launch would draw now.
type HoldoutPreview struct {
	Percent       float64                         `json:"percent"`
	GlobalPercent float64                         `json:"global_percent"`
	Stratified    string                          `json:"stratified_by"`
	Size          int64                           `json:"size"`
	Strata        map[string]measure.StratumCount `json:"strata"`
}

// holdout splits the eligible audience (ascending ids) into the treated and
// the held out: exactly per value–loyalty class (measure.Stratify), since
// the audience is materialized once at launch. A legacy Options.Holdout,
// when set, is used as it is.
func (s *Service) holdout(c *Campaign, ids []int64) (kept, held []int64, pv *HoldoutPreview, err error) {
	if h := s.opts.Holdout; h != nil {
		for _, id := range ids {
			if h.InHoldout(c.Name, id) {
				held = append(held, id)
			} else {
				kept = append(kept, id)
			}
		}
		return kept, held, nil, nil
	}
	h := s.HoldoutOf(c)
	if h.Percent == 0 && h.Global == 0 {
		return ids, nil, &HoldoutPreview{Stratified: StratumColumn, Strata: map[string]measure.StratumCount{}}, nil
	}
	if c.Every != 0 {
		// a recurring campaign evaluates its audience every period: the
		// same customers must stay out, so the draw is the stateless hash
		// (not exact per class, whose cut would move with the audience)
		pv := &HoldoutPreview{Percent: h.Percent, GlobalPercent: h.Global, Stratified: "none (recurring: stable hash)",
			Strata: map[string]measure.StratumCount{}}
		for _, id := range ids {
			if h.InHoldout(c.Name, id) {
				held = append(held, id)
			} else {
				kept = append(kept, id)
			}
		}
		pv.Size = int64(len(held))
		pv.Strata[""] = measure.StratumCount{Audience: len(ids), Holdout: len(held)}
		return kept, held, pv, nil
	}
	classes := s.classes(ids)
	ms := make([]measure.Member, len(ids))
	for i, id := range ids {
		ms[i] = measure.Member{Customer: id, Stratum: classes[i]}
	}
	a, err := measure.Stratify(h, c.Name, ms)
	if err != nil {
		return nil, nil, nil, &FieldError{Campaign: c.Name, Field: "holdout_percent", Problem: err.Error()}
	}
	kept = make([]int64, 0, len(ids))
	for _, id := range ids {
		if a.InHoldout(c.Name, id) {
			held = append(held, id)
		} else {
			kept = append(kept, id)
		}
	}
	pv = &HoldoutPreview{Percent: h.Percent, GlobalPercent: h.Global, Stratified: StratumColumn, Size: int64(len(held)), Strata: a.Strata}
	return kept, held, pv, nil
}

// classes returns the value–loyalty class of each customer ("" when
// unknown), in one read of the feature table when there is one.
func (s *Service) classes(ids []int64) []string {
	if s.opts.Features != nil {
		if cols, err := s.opts.Features.Columns(context.Background(), ids, []string{StratumColumn}); err == nil {
			return cols[StratumColumn]
		}
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		if p, ok := s.opts.Audience.Profile(id); ok {
			out[i] = p.Class
		}
	}
	return out
}

// Arms are both arms of a launched campaign, kept (as a definition of kind
// ArmsKind) so that reports know them after a restart: the treated
// audience is the campaign run's; the held-out customers are here and, one
// row each, in the contact history (kind ContactHoldout).
type Arms struct {
	Campaign   string                          `json:"campaign"`
	LaunchedAt time.Time                       `json:"launched_at"`
	TouchAt    time.Time                       `json:"touch_at"` // when the held out would have been contacted
	Holdout    measure.Holdout                 `json:"holdout"`
	Strata     map[string]measure.StratumCount `json:"strata,omitempty"`
	Held       []byte                          `json:"held"` // roaring64 bitmap of the held-out customers
	Target     string                          `json:"target,omitempty"`
	Untargeted []byte                          `json:"untargeted,omitempty"` // roaring64: eligible, not held out, left out by the target plan
	Eligible   int64                           `json:"eligible"`             // treated + held out + untargeted
}

// HeldOut decodes the held-out customers, ascending.
func (a *Arms) HeldOut() ([]int64, error) {
	out, err := decodeIDs(a.Held)
	if err != nil {
		return nil, fmt.Errorf("read the holdout of campaign %q: %w", a.Campaign, err)
	}
	return out, nil
}

// ArmsOf returns the arms of a launched campaign; ErrNotFound when it was
// launched without them (before holdouts existed) or not at all.
func (s *Service) ArmsOf(ctx context.Context, name string) (Arms, error) {
	defs, err := s.opts.Store.Definitions(ctx, ArmsKind)
	if err != nil {
		return Arms{}, err
	}
	for _, d := range defs {
		if d.Name == name {
			var a Arms
			if err := json.Unmarshal(d.Body, &a); err != nil {
				return Arms{}, fmt.Errorf("read the arms of campaign %q: %w", name, err)
			}
			return a, nil
		}
	}
	return Arms{}, fmt.Errorf("campaign %q has no recorded holdout: %w", name, ErrNotFound)
}

// saveArms writes the arms definition (before the run, so that a launch
// that fails in between leaves a definition the next launch replaces).
func (s *Service) saveArms(ctx context.Context, c *Saved, a *Audience, now time.Time) (Arms, error) {
	blob, err := encodeIDs(a.Held)
	if err != nil {
		return Arms{}, err
	}
	var untargeted []byte
	if len(a.Untargeted) > 0 {
		if untargeted, err = encodeIDs(a.Untargeted); err != nil {
			return Arms{}, err
		}
	}
	touch := now
	if c.StartAt.After(now) {
		touch = c.StartAt.UTC().Truncate(time.Microsecond)
	}
	arms := Arms{Campaign: c.Name, LaunchedAt: now, TouchAt: touch, Holdout: s.HoldoutOf(&c.Campaign), Held: blob, Target: a.Target,
		Untargeted: untargeted, Eligible: int64(len(a.IDs) + len(a.Held) + len(a.Untargeted))}
	if a.Holdout != nil {
		arms.Strata = a.Holdout.Strata
	}
	body, err := json.Marshal(arms)
	if err != nil {
		return Arms{}, err
	}
	if _, err := s.opts.Store.PutDefinition(ctx, store.Definition{Kind: ArmsKind, Name: c.Name, Body: body, CreatedAt: now, Author: "sagitta"}); err != nil {
		return Arms{}, fmt.Errorf("record the holdout of campaign %q: %w", c.Name, err)
	}
	return arms, nil
}

// holdoutContacts are the contact-history rows of the held out.
func holdoutContacts(c *Saved, held []int64, at time.Time, strata []string) []store.Contact {
	out := make([]store.Contact, len(held))
	ch := ""
	if len(c.Channels) > 0 {
		ch = c.Channels[0]
	}
	for i, id := range held {
		out[i] = store.Contact{CustomerID: id, Channel: ch, Kind: ContactHoldout, Campaign: c.Name, Step: DefaultStep, Offer: c.Offer, At: at,
			Detail: "held out for measurement (" + StratumColumn + " " + strconv.Quote(strata[i]) + ")"}
	}
	return out
}

// recordHoldout writes the holdout rows in the launch transaction.
func (s *Service) recordHoldout(ctx context.Context, tx store.MarketingTx, c *Saved, held []int64, at time.Time) error {
	if len(held) == 0 {
		return nil
	}
	classes := s.classes(held)
	rows := holdoutContacts(c, held, at, classes)
	for from := 0; from < len(rows); from += 10000 {
		if err := tx.AddContacts(ctx, rows[from:min(from+10000, len(rows))]); err != nil {
			return fmt.Errorf("record the holdout of campaign %q: %w", c.Name, err)
		}
	}
	return nil
}

func encodeIDs(ids []int64) ([]byte, error) {
	bm := roaring64.New()
	bm.AddMany(toUint64(ids))
	bm.RunOptimize()
	return bm.MarshalBinary()
}

// journeyHoldout decides, as a customer enters a triggered journey, whether
// they are held out: measure.Holdout, a hash of customer and campaign with
// no state, since the audience grows and an exact cut would move. A
// held-out entry gets a holdout row in the contact history (once per
// trigger) and joins the journey's arms.
func (s *Service) journeyHoldout(ctx context.Context, c *Saved, id int64, step string, at time.Time) (bool, error) {
	h := s.HoldoutOf(&c.Campaign)
	if !h.InHoldout(c.Name, id) {
		return false, nil
	}
	cs, err := s.opts.Store.Contacts(ctx, id, at, 0)
	if err != nil {
		return true, err
	}
	for _, ct := range cs {
		if ct.Kind == ContactHoldout && ct.Campaign == c.Name && ct.Step == step {
			return true, nil // recorded by an earlier scan
		}
	}
	rows := holdoutContacts(c, []int64{id}, at, s.classes([]int64{id}))
	rows[0].Step = step
	if err := s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error { return tx.AddContacts(ctx, rows) }); err != nil {
		return true, fmt.Errorf("record the holdout of journey %q: %w", c.Name, err)
	}
	arms, err := s.ArmsOf(ctx, c.Name)
	if errors.Is(err, ErrNotFound) {
		arms = Arms{Campaign: c.Name, LaunchedAt: at, TouchAt: at, Holdout: h}
	} else if err != nil {
		return true, err
	}
	held, err := arms.HeldOut()
	if err != nil {
		return true, err
	}
	if _, ok := slices.BinarySearch(held, id); ok {
		return true, nil
	}
	held = append(held, id)
	slices.Sort(held)
	if arms.Held, err = encodeIDs(held); err != nil {
		return true, err
	}
	body, err := json.Marshal(arms)
	if err != nil {
		return true, err
	}
	if _, err := s.opts.Store.PutDefinition(ctx, store.Definition{Kind: ArmsKind, Name: c.Name, Body: body, CreatedAt: at, Author: "sagitta"}); err != nil {
		return true, fmt.Errorf("record the holdout of journey %q: %w", c.Name, err)
	}
	return true, nil
}
