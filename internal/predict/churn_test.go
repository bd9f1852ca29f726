package predict

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/model/churn"
	"github.com/sagitta-dev/sagitta/internal/rule"
)

// The CSV contract: train on a labelled file, score another in order, with
// blanks, unseen categories and clear errors.
func TestChurnCSV(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("cust,plan,usage,charges,churned\n")
	plans := []string{"monthly", "yearly", "two-year"}
	for i := range 600 {
		plan := plans[i%3]
		usage := float64(i%50) / 10
		churned := "no"
		if plan == "monthly" && usage < 3 || i%11 == 0 {
			churned = "yes"
		}
		charges := "" // blanks, as in Telco's TotalCharges
		if i%13 != 0 {
			charges = " 12.5"
		}
		b.WriteString(strings.Join([]string{"c" + strconv.Itoa(i), plan, strconv.FormatFloat(usage, 'f', 1, 64), charges, churned}, ",") + "\n")
	}
	train := filepath.Join(dir, "train.csv")
	os.WriteFile(train, []byte(b.String()), 0o644)
	spec := CSVSpec{Label: "churned=yes", ID: "cust"}
	f, err := TrainChurnCSV(context.Background(), train, spec, churn.Options{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Model.Features) != 3 || f.Rows != 600 {
		t.Fatalf("features %+v, rows %d", f.Model.Features, f.Rows)
	}
	mf := filepath.Join(dir, "m.json")
	if err := SaveChurnFile(mf, f); err != nil {
		t.Fatal(err)
	}
	back, err := LoadChurnFile(mf)
	if err != nil {
		t.Fatal(err)
	}
	score := filepath.Join(dir, "score.csv")
	os.WriteFile(score, []byte("usage,cust,plan,charges,extra\n0.5,z1,monthly,,x\n4.5,z2,two-year,3,y\n1,z3,weekly,1,z\n"), 0o644)
	var out bytes.Buffer
	if n, err := ScoreChurnCSV(back, score, &out); err != nil || n != 3 {
		t.Fatalf("score: %d, %v", n, err)
	}
	recs, _ := csv.NewReader(&out).ReadAll()
	if len(recs) != 4 || strings.Join(recs[0], ",") != "id,churn_probability" || recs[1][0] != "z1" || recs[3][0] != "z3" {
		t.Fatalf("output %v", recs)
	}
	if !(recs[1][1] > recs[2][1]) {
		t.Errorf("a short-usage monthly customer (%s) should score above a two-year one (%s)", recs[1][1], recs[2][1])
	}
	for _, c := range []struct {
		name string
		spec CSVSpec
		want string
	}{
		{"no label column", CSVSpec{Label: "gone=yes", ID: "cust"}, `no label column "gone"; the columns are cust, plan`},
		{"label value never found", CSVSpec{Label: "churned=Yes", ID: "cust"}, `found "no" (`},
		{"no id", CSVSpec{Label: "churned=yes", ID: "id"}, `no id column "id"`},
		{"bad exclude", CSVSpec{Label: "churned=yes", ID: "cust", Exclude: []string{"nope"}}, `--exclude: no column "nope"`},
		{"bad label syntax", CSVSpec{Label: "churned", ID: "cust"}, "COLUMN=VALUE"},
	} {
		if _, err := TrainChurnCSV(context.Background(), train, c.spec, churn.Options{}, time.Now()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// A text where the model wants a number: file, line and column.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("cust,plan,usage,charges\nq1,monthly,1,2\nq2,monthly,lots,2\n"), 0o644)
	if _, err := ScoreChurnCSV(back, bad, &out); err == nil || !strings.Contains(err.Error(), "bad.csv:3") || !strings.Contains(err.Error(), `"usage"`) {
		t.Errorf("bad number: %v", err)
	}
	miss := filepath.Join(dir, "miss.csv")
	os.WriteFile(miss, []byte("cust,plan\nq1,monthly\n"), 0o644)
	if _, err := ScoreChurnCSV(back, miss, &out); err == nil || !strings.Contains(err.Error(), `"usage"`) {
		t.Errorf("missing column: %v", err)
	}
	// Cross-validation over the file.
	rep, err := EvalChurnCSV(context.Background(), train, spec, 3, 0, "", churn.Options{})
	if err != nil || rep.Folds != 3 || rep.Chosen.AUC < 0.7 || len(rep.Models) != 3 {
		t.Fatalf("eval %+v, %v", rep, err)
	}
}

// Churn over the shop's orders: a time split beats the recency baseline.
func TestShopChurnOnlineRetail(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Online Retail import")
	}
	st := importOnlineRetail(t)
	ctx := context.Background()
	o := ShopChurnOptions{Cutoff: day("2011-09-01"), Horizon: 90, DataDir: t.TempDir(), Churn: churn.Options{Trees: churn.TreeOptions{MaxTrees: 120}}}
	f, ev, err := TrainShopChurn(ctx, st, o) // evaluates on the time split, then trains at the cutoff
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"logistic", "gbdt", "blend", "chosen", "recency_baseline"} {
		m := ev.Models[k]
		t.Logf("%-17s AUC %.4f PR-AUC %.4f lift %.2f", k, m.AUC, m.PRAUC, m.Lift)
	}
	if ev.TrainCutoff != "2011-06-03" || ev.TestCutoff != "2011-09-01" {
		t.Errorf("windows %s / %s", ev.TrainCutoff, ev.TestCutoff)
	}
	if c, b := ev.Models["chosen"], ev.Models["recency_baseline"]; c.AUC < b.AUC+0.02 || c.AUC < 0.7 {
		t.Errorf("chosen AUC %.4f vs recency baseline %.4f", c.AUC, b.AUC)
	}
	back, err := LoadShopChurn(o.DataDir)
	if err != nil || back.Version != 1 || back.Window["cutoff"] != "2011-09-01" || back.Metrics["time_split"] == nil {
		t.Fatalf("saved %+v, %v", back, err)
	}
	if f.Rows != 3324 || f.Window["label_until"] != "2011-11-30" {
		t.Errorf("trained on %d buyers, labels to %s", f.Rows, f.Window["label_until"])
	}
	if _, err := EvalShopChurn(ctx, st, ShopChurnOptions{Cutoff: day("2011-11-01")}); err == nil || !strings.Contains(err.Error(), "not known yet") {
		t.Errorf("late cutoff: %v", err)
	}
}

// The prediction tags parse and compile against a table with the
// prediction columns.
func TestPredictionTags(t *testing.T) {
	defs := Tags()
	if len(defs) != 3 || defs[0].Name != "high_churn_risk" {
		t.Fatalf("tags %+v", defs)
	}
	tbl := &feature.Table{Num: map[string][]float64{}}
	EnsureColumns(tbl)
	for _, c := range Columns() {
		if _, ok := tbl.Column(c.Name); !ok || tbl.Num[c.Name] == nil {
			t.Errorf("column %s missing", c.Name)
		}
	}
	for _, d := range defs {
		if _, err := rule.Compile(d.Rule, rule.Schema{Columns: tbl.Cols}); err != nil {
			t.Errorf("tag %s: %v", d.Name, err)
		}
	}
}
