package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestUpliftCommands(t *testing.T) {
	dir := t.TempDir()
	data, truth, model, scores := filepath.Join(dir, "sim.csv"), filepath.Join(dir, "truth.csv"), filepath.Join(dir, "m.json"), filepath.Join(dir, "s.csv")
	if code, out, errs := runCLI(t, "uplift", "simulate", "--customers", "6000", "--out", data, "--truth", truth, "--seed", "3", "--json"); code != 0 || !strings.Contains(out, `"customers": 6000`) {
		t.Fatalf("simulate: %d %s %s", code, out, errs)
	}
	spec := []string{"--data", data, "--treatment-col", "treatment", "--treatment", "treatment", "--control", "control", "--outcome", "converted", "--id", "customer_id", "--exclude", "revenue"}
	code, out, errs := runCLI(t, append([]string{"uplift", "train", "--model", "two-model", "--out", model, "--json"}, spec...)...)
	if code != 0 {
		t.Fatalf("train: %d %s", code, errs)
	}
	var sum struct {
		Kind     string   `json:"kind"`
		Rows     int      `json:"rows"`
		Features []string `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Kind != "two-model" || sum.Rows != 6000 || len(sum.Features) != 10 {
		t.Fatalf("train summary %s (%v)", out, err)
	}
	if code, _, errs := runCLI(t, "uplift", "score", "--model", model, "--data", data, "--out", scores, "--id", "customer_id"); code != 0 {
		t.Fatalf("score: %d %s", code, errs)
	}
	f, _ := os.Open(scores)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 6001 || strings.Join(recs[0], ",") != "customer_id,uplift,propensity" || recs[1][0] != "1" || recs[6000][0] != "6000" {
		t.Fatalf("scores: %d rows, header %v, %v", len(recs), recs[0], err)
	}
	code, out, errs = runCLI(t, append([]string{"uplift", "eval", "--json"}, spec...)...)
	if code != 0 {
		t.Fatalf("eval: %d %s", code, errs)
	}
	var ev struct {
		Results []struct {
			Approach string  `json:"approach"`
			Qini     float64 `json:"qini_coefficient"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || len(ev.Results) != 6 {
		t.Fatalf("eval output %s (%v)", out, err)
	}
	code, out, errs = runCLI(t, "uplift", "target", "--model", model, "--data", data, "--cost", "2", "--value", "30", "--budget", "2400", "--json",
		"--out", filepath.Join(dir, "chosen.csv"), "--id", "customer_id")
	if code != 0 {
		t.Fatalf("target: %d %s", code, errs)
	}
	var plan struct {
		Uplift struct {
			Customers int
			Profit    float64 `json:"expected_profit"`
		} `json:"uplift"`
		Propensity struct {
			Profit float64 `json:"expected_profit"`
		} `json:"propensity"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.Uplift.Customers != 1200 || plan.Uplift.Profit <= plan.Propensity.Profit {
		t.Fatalf("target output %s (%v)", out, err)
	}
	code, out, errs = runCLI(t, "uplift", "report", "--data", data, "--treatment-col", "treatment", "--treatment", "treatment", "--control", "control",
		"--outcome", "converted", "--revenue", "revenue", "--json")
	if code != 0 || !strings.Contains(out, `"verdict": "win"`) {
		t.Fatalf("report: %d %s %s", code, out, errs)
	}
}

func TestUpliftBadInput(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	os.WriteFile(data, []byte("id,grp,buy,x\n1,A,1,3\n2,B,0,4\n3,C,1,5\n"), 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"uplift"}, 2, "missing command"},
		{[]string{"uplift", "fit"}, 2, `unknown command "fit"`},
		{[]string{"uplift", "train", "--data", data}, 2, "--treatment-col, --treatment, --control, --outcome required"},
		{[]string{"uplift", "train", "--data", data, "--treatment-col", "group", "--treatment", "A", "--control", "B", "--outcome", "buy", "--out", filepath.Join(dir, "m")}, 1,
			`treatment column "group" not found; the header has "id", "grp", "buy", "x"`},
		{[]string{"uplift", "train", "--data", data, "--treatment-col", "grp", "--treatment", "A", "--control", "B", "--outcome", "buy", "--out", filepath.Join(dir, "m")}, 1,
			`values found: "A"×1, "B"×1, "C"×1`},
		{[]string{"uplift", "train", "--data", data, "--treatment-col", "grp", "--treatment", "A", "--control", "B", "--outcome", "buy", "--model", "svm", "--out", "m"}, 2, `--model "svm"`},
		{[]string{"uplift", "score", "--model", filepath.Join(dir, "none.json"), "--data", data, "--out", "-"}, 1, "no such file"},
		{[]string{"uplift", "simulate", "--out", filepath.Join(dir, "s.csv"), "--offer", "lottery"}, 2, `--offer "lottery"`},
		{[]string{"uplift", "target", "--model", "m", "--data", data}, 2, "--cost"},
	}
	for _, tc := range tests {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
