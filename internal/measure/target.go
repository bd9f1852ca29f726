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
	Cost float64 // cost of giving the offer to one customer (message, gift)
	// RedeemCost is a cost paid only when a treated customer converts (a
	// coupon's discount): expected RedeemCost × propensity per customer, so
	// that handing coupons to those who buy anyway is counted as the waste
	// it is.
	RedeemCost float64
	Value      float64 // value (margin) of one conversion, before RedeemCost
	// Limit is the most that may be spent on the offer (expected cost of
	// the customers chosen); 0 means no limit: stop only when the marginal
	// profit is ≤ 0.
	Limit float64
}

// Validate checks the figures.
func (b Budget) Validate() error {
	switch {
	case !(b.Cost >= 0) || math.IsInf(b.Cost, 0):
		return fmt.Errorf("offer cost %v: want a number ≥ 0", b.Cost)
	case !(b.RedeemCost >= 0) || math.IsInf(b.RedeemCost, 0):
		return fmt.Errorf("redemption cost %v: want a number ≥ 0", b.RedeemCost)
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
	Spend                  float64 `json:"spend"` // expected cost
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
// profit Σ (uplift·value − cost) is largest within the budget, where a
// customer's expected cost is Cost + RedeemCost·propensity: prospects are
// ranked by uplift·value − cost and taken while that is > 0 and the spend
// stays within the limit; the first prospect that does not fit ends the
// plan. With one cost for everyone (RedeemCost 0) the top of that ranking is
// the best set of any size, so the choice is optimal; with costs that vary
// it is the usual greedy approximation of a knapsack.
//
// For comparison, spending the same budget (without a limit: making as many
// offers as the uplift plan): targeting by propensity (the highest
// P(convert | offer) first, as response models do) and at random (the
// expectation of a uniformly random choice). All three are valued by the
// same estimates, so the comparison shows what the ranking buys.
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
	cost := func(i int) float64 { return b.Cost + b.RedeemCost*ps[i].Propensity }
	gain := func(i int) float64 { return ps[i].Uplift*value(i) - cost(i) }
	// take returns how many of order fit the budget (and, if positive, are
	// profitable).
	take := func(order []int, positive bool, limitN int) (int, bool) {
		spend := 0.0
		for k, i := range order {
			if k == limitN || (positive && gain(i) <= 0) {
				return k, false
			}
			if b.Limit > 0 && spend+cost(i) > b.Limit*(1+1e-12) {
				return k, true
			}
			spend += cost(i)
		}
		return len(order), false
	}
	idx := make([]int, len(ps))
	for i := range idx {
		idx[i] = i
	}
	byGain := slices.Clone(idx)
	slices.SortStableFunc(byGain, func(x, y int) int { return cmp.Compare(gain(y), gain(x)) })
	var t Targeting
	k, full := take(byGain, true, -1)
	switch {
	case len(ps) == 0:
		t.StopReason = "no prospects"
	case k == len(ps):
		t.StopReason = "every prospect is expected to be profitable and the budget allows them all"
	case full:
		next := byGain[k]
		t.StopReason = fmt.Sprintf("budget spent: %d offers, the next would cost %.4g and pass the %v budget", k, cost(next), b.Limit)
	default:
		next := byGain[k]
		t.StopReason = fmt.Sprintf("marginal profit ≤ 0 after %d prospects: the next expects %.4f·%v − %.4g = %.4f", k, ps[next].Uplift, value(next), cost(next), gain(next))
	}
	t.Uplift = plan("uplift", byGain[:k], ps, value, cost)

	limitN := -1 // the comparison strategies spend the budget…
	if b.Limit == 0 {
		limitN = k // …or make as many offers as the uplift plan
	}
	byProp := slices.Clone(idx)
	slices.SortStableFunc(byProp, func(x, y int) int { return cmp.Compare(ps[y].Propensity, ps[x].Propensity) })
	np, _ := take(byProp, false, limitN)
	t.Propensity = plan("propensity", byProp[:np], ps, value, cost)
	t.Random = Plan{Strategy: "random"}
	if len(ps) > 0 {
		all := plan("random", idx, ps, value, cost)
		n := float64(k)
		if b.Limit > 0 {
			// As many as the budget buys at the average expected cost.
			n = float64(len(ps))
			if avg := all.Spend / float64(len(ps)); avg > 0 {
				n = math.Min(n, math.Floor(b.Limit/avg+1e-9))
			}
		}
		f := n / float64(len(ps))
		t.Random.Customers = int(n)
		t.Random.Spend = all.Spend * f
		t.Random.IncrementalConversions = all.IncrementalConversions * f
		t.Random.IncrementalValue = all.IncrementalValue * f
		t.Random.Profit = t.Random.IncrementalValue - t.Random.Spend
	}
	return t, nil
}

func plan(name string, chosen []int, ps []Prospect, value, cost func(int) float64) Plan {
	p := Plan{Strategy: name, Customers: len(chosen), Chosen: chosen}
	for _, i := range chosen {
		p.Spend += cost(i)
		p.IncrementalConversions += ps[i].Uplift
		p.IncrementalValue += ps[i].Uplift * value(i)
	}
	p.Profit = p.IncrementalValue - p.Spend
	return p
}
