package campaign

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/sagitta-dev/sagitta/internal/measure"
)

// Targeting plans are restricted to these strategies at launch.
const TargetUplift = "uplift"

// ErrNoModel is returned when targeting needs an uplift model and the campaign has none.
var ErrNoModel = errors.New("the campaign has no uplift model")

// BudgetOptions are the economics of a targeted campaign.
type BudgetOptions struct {
	Budget float64 // the most to spend (expected cost of the customers chosen); 0: no limit
	// Cost per customer given the campaign; nil: the offer's unit cost (0 without an offer).
	Cost *float64
	// RedeemCost is paid only by those who convert (a coupon's discount).
	RedeemCost float64
}

// Targeting is what budgeted targeting would do with the campaign's
// eligible audience (after the holdout).
type Targeting struct {
	Campaign string `json:"campaign"`
	Model    string `json:"model"`
	Eligible int    `json:"eligible"`
	Budget   struct {
		Limit      float64 `json:"limit"`
		Cost       float64 `json:"cost"`
		RedeemCost float64 `json:"redeem_cost"`
		Value      float64 `json:"value"`
	} `json:"budget"`
	measure.Targeting
}

// LaunchOptions change how a campaign launches.
type LaunchOptions struct {
	// Target "uplift" treats only the customers of the uplift plan within
	// Budget; the holdout is drawn first from every eligible customer.
	Target string
	Budget BudgetOptions
}

// PlanTargeting scores the eligible audience with the campaign's uplift
// model and compares the uplift, propensity and random plans within the
// budget (measure.Target), before launch.
func (s *Service) PlanTargeting(ctx context.Context, name string, b BudgetOptions) (Targeting, error) {
	c, err := s.Get(name)
	if err != nil {
		return Targeting{}, err
	}
	a, err := s.Materialize(ctx, &c.Campaign)
	if err != nil {
		return Targeting{}, err
	}
	t, _, err := s.plan(ctx, &c.Campaign, a.IDs, b)
	return t, err
}

// plan returns the targeting and the prospects' ids.
func (s *Service) plan(ctx context.Context, c *Campaign, ids []int64, b BudgetOptions) (Targeting, []measure.Prospect, error) {
	if c.UpliftModel == "" {
		return Targeting{}, nil, fmt.Errorf("campaign %q: budgeted targeting scores customers with an uplift model (set uplift_model): %w", c.Name, ErrNoModel)
	}
	sc, err := s.Score(ctx, c, ids)
	if err != nil {
		return Targeting{}, nil, err
	}
	value, cost := s.valueCost(c)
	if b.Cost != nil {
		cost = *b.Cost
	}
	ps := make([]measure.Prospect, len(ids))
	for i, id := range ids {
		p := sc.Propensity[i]
		if math.IsNaN(p) {
			p = 0
		}
		ps[i] = measure.Prospect{Customer: id, Uplift: sc.Uplift[i], Propensity: p}
	}
	bud := measure.Budget{Cost: cost, RedeemCost: b.RedeemCost, Value: value, Limit: b.Budget}
	mt, err := measure.Target(ps, bud)
	if err != nil {
		return Targeting{}, nil, &FieldError{Campaign: c.Name, Field: "budget", Problem: err.Error()}
	}
	t := Targeting{Campaign: c.Name, Model: c.UpliftModel, Eligible: len(ids), Targeting: mt}
	t.Budget.Limit, t.Budget.Cost, t.Budget.RedeemCost, t.Budget.Value = bud.Limit, bud.Cost, bud.RedeemCost, bud.Value
	return t, ps, nil
}

// applyTarget restricts the treated audience to the uplift plan; the rest of
// the eligible (not held out) are kept as untargeted, so that the report
// compares the whole policy (targeted + untargeted) with the holdout.
func (s *Service) applyTarget(ctx context.Context, c *Campaign, a *Audience, lo LaunchOptions) error {
	if lo.Target != TargetUplift {
		return &FieldError{Campaign: c.Name, Field: "target", Problem: fmt.Sprintf("%q is not a targeting strategy; use %q", lo.Target, TargetUplift)}
	}
	t, ps, err := s.plan(ctx, c, a.IDs, lo.Budget)
	if err != nil {
		return err
	}
	chosen := make([]int64, 0, len(t.Uplift.Chosen))
	for _, i := range t.Uplift.Chosen {
		chosen = append(chosen, ps[i].Customer)
	}
	slices.Sort(chosen)
	var rest []int64
	for _, id := range a.IDs {
		if _, ok := slices.BinarySearch(chosen, id); !ok {
			rest = append(rest, id)
		}
	}
	a.IDs, a.Untargeted = chosen, rest
	a.Target = fmt.Sprintf("uplift plan: %d of %d eligible, budget %g, expected profit %.2f", len(chosen), len(chosen)+len(rest), lo.Budget.Budget, t.Uplift.Profit)
	if len(rest) > 0 {
		a.Drops["untargeted"] = int64(len(rest))
	}
	return nil
}
