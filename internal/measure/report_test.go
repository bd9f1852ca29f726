package measure

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// arms builds outcomes: n1 treated with c1 conversions, n0 held out with c0.
func arms(n1, c1, n0, c0 int) []Outcome {
	var os []Outcome
	for i := range n1 {
		os = append(os, Outcome{Converted: i < c1, Cost: 1})
	}
	for i := range n0 {
		os = append(os, Outcome{Holdout: true, Converted: i < c0})
	}
	return os
}

func TestReportProportions(t *testing.T) {
	r, err := Summarize(arms(1000, 120, 1000, 100), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Reference values from scipy (Wald interval, pooled z-test).
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"uplift", float64(r.Uplift.Value), 0.02},
		{"low", float64(r.Uplift.Low), -0.007411482004452612},
		{"high", float64(r.Uplift.High), 0.047411482004452596},
		{"p", float64(r.Uplift.PValue), 0.1529177818639462},
		{"success", r.SuccessRate, 0.12},
		{"relative", float64(r.RelativeUplift), 0.2},
		{"incremental conversions", float64(r.IncrementalConversions), 20},
	} {
		if math.Abs(c.got-c.want) > 1e-8 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Verdict != Inconclusive || !strings.Contains(r.Reasons[0], "includes 0") {
		t.Errorf("verdict %s %v, want inconclusive because the interval includes 0", r.Verdict, r.Reasons)
	}
}

func TestReportWelch(t *testing.T) {
	a := []float64{0, 0, 10, 20, 0, 35.5, 0, 0, 12, 0}
	b := []float64{0, 5, 0, 0, 0, 0, 8, 0}
	var os []Outcome
	for _, v := range a {
		os = append(os, Outcome{Revenue: v, Converted: v > 0, Cost: 0.5})
	}
	for _, v := range b {
		os = append(os, Outcome{Holdout: true, Revenue: v, Converted: v > 0})
	}
	r, err := Summarize(os, Options{Margin: 0.4})
	if err != nil {
		t.Fatal(err)
	}
	// scipy.stats.ttest_ind(a, b, equal_var=False) and its interval.
	want := Estimate{6.125, -2.648746060589147, 14.898746060589147, 0.15176933018700395}
	got := r.RevenueUplift
	for _, p := range [][2]Float{{got.Value, want.Value}, {got.Low, want.Low}, {got.High, want.High}, {got.PValue, want.PValue}} {
		if math.Abs(float64(p[0]-p[1])) > 1e-6 {
			t.Fatalf("revenue uplift %+v, want %+v", got, want)
		}
	}
	if v := float64(r.IncrementalRevenue.Value); math.Abs(v-61.25) > 1e-9 {
		t.Errorf("incremental revenue %v, want 61.25", v)
	}
	// 0.4 × 61.25 − 10 × 0.5
	if v := float64(r.IncrementalProfit.Value); math.Abs(v-19.5) > 1e-9 {
		t.Errorf("incremental profit %v, want 19.5", v)
	}
	if r.Verdict != Inconclusive {
		t.Errorf("arms of 10 and 8: verdict %s, want inconclusive", r.Verdict)
	}
}

func TestReportVerdicts(t *testing.T) {
	tests := []struct {
		name           string
		n1, c1, n0, c0 int
		opt            Options
		verdict        string
		reason         string
	}{
		{"clear win", 10000, 1500, 10000, 1000, Options{}, Win, "above 0"},
		{"clear loss", 10000, 800, 10000, 1000, Options{}, Loss, "below 0"},
		{"no difference", 10000, 1010, 10000, 1000, Options{}, Inconclusive, "includes 0"},
		// Huge apparent effect, but the holdout is tiny: never a win.
		{"tiny holdout", 10000, 9000, 10, 0, Options{}, Inconclusive, "holdout arm has 10 customers"},
		{"tiny treatment", 5, 5, 10000, 100, Options{}, Inconclusive, "treatment arm has 5 customers"},
		{"too few events", 200, 3, 200, 0, Options{}, Inconclusive, "expects 1.5 conversions"},
		{"stricter confidence", 2000, 260, 2000, 210, Options{Confidence: 0.999}, Inconclusive, "includes 0"},
		{"same at 95%", 2000, 260, 2000, 210, Options{}, Win, "above 0"},
		{"custom min arm", 500, 150, 500, 50, Options{MinArm: 1000}, Inconclusive, "fewer than the 1000"},
		{"no holdout", 100, 10, 0, 0, Options{}, Inconclusive, "no holdout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Summarize(arms(tc.n1, tc.c1, tc.n0, tc.c0), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if r.Verdict != tc.verdict || !strings.Contains(strings.Join(r.Reasons, "; "), tc.reason) {
				t.Fatalf("verdict %s %q, want %s with %q", r.Verdict, r.Reasons, tc.verdict, tc.reason)
			}
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("report does not marshal: %v", err)
			}
		})
	}
}

func TestReportErrors(t *testing.T) {
	if _, err := Summarize(arms(0, 0, 10, 1), Options{}); err == nil {
		t.Error("report without treatment accepted")
	}
	for _, o := range []Options{{Confidence: 1}, {Confidence: -0.5}, {Margin: 2}} {
		if _, err := Summarize(arms(10, 1, 10, 1), o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

func TestReportKPIAndMerge(t *testing.T) {
	var a, b Tally
	var all []Outcome
	for i := range 4000 {
		o := Outcome{Holdout: i%2 == 1, KPIBefore: float64(i % 7)}
		o.KPIAfter = o.KPIBefore + 1
		if !o.Holdout {
			o.KPIAfter += 2 // the campaign adds 2 on top of the trend of 1
		}
		all = append(all, o)
		if i < 1500 {
			a.Add(o)
		} else {
			b.Add(o)
		}
	}
	a.Merge(b)
	r1, err := a.Report(Options{KPI: true, KPIName: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := Summarize(all, Options{KPI: true, KPIName: "orders"})
	if r1.KPI == nil || math.Abs(float64(r1.KPI.DiffInDiff.Value)-2) > 1e-9 {
		t.Fatalf("diff in diff %+v, want 2", r1.KPI)
	}
	if math.Abs(r1.KPI.TreatmentAfter-r1.KPI.TreatmentBefore-3) > 1e-9 || math.Abs(r1.KPI.HoldoutAfter-r1.KPI.HoldoutBefore-1) > 1e-9 {
		t.Fatalf("KPI before/after %+v", r1.KPI)
	}
	j1, _ := json.Marshal(r1)
	j2, _ := json.Marshal(r2)
	if string(j1) != string(j2) {
		t.Fatalf("merged tally differs:\n%s\n%s", j1, j2)
	}
}
