package measure

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	ps := []Prospect{
		{Customer: 1, Uplift: 0.30, Propensity: 0.40},            // gain 0.3·10 − 1 = 2
		{Customer: 2, Uplift: 0.02, Propensity: 0.90},            // sure thing: −0.8
		{Customer: 3, Uplift: 0.15, Propensity: 0.20},            // 0.5
		{Customer: 4, Uplift: -0.2, Propensity: 0.50},            // do not disturb: −3
		{Customer: 5, Uplift: 0.12, Propensity: 0.10},            // 0.2
		{Customer: 6, Uplift: 0.05, Propensity: 0.30, Value: 40}, // own value: 1
	}
	tests := []struct {
		name     string
		b        Budget
		chosen   []int64
		profit   float64
		stop     string
		propSet  []int64
		randProf float64
	}{
		{"no limit stops at marginal profit", Budget{Cost: 1, Value: 10}, []int64{1, 6, 3, 5}, 3.7, "marginal profit ≤ 0", []int64{2, 4, 1, 6}, 5.9*4/6 - 4},
		{"budget for two", Budget{Cost: 1, Value: 10, Limit: 2.5}, []int64{1, 6}, 3, "budget spent", []int64{2, 4}, (0.44*10+0.05*30)/3 - 2},
		{"free offer", Budget{Cost: 0, Value: 10}, []int64{1, 6, 3, 5, 2}, 3 + 1.5 + 1.2 + 2 + 0.2, "marginal profit ≤ 0", nil, 0},
		// A coupon paid on redemption: high-propensity customers cost more.
		{"redemption cost", Budget{Cost: 0.5, RedeemCost: 5, Value: 10}, []int64{1, 5}, 0.5 + 0.2, "marginal profit ≤ 0", []int64{2, 4}, (5.9 - 0.5*6 - 5*(0.4+0.9+0.2+0.5+0.1+0.3)) * 2 / 6},
		{"too expensive", Budget{Cost: 100, Value: 10}, nil, 0, "marginal profit ≤ 0 after 0", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Target(ps, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, i := range got.Uplift.Chosen {
				ids = append(ids, ps[i].Customer)
			}
			if !slices.Equal(ids, tc.chosen) || math.Abs(got.Uplift.Profit-tc.profit) > 1e-9 || !strings.Contains(got.StopReason, tc.stop) {
				t.Fatalf("chose %v profit %v (%s), want %v profit %v (%s)", ids, got.Uplift.Profit, got.StopReason, tc.chosen, tc.profit, tc.stop)
			}
			if tc.propSet != nil {
				var pids []int64
				for _, i := range got.Propensity.Chosen {
					pids = append(pids, ps[i].Customer)
				}
				if !slices.Equal(pids, tc.propSet) || math.Abs(got.Random.Profit-tc.randProf) > 1e-9 {
					t.Fatalf("propensity chose %v, random profit %v; want %v, %v", pids, got.Random.Profit, tc.propSet, tc.randProf)
				}
				if got.Uplift.Profit < got.Propensity.Profit || got.Uplift.Profit < got.Random.Profit {
					t.Fatalf("uplift plan %v worse than propensity %v or random %v", got.Uplift.Profit, got.Propensity.Profit, got.Random.Profit)
				}
			}
		})
	}
	for _, b := range []Budget{{Cost: -1, Value: 1}, {Cost: 1, Value: 0}, {Cost: 1, Value: 1, Limit: -5}, {Cost: math.NaN(), Value: 1}, {Cost: 1, RedeemCost: -1, Value: 1}} {
		if _, err := Target(ps, b); err == nil {
			t.Errorf("budget %+v accepted", b)
		}
	}
}

func TestArbitrate(t *testing.T) {
	bids := []Bid{
		{Campaign: "spring", Uplift: 0.01, Value: 50, Cost: 0.2, Arrival: 0}, // 0.3
		{Campaign: "winback", Uplift: 0.10, Value: 40, Cost: 1, Arrival: 1},  // 3
		{Campaign: "vip", Uplift: 0.30, Value: 30, Cost: 1, Arrival: 2, Ineligible: "no e-mail consent"},
		{Campaign: "clearance", Uplift: -0.05, Value: 20, Cost: 0.1, Arrival: 3}, // −1.1
		{Campaign: "news", Uplift: 0.04, Value: 50, Cost: 0.5, Arrival: 4},       // 1.5
	}
	d := Arbitrate(42, 1, bids)
	if !slices.Equal(d.Chosen, []string{"winback"}) {
		t.Fatalf("chosen %v, want [winback]", d.Chosen)
	}
	order := []string{"winback", "news", "spring", "clearance", "vip"}
	reasons := []string{"chosen: rank 1", "contact cap of 1 reached", "contact cap of 1 reached", "≤ 0", "not eligible: no e-mail consent"}
	for i, c := range d.Candidates {
		if c.Campaign != order[i] || !strings.Contains(c.Reason, reasons[i]) {
			t.Errorf("candidate %d: %s %q, want %s %q", i, c.Campaign, c.Reason, order[i], reasons[i])
		}
	}
	if got := FirstCome(1, bids); !slices.Equal(got, []string{"spring"}) {
		t.Errorf("first come %v", got)
	}
	if d := Arbitrate(42, 3, bids); !slices.Equal(d.Chosen, []string{"winback", "news", "spring"}) {
		t.Errorf("cap 3: %v", d.Chosen)
	}
	if d := Arbitrate(42, 0, bids); len(d.Chosen) != 0 || !strings.Contains(d.Summary, "cap reached") {
		t.Errorf("cap 0: %+v", d)
	}
	if d := Arbitrate(42, 2, nil); len(d.Chosen) != 0 || d.Summary != "no campaign bid for this customer" {
		t.Errorf("no bids: %+v", d)
	}
}
