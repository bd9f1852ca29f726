package uplift_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/measure/sim"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

var spec = uplift.Spec{TreatmentCol: "treatment", Treatment: "treatment", Control: "control", Outcome: "converted",
	Exclude: []string{"revenue"}, ID: "customer_id"}

// simulated returns a campaign table of n customers and the true uplift of
// each.
func simulated(t testing.TB, n int, seed uint64, o sim.Offer) (*uplift.Table, []float64) {
	t.Helper()
	cs := sim.Customers(n, seed)
	var buf bytes.Buffer
	if err := sim.WriteData(&buf, cs, sim.Run(cs, o, 0.5, seed+1)); err != nil {
		t.Fatal(err)
	}
	tab, err := uplift.ReadCSV(&buf, "sim.csv")
	if err != nil {
		t.Fatal(err)
	}
	truth := make([]float64, n)
	for i := range cs {
		truth[i] = o.TrueUplift(&cs[i])
	}
	return tab, truth
}

// topShare sums truth over the top share of rows ranked by score.
func topShare(score, truth []float64, share float64) float64 {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	k := int(share * float64(len(score)))
	var s float64
	for _, i := range idx[:k] {
		s += truth[i]
	}
	return s
}

// The target: on the simulated shop at a 20% contact budget, uplift
// targeting recovers ≥ 80% of the incremental conversions targeting by the
// true uplift would, and beats propensity and random targeting.
func TestTargetingOnKnownTruth(t *testing.T) {
	for _, o := range []sim.Offer{sim.Discount, sim.NewProduct, sim.WinBack} {
		t.Run(o.Name, func(t *testing.T) { testTargeting(t, o) })
	}
}

func testTargeting(t *testing.T, o sim.Offer) {
	train, _ := simulated(t, 40000, 1, o)
	test, truth := simulated(t, 40000, 99, o)
	oracle := topShare(truth, truth, 0.2)
	var mean float64
	for _, u := range truth {
		mean += u
	}
	random := 0.2 * mean
	for _, kind := range append([]string{uplift.Auto}, uplift.Kinds...) {
		t.Run(kind, func(t *testing.T) {
			m, err := uplift.Train(context.Background(), train, spec, uplift.Options{Kind: kind, Seed: 5})
			if err != nil {
				t.Fatal(err)
			}
			s, err := m.Score(context.Background(), test)
			if err != nil {
				t.Fatal(err)
			}
			got := topShare(s.Uplift, truth, 0.2)
			prop := topShare(s.Propensity, truth, 0.2)
			t.Logf("%s (chosen %s, cv %v): incremental conversions at 20%%: uplift %.0f = %.1f%% of oracle %.0f; propensity %.0f; random %.0f",
				kind, m.Kind, m.Selection, got, 100*got/oracle, oracle, prop, random)
			if got < 0.8*oracle {
				t.Errorf("uplift targeting recovers %.1f%% of the oracle's incremental conversions, want ≥ 80%%", 100*got/oracle)
			}
			if got <= prop || got <= random {
				t.Errorf("uplift targeting %.0f does not beat propensity %.0f and random %.0f", got, prop, random)
			}
		})
	}
}
