package measure_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/measure/sim"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

var spec = uplift.Spec{TreatmentCol: "treatment", Treatment: "treatment", Control: "control", Outcome: "converted",
	Exclude: []string{"revenue"}, ID: "customer_id"}

// train fits an uplift model of the offer on a simulated randomized campaign.
func train(t *testing.T, o sim.Offer, n int, seed uint64) *uplift.Model {
	t.Helper()
	cs := sim.Customers(n, seed)
	m, err := uplift.Train(context.Background(), table(t, cs, sim.Run(cs, o, 0.5, seed+1)), spec, uplift.Options{Kind: uplift.TwoModel})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func table(t *testing.T, cs []sim.Customer, rs []sim.Result) *uplift.Table {
	t.Helper()
	if rs == nil {
		rs = make([]sim.Result, len(cs))
	}
	var buf bytes.Buffer
	if err := sim.WriteData(&buf, cs, rs); err != nil {
		t.Fatal(err)
	}
	tab, err := uplift.ReadCSV(&buf, "sim.csv")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// Budgeted targeting by uplift earns more true incremental profit than
// targeting by propensity or at random, with the same budget.
func TestTargetOnKnownTruth(t *testing.T) {
	m := train(t, sim.Discount, 30000, 1)
	cs := sim.Customers(20000, 77)
	s, err := m.Score(context.Background(), table(t, cs, nil))
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]measure.Prospect, len(cs))
	for i := range cs {
		ps[i] = measure.Prospect{Customer: cs[i].ID, Uplift: s.Uplift[i], Propensity: s.Propensity[i]}
	}
	for _, b := range []measure.Budget{
		{Cost: 2, Value: 30, Limit: 0.2 * 20000 * 2},        // a fixed cost per customer, 20% of them
		{Cost: 0.2, RedeemCost: 8, Value: 40, Limit: 10000}, // a coupon paid on redemption
	} {
		plan, err := measure.Target(ps, b)
		if err != nil {
			t.Fatal(err)
		}
		trueProfit := func(i int) float64 {
			_, pt := sim.Discount.Response(&cs[i])
			return sim.Discount.TrueUplift(&cs[i])*b.Value - b.Cost - b.RedeemCost*pt
		}
		sum := func(chosen []int) float64 {
			var p float64
			for _, i := range chosen {
				p += trueProfit(i)
			}
			return p
		}
		var all float64
		for i := range cs {
			all += trueProfit(i)
		}
		up, prop := sum(plan.Uplift.Chosen), sum(plan.Propensity.Chosen)
		random := all * float64(plan.Random.Customers) / float64(len(cs))
		t.Logf("%+v: uplift plan %d customers, expected profit %.0f, true %.0f; propensity %d customers, expected %.0f, true %.0f; random %d customers, expected %.0f, true %.0f (%s)",
			b, plan.Uplift.Customers, plan.Uplift.Profit, up, plan.Propensity.Customers, plan.Propensity.Profit, prop, plan.Random.Customers, plan.Random.Profit, random, plan.StopReason)
		if up <= prop || up <= random {
			t.Fatalf("true profit: uplift %.0f, propensity %.0f, random %.0f: uplift targeting should win", up, prop, random)
		}
		// The expected figures shown before launch are close to the truth.
		if d := plan.Uplift.Profit - up; d > 0.15*up || d < -0.15*up {
			t.Errorf("expected profit %.0f vs true %.0f: more than 15%% off", plan.Uplift.Profit, up)
		}
	}
}

// Arbitration by expected incremental value beats first come, first served
// when three campaigns compete for customers with a cap of one contact.
func TestArbitrationOnKnownTruth(t *testing.T) {
	type camp struct {
		offer       sim.Offer
		value, cost float64
		model       *uplift.Model
	}
	camps := []*camp{{offer: sim.Discount, value: 30, cost: 3}, {offer: sim.NewProduct, value: 60, cost: 0.5}, {offer: sim.WinBack, value: 40, cost: 1}}
	for k, c := range camps {
		c.model = train(t, c.offer, 30000, uint64(10+k))
	}
	cs := sim.Customers(20000, 99)
	tab := table(t, cs, nil)
	scores := make([][]float64, len(camps))
	for k, c := range camps {
		s, err := c.model.Score(context.Background(), tab)
		if err != nil {
			t.Fatal(err)
		}
		scores[k] = s.Uplift
	}
	r := rand.New(rand.NewPCG(5, 6))
	trueValue := func(i int, name string) float64 {
		for _, c := range camps {
			if c.offer.Name == name {
				return c.offer.TrueUplift(&cs[i])*c.value - c.cost
			}
		}
		t.Fatalf("unknown campaign %s", name)
		return 0
	}
	var arb, first, oracle float64
	var explained int
	for i := range cs {
		order := r.Perm(len(camps)) // campaigns reach the customer in random order
		bids := make([]measure.Bid, len(camps))
		best := 0.0
		for k, c := range camps {
			bids[k] = measure.Bid{Campaign: c.offer.Name, Uplift: scores[k][i], Value: c.value, Cost: c.cost, Arrival: order[k]}
			best = max(best, trueValue(i, c.offer.Name))
		}
		d := measure.Arbitrate(cs[i].ID, 1, bids)
		for _, name := range d.Chosen {
			arb += trueValue(i, name)
		}
		for _, name := range measure.FirstCome(1, bids) {
			first += trueValue(i, name)
		}
		oracle += best
		if len(d.Candidates) == 3 && d.Candidates[0].Reason != "" && d.Candidates[2].Reason != "" {
			explained++
		}
	}
	t.Logf("true incremental value over %d customers, cap 1: arbitration %.0f, first come %.0f, oracle %.0f", len(cs), arb, first, oracle)
	if arb <= first {
		t.Fatalf("arbitration %.0f does not beat first come %.0f", arb, first)
	}
	if arb < 0.8*oracle {
		t.Errorf("arbitration %.0f below 80%% of the oracle %.0f", arb, oracle)
	}
	if explained != len(cs) {
		t.Errorf("%d of %d decisions explain every candidate", explained, len(cs))
	}
}
