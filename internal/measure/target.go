package measure

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Prospect is one customer an offer could go to, with the model's estimates.
type Prospect struct {
	Customer   int64   `json:"customer"`
	Uplift     float64 `json:"uplift"`     // P(convert | offer) − P(convert | no offer)
	Propensity float64 `json:"propensity"` // P(convert | offer)
	// Value of a conversion for this customer; 0 means Budget.Value.
	Value float64 `json:"value,omitempty"`
}

// Budget is an offer's economics.
type Budget struct {
	Cost  float64 // cost of giving the offer to one customer (coupon, message)
	Value float64 // value (margin) of one conversion
	// Limit is the most that may be spent on the offer (Cost × customers);
	// 0 means no limit: stop only when the marginal profit is ≤ 0.
	Limit float64
}

// Validate checks the figures.
func (b Budget) Validate() error {
	switch {
	case !(b.Cost >= 0) || math.IsInf(b.Cost, 0):
		return fmt.Errorf("offer cost %v: want a number ≥ 0", b.Cost)
	case !(b.Value > 0) || math.IsInf(b.Value, 0):
		return fmt.Errorf("conversion value %v: want a number > 0", b.Value)
	case !(b.Limit >= 0) || math.IsInf(b.Limit, 0):
		return fmt.Errorf("budget %v: want a number ≥ 0 (0 = no limit)", b.Limit)
	}
	return nil
}

// Plan is whom one strategy would give the offer to and what that is
// expected to bring, by the model's uplift estimates.
type Plan struct {
	Strategy  string `json:"strategy"`
	Customers int    `json:"customers"`
	// Chosen are indexes into the prospects, best first (uplift and
	// propensity plans; the random plan is an expectation and lists none).
	Chosen                 []int   `json:"-"`
	Spend                  float64 `json:"spend"`
	IncrementalConversions float64 `json:"expected_incremental_conversions"`
	IncrementalValue       float64 `json:"expected_incremental_value"`
	Profit                 float64 `json:"expected_profit"` // IncrementalValue − Spend
}

// Targeting compares the strategies of one offer.
type Targeting struct {
	Uplift     Plan `json:"uplift"`
	Propensity Plan `json:"propensity"`
	Random     Plan `json:"random"`
	// StopReason says why the uplift plan stopped where it did.
	StopReason string `json:"stop_reason"`
}

// Target chooses whom to give the offer so that the expected incremental
// profit Σ (uplift·value − cost) is largest within the budget: prospects are
// ranked by uplift·value − cost and taken while that is > 0 and the spend
// stays within the limit (with one cost per customer, the top of that ranking
// is the best set of any size, so the greedy choice is optimal).
//
// For comparison, with the same number of offers as the budget allows (all
// prospects without a limit): targeting by propensity (the highest
// P(convert | offer) first, as response models do) and at random (the exact
// expectation of a uniformly random choice). All three are valued by the
// same uplift estimates, so the comparison shows what the ranking buys.
func Target(ps []Prospect, b Budget) (Targeting, error) {
	if err := b.Validate(); err != nil {
		return Targeting{}, fmt.Errorf("cannot target: %w", err)
	}
	value := func(i int) float64 {
		if v := ps[i].Value; v > 0 {
			return v
		}
		return b.Value
	}
	gain := func(i int) float64 { return ps[i].Uplift*value(i) - b.Cost }
	maxN := len(ps)
	if b.Limit > 0 && b.Cost > 0 {
		maxN = min(maxN, int(math.Floor(b.Limit/b.Cost+1e-9)))
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	byGain := slices.Clone(idx)
	slices.SortStableFunc(byGain, func(x, y int) int { return cmp.Compare(gain(y), gain(x)) })
	var t Targeting
	k := 0
	for k < len(byGain) && k < maxN && gain(byGain[k]) > 0 {
		k++
	}
	switch {
	case len(ps) == 0:
		t.StopReason = "no prospects"
	case k == len(ps):
		t.StopReason = "every prospect is expected to be profitable and the budget allows them all"
	case k == maxN:
		t.StopReason = fmt.Sprintf("budget spent: %d offers × %v = %v of %v", k, b.Cost, float64(k)*b.Cost, b.Limit)
	default:
		t.StopReason = fmt.Sprintf("marginal profit ≤ 0 after %d prospects: the next expects %.4f·%v − %v = %.4f", k, ps[byGain[k]].Uplift, value(byGain[k]), b.Cost, gain(byGain[k]))
	}
	t.Uplift = plan("uplift", byGain[:k], ps, b, value)
	n := maxN // the comparison strategies spend the budget
	byProp := slices.Clone(idx)
	slices.SortStableFunc(byProp, func(x, y int) int { return cmp.Compare(ps[y].Propensity, ps[x].Propensity) })
	t.Propensity = plan("propensity", byProp[:n], ps, b, value)
	all := plan("random", idx, ps, b, value)
	t.Random = Plan{Strategy: "random", Customers: n, Spend: float64(n) * b.Cost}
	if len(ps) > 0 {
		f := float64(n) / float64(len(ps))
		t.Random.IncrementalConversions = all.IncrementalConversions * f
		t.Random.IncrementalValue = all.IncrementalValue * f
		t.Random.Profit = t.Random.IncrementalValue - t.Random.Spend
	}
	return t, nil
}

func plan(name string, chosen []int, ps []Prospect, b Budget, value func(int) float64) Plan {
	p := Plan{Strategy: name, Customers: len(chosen), Chosen: chosen, Spend: float64(len(chosen)) * b.Cost}
	for _, i := range chosen {
		p.IncrementalConversions += ps[i].Uplift
		p.IncrementalValue += ps[i].Uplift * value(i)
	}
	p.Profit = p.IncrementalValue - p.Spend
	return p
}
