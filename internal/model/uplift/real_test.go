package uplift_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

// TestTelcoSemiSynthetic runs the contract on real customers: the IBM Telco
// churn table (7,043 customers, 19 real feature columns, categorical and
// numeric, blanks in TotalCharges). There is no real randomized campaign in
// ../shared, so the campaign is semi-synthetic: a randomized retention
// offer (seeded) on the real customers, whose control outcome is their real
// churn label, and whose treated outcome is that label changed by a hidden
// effect of their real features — month-to-month customers of under two
// years, more so when they pay over 70 a month, are kept with probability
// s(x); two-year-contract customers who would have stayed are provoked into
// leaving with probability d(x). The true effect of each customer on
// retention is therefore known: s(x) if the customer really churned, −d(x)
// if not.
func TestTelcoSemiSynthetic(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "shared", "data", "telco-churn", "Telco-Customer-Churn.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("real data not available (%v): this test needs ../shared/data/telco-churn", err)
	}
	defer f.Close()
	tab, err := uplift.ReadCSV(f, path)
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) []string {
		var vs []string
		for _, v := range tab.Cols[tab.Col(name)].All() {
			vs = append(vs, v)
		}
		return vs
	}
	contract, tenure, monthly, churn := col("Contract"), col("tenure"), col("MonthlyCharges"), col("Churn")
	n := tab.Rows()
	r := rand.New(rand.NewPCG(2026, 7))
	treatment, retained := make([]string, n), make([]string, n)
	truth := make([]float64, n)
	for i := range n {
		ten, _ := strconv.Atoi(tenure[i])
		mc, _ := strconv.ParseFloat(monthly[i], 64)
		var s, d float64
		if contract[i] == "Month-to-month" && ten < 24 {
			s = 0.45
			if mc > 70 {
				s = 0.8
			}
		}
		if contract[i] == "Two year" {
			d = 0.3
		}
		churned := churn[i] == "Yes"
		treated := r.Float64() < 0.5
		if churned {
			truth[i] = s
		} else {
			truth[i] = -d
		}
		if treated {
			treatment[i] = "offer"
			if churned && r.Float64() < s {
				churned = false
			} else if !churned && r.Float64() < d {
				churned = true
			}
		} else {
			treatment[i] = "none"
		}
		retained[i] = "0"
		if !churned {
			retained[i] = "1"
		}
	}
	if err := tab.AddColumn("treatment", treatment); err != nil {
		t.Fatal(err)
	}
	if err := tab.AddColumn("retained", retained); err != nil {
		t.Fatal(err)
	}
	spec := uplift.Spec{TreatmentCol: "treatment", Treatment: "offer", Control: "none", Outcome: "retained",
		ID: "customerID", Exclude: []string{"Churn"}}

	ev, err := uplift.Evaluate(context.Background(), tab, spec, uplift.Options{Seed: 3}, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string]uplift.Result{}
	for _, r := range ev.Results {
		res[r.Approach] = r
		t.Logf("%-16s qini %.4f auuc %.4f at20 %.4f %s", r.Approach, r.Coefficient, r.AUUC, r.At20, r.Chosen)
	}
	for _, k := range append([]string{uplift.Auto}, uplift.Kinds...) {
		if res[k].Coefficient < 0.01 || res[k].Coefficient <= res["propensity"].Coefficient {
			t.Errorf("%s: held-out Qini %.4f, want ≥ 0.01 and above propensity's %.4f", k, res[k].Coefficient, res["propensity"].Coefficient)
		}
	}

	// Targeting the top 20% of fresh scores by the model trained on all rows
	// gets a good share of what the true effects would give.
	m, err := uplift.Train(context.Background(), tab, spec, uplift.Options{Kind: uplift.TwoModel})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Score(context.Background(), tab)
	if err != nil {
		t.Fatal(err)
	}
	got, oracle := topShare(s.Uplift, truth, 0.2), topShare(truth, truth, 0.2)
	t.Logf("two-model top 20%%: %.0f of the oracle's %.0f customers kept (%.0f%%); features %v", got, oracle, 100*got/oracle, m.Spec.Features)
	if got < 0.6*oracle {
		t.Errorf("top 20%% by the model keeps %.0f, want ≥ 60%% of the oracle's %.0f", got, oracle)
	}
}
