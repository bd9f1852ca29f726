package uplift_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
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
// true uplift would, and beats propensity and random targeting — for four
// offers, one of them (flash) with a nonlinear truth.
func TestTargetingOnKnownTruth(t *testing.T) {
	for _, o := range []sim.Offer{sim.Discount, sim.NewProduct, sim.WinBack, sim.Flash} {
		t.Run(o.Name, func(t *testing.T) { testTargeting(t, o) })
	}
}

func testTargeting(t *testing.T, o sim.Offer) {
	train, _ := simulated(t, 30000, 1, o)
	test, truth := simulated(t, 30000, 99, o)
	oracle := topShare(truth, truth, 0.2)
	var mean float64
	for _, u := range truth {
		mean += u
	}
	random := 0.2 * mean
	kinds := uplift.Kinds
	if o.Name == sim.Discount.Name || o.Name == sim.Flash.Name {
		kinds = append([]string{uplift.Auto}, kinds...) // auto is slow: two offers are enough
	}
	for _, kind := range kinds {
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
			// The flash offer's truth has an interaction (SMS × age band) that
			// no linear model represents: only the forest, and auto choosing
			// it, are held to the target there.
			linearMiss := o.Niche != 0 && (m.Kind == uplift.TwoModel || m.Kind == uplift.ClassTransform)
			if got < 0.8*oracle && !linearMiss {
				t.Errorf("uplift targeting recovers %.1f%% of the oracle's incremental conversions, want ≥ 80%%", 100*got/oracle)
			}
			if got <= prop || got <= random {
				t.Errorf("uplift targeting %.0f does not beat propensity %.0f and random %.0f", got, prop, random)
			}
		})
	}
}

func TestModelRoundTripAndDeterminism(t *testing.T) {
	train, _ := simulated(t, 6000, 3, sim.Discount)
	test, _ := simulated(t, 500, 4, sim.Discount)
	for _, kind := range uplift.Kinds {
		t.Run(kind, func(t *testing.T) {
			opt := uplift.Options{Kind: kind, Seed: 9}
			m, err := uplift.Train(context.Background(), train, spec, opt)
			if err != nil {
				t.Fatal(err)
			}
			m2, err := uplift.Train(context.Background(), train, spec, opt)
			if err != nil {
				t.Fatal(err)
			}
			var a, b bytes.Buffer
			if err := m.Write(&a); err != nil {
				t.Fatal(err)
			}
			m2.Write(&b)
			if a.String() != b.String() {
				t.Fatal("same data and seed, different models")
			}
			r, err := uplift.Read(&a)
			if err != nil {
				t.Fatal(err)
			}
			s1, err := m.Score(context.Background(), test)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := r.Score(context.Background(), test)
			if err != nil {
				t.Fatal(err)
			}
			if len(s1.Uplift) != test.Rows() {
				t.Fatalf("%d scores for %d rows", len(s1.Uplift), test.Rows())
			}
			for i := range s1.Uplift {
				if s1.Uplift[i] != s2.Uplift[i] || s1.Propensity[i] != s2.Propensity[i] {
					t.Fatalf("row %d: %v vs %v after round trip", i, s1.Uplift[i], s2.Uplift[i])
				}
				if s1.Uplift[i] < -1 || s1.Uplift[i] > 1 {
					t.Fatalf("row %d: uplift %v out of [−1, 1]", i, s1.Uplift[i])
				}
			}
			if got := m.Spec.Features; slices.Contains(got, "revenue") || slices.Contains(got, "customer_id") || len(got) != 10 {
				t.Fatalf("features %v", got)
			}
		})
	}
	if _, err := uplift.Read(strings.NewReader(`{"format":1,"kind":"two-model","treated":{"w":[1]}}`)); err == nil {
		t.Fatal("incomplete model accepted")
	}
	if _, err := uplift.Train(context.Background(), train, uplift.Spec{TreatmentCol: "treatment", Treatment: "treatment", Control: "control", Outcome: "converted", Exclude: []string{"revenue"}}, uplift.Options{Kind: "magic"}); err == nil || !strings.Contains(err.Error(), "unknown model kind") {
		t.Fatalf("bad kind: %v", err)
	}
}

// Scoring data lacking a feature of the model names the column.
func TestScoreMissingColumn(t *testing.T) {
	train, _ := simulated(t, 2000, 3, sim.Discount)
	m, err := uplift.Train(context.Background(), train, spec, uplift.Options{Kind: uplift.TwoModel})
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := uplift.ReadCSV(strings.NewReader("customer_id,recency_days\n1,3\n"), "x.csv")
	if _, err := m.Score(context.Background(), tab); err == nil || !strings.Contains(err.Error(), `feature column "frequency" of the model not found`) {
		t.Fatalf("got %v", err)
	}
}

func TestTrainCancelled(t *testing.T) {
	train, _ := simulated(t, 2000, 3, sim.Discount)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := uplift.Train(ctx, train, spec, uplift.Options{}); err == nil {
		t.Fatal("cancelled training succeeded")
	}
}

func TestEvaluate(t *testing.T) {
	tab, _ := simulated(t, 20000, 8, sim.Discount)
	ev, err := uplift.Evaluate(context.Background(), tab, spec, uplift.Options{Seed: 1}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if ev.TestRows < 5900 || ev.TestRows > 6100 || ev.TrainRows+ev.TestRows != 20000 {
		t.Fatalf("split %d/%d", ev.TrainRows, ev.TestRows)
	}
	got := map[string]uplift.Result{}
	for _, r := range ev.Results {
		got[r.Approach] = r
		t.Logf("%-16s qini %.4f auuc %.4f at20 %.4f %s", r.Approach, r.Coefficient, r.AUUC, r.At20, r.Chosen)
	}
	for _, k := range append([]string{uplift.Auto}, uplift.Kinds...) {
		if got[k].Coefficient <= 2*got["propensity"].Coefficient || got[k].Coefficient <= 0.01 {
			t.Errorf("%s: Qini %.4f, propensity %.4f", k, got[k].Coefficient, got["propensity"].Coefficient)
		}
	}
	if r := got["random"]; r.Coefficient != 0 {
		t.Errorf("random baseline Qini %v, want 0", r.Coefficient)
	}
}
