package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The predictive models end to end: fit CLV and churn over a synthetic
// shop, score them into the features, tag with them, and serve them.
func TestModelCommandsAndAPI(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "demo", "--no-serve", "--customers", "800", "--seed", "3", "--data-dir", data)

	var fit struct {
		Customers *int                `json:"customers"`
		BGNBD     map[string]*float64 `json:"bgnbd"`
		GG        map[string]*float64 `json:"gamma_gamma"`
		Notes     []string            `json:"notes"`
	}
	out := mustRun(t, "model", "clv", "fit", "--time-unit", "week", "--json", "--data-dir", data)
	if err := json.Unmarshal([]byte(out), &fit); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if fit.Customers == nil || *fit.Customers < 300 || len(fit.BGNBD) != 5 || len(fit.GG) != 3 {
		t.Fatalf("clv fit --json: %s", out)
	}
	for _, k := range []string{"r", "alpha", "a", "b", "log_likelihood"} {
		if fit.BGNBD[k] == nil {
			t.Errorf("bgnbd.%s missing: %s", k, out)
		}
	}
	r := run(t, "model", "clv", "fit", "--time-unit", "fortnight", "--data-dir", data)
	if r.code != 2 || !strings.Contains(r.stderr, "day or week") {
		t.Errorf("bad time unit: exit %d, %q", r.code, r.stderr)
	}
	r = run(t, "model", "clv", "fit", "--calibration-end", "1999-01-01", "--data-dir", data)
	if r.code != 1 || !strings.Contains(r.stderr, "before the first order") {
		t.Errorf("early calibration end: exit %d, %q", r.code, r.stderr)
	}
	out = mustRun(t, "model", "churn", "train", "--json", "--data-dir", data)
	if !strings.Contains(out, `"training_window"`) || !strings.Contains(out, `"recency_baseline"`) {
		t.Errorf("churn train --json: %s", out)
	}
	ls := mustRun(t, "model", "list", "--data-dir", data)
	if !strings.Contains(ls, "clv") || !strings.Contains(ls, "churn") || !strings.Contains(ls, "recommend  als") ||
		!strings.Contains(ls, "evaluation: time split at ") || !strings.Contains(ls, "NDCG@10") || !strings.Contains(ls, "popularity") {
		t.Errorf("model list: %s", ls)
	}
	// the demo trained the recommender with its held-out evaluation
	var listed map[string]json.RawMessage
	if err := json.Unmarshal([]byte(mustRun(t, "model", "list", "--json", "--data-dir", data)), &listed); err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Kind       string
		Evaluation *struct {
			Protocol          string
			K                 int
			Model, Popularity struct{ K, Users int }
		}
	}
	if err := json.Unmarshal(listed["recommend"], &rec); err != nil || rec.Evaluation == nil || rec.Evaluation.Protocol != "time" ||
		rec.Evaluation.K != 10 || rec.Evaluation.Model.Users == 0 || rec.Evaluation.Popularity.Users != rec.Evaluation.Model.Users {
		t.Errorf("model list --json: recommend %s (%v)", listed["recommend"], err)
	}
	mustRun(t, "features", "compute", "--data-dir", data)
	var p struct {
		Intel struct {
			Features map[string]any `json:"features"`
		} `json:"intelligence"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "customer", "show", "1", "--json", "--data-dir", data)), &p); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Intel.Features["p_alive"]; !ok {
		t.Errorf("customer 1 has no p_alive feature: %v", p.Intel.Features)
	}
	if n := strings.TrimSpace(mustRun(t, "segment", "count", "known(churn_probability) and known(clv)", "--data-dir", data)); n == "0" || n == "" {
		t.Errorf("customers with churn_probability and clv: %q", n)
	}
	tags := mustRun(t, "tag", "list", "--data-dir", data)
	if !strings.Contains(tags, "high_churn_risk") {
		t.Errorf("tag list lacks high_churn_risk:\n%s", tags)
	}

	// A labelled outside table: train, score in order, and the errors.
	csv := "id,plan,usage,left\n"
	for i := range 300 {
		plan, left := []string{"a", "b", "c"}[i%3], "no"
		if i%3 == 0 && i%2 == 0 || i%7 == 0 {
			left = "yes"
		}
		csv += strings.Join([]string{"u" + strconv.Itoa(i), plan, strconv.Itoa(i % 17), left}, ",") + "\n"
	}
	in := writeFile(t, dir, "labelled.csv", csv)
	model := filepath.Join(dir, "churn-model.json")
	mustRun(t, "model", "churn", "train", "--data", in, "--label", "left=yes", "--id", "id", "--out", model)
	scores := filepath.Join(dir, "scores.csv")
	mustRun(t, "model", "churn", "score", "--model", model, "--data", in, "--out", scores)
	b, _ := os.ReadFile(scores)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 301 || lines[0] != "id,churn_probability" || !strings.HasPrefix(lines[1], "u0,") || !strings.HasPrefix(lines[300], "u299,") {
		t.Errorf("scores: %d lines, %q … %q", len(lines), lines[0], lines[len(lines)-1])
	}
	r = run(t, "model", "churn", "train", "--data", in, "--label", "gone=yes", "--id", "id", "--out", model)
	if r.code != 1 || !strings.Contains(r.stderr, `no label column "gone"`) {
		t.Errorf("missing label column: exit %d, %q", r.code, r.stderr)
	}
	r = run(t, "model", "churn", "eval", "--data", in, "--label", "left=YES", "--id", "id")
	if r.code != 1 || !strings.Contains(r.stderr, `found "no" (`) {
		t.Errorf("label value never found: exit %d, %q", r.code, r.stderr)
	}
	ev := mustRun(t, "model", "churn", "eval", "--data", in, "--label", "left=yes", "--id", "id", "--folds", "3", "--json")
	if !strings.Contains(ev, `"fold_auc"`) {
		t.Errorf("eval --json: %s", ev)
	}

	// The API.
	admin := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "admin", "--data-dir", data))
	analyst := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "analyst", "--data-dir", data))
	url, _, stop := startServe(t, data)
	defer stop()
	// GET /v1/models carries the recommendation model in service, as the
	// file's header lists it
	code, body := call(t, "GET", url+"/v1/models", analyst, "")
	var served map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &served); code != 200 || err != nil || string(served["recommend"]) == "" {
		t.Fatalf("GET /v1/models: %d %s", code, body)
	}
	var inService, inFile any
	json.Unmarshal(served["recommend"], &inService)
	json.Unmarshal(listed["recommend"], &inFile)
	if !reflect.DeepEqual(inService, inFile) {
		t.Errorf("GET /v1/models recommend:\n%s\nmodel list --json:\n%s", served["recommend"], listed["recommend"])
	}
	for _, tt := range []struct {
		name, method, path, key, body string
		code                          int
		want                          string
	}{
		{"models", "GET", "/v1/models", analyst, "", 200, `"bgnbd"`},
		{"analyst may not fit", "POST", "/v1/models/clv/fit", analyst, "", 403, ""},
		{"fit", "POST", "/v1/models/clv/fit", admin, `{"time_unit":"day"}`, 200, `"gamma_gamma"`},
		{"bad date", "POST", "/v1/models/clv/fit", admin, `{"calibration_end":"June"}`, 400, "calibration_end"},
		{"too early", "POST", "/v1/models/clv/fit", admin, `{"calibration_end":"1999-01-01"}`, 422, "before the first order"},
		{"predictions", "GET", "/v1/customers/1/predictions", analyst, "", 200, `"p_alive":`},
		{"unknown customer", "GET", "/v1/customers/999999/predictions", analyst, "", 404, "no customer"},
	} {
		code, body := call(t, tt.method, url+tt.path, tt.key, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %s %s: %d %s; want %d with %q", tt.name, tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}
