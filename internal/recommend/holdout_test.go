package recommend

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// timedShop is a year of purchases of 400 customers over 60 items in two
// departments, one to three a month each, starting 2024-01-01.
func timedShop() *Dataset {
	rng := rand.New(rand.NewPCG(5, 6))
	d := NewDataset()
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for u := range 400 {
		base := (u % 2) * 30
		for day := rng.IntN(20); day < 365; day += 10 + rng.IntN(30) {
			i := base + int(rng.ExpFloat64()*6)%30
			d.Add(fmt.Sprintf("c%d", u), fmt.Sprintf("sku%d", i), t0.AddDate(0, 0, day).Add(time.Duration(rng.IntN(86400))*time.Second).Unix())
		}
	}
	return d
}

func smallALS() Config {
	c := DefaultConfig()
	c.ALS.Factors, c.ALS.Iterations = 8, 5
	return c
}

// TestHoldoutTimeSplit checks the kept figures against a separate run of
// the evaluator over the same split: the time split at the UTC midnight 30
// days before the last purchase, at most MaxUsers users sampled, the model
// trained on the part before the cutoff, and popularity on the same.
func TestHoldoutTimeSplit(t *testing.T) {
	ctx := context.Background()
	d := timedShop()
	c := smallALS()
	o := EvalOptions{MaxUsers: 150, Seed: 3}
	m, err := TrainEvaluated(ctx, d, c, o)
	if err != nil {
		t.Fatal(err)
	}
	ev := m.Eval
	if ev == nil {
		t.Fatalf("no evaluation: %q", m.NoEval)
	}
	var last int64
	for _, x := range d.T {
		last = max(last, x)
	}
	cut := time.Unix(last, 0).UTC().AddDate(0, 0, -30).Truncate(24 * time.Hour)
	if ev.Protocol != ProtocolTime || !ev.Cutoff.Equal(cut) || ev.K != 10 || ev.WindowDays != 30 || ev.Note != "" {
		t.Fatalf("protocol %s cutoff %s (want %s) k %d window %g note %q", ev.Protocol, ev.Cutoff, cut, ev.K, ev.WindowDays, ev.Note)
	}
	s, err := TimeSplit(d, cut.Unix())
	if err != nil {
		t.Fatal(err)
	}
	if ev.Testable != s.Tested() || ev.Testable <= 150 || ev.TrainInteractions != s.Train.NNZ() {
		t.Fatalf("testable %d (split %d), train %d (split %d)", ev.Testable, s.Tested(), ev.TrainInteractions, s.Train.NNZ())
	}
	s.SampleUsers(150, 3)
	hc := c
	hc.SkipKNN = true
	fit, err := Fit(ctx, s.Train, hc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Evaluate(ctx, fit, s, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	pop, _ := Evaluate(ctx, FitPopularity(s.Train), s, 10, 1)
	if ev.Model != want || ev.Popularity != pop || want.Users != 150 {
		t.Fatalf("kept\n %+v\n %+v\nseparate run\n %+v\n %+v", ev.Model, ev.Popularity, want, pop)
	}
	if ev.Model.NDCG <= ev.Popularity.NDCG {
		t.Errorf("NDCG %.4f not above popularity's %.4f on a shop of two departments", ev.Model.NDCG, ev.Popularity.NDCG)
	}
	if ev.Algorithm != ModelALS || ev.Params["factors"] != 8 || ev.Params["iterations"] != 5 || ev.TrainSeconds <= 0 || ev.EvalSeconds <= 0 {
		t.Errorf("algorithm %s params %v, seconds %g %g", ev.Algorithm, ev.Params, ev.TrainSeconds, ev.EvalSeconds)
	}
	// The served model is trained on everything.
	if m.Seen.NNZ() <= s.Train.NNZ() || m.Interactions != d.Len() || m.Fit.KNN == nil {
		t.Errorf("served model: %d pairs (training part %d), %d interactions, kNN %v", m.Seen.NNZ(), s.Train.NNZ(), m.Interactions, m.Fit.KNN != nil)
	}
}

// TestHoldoutFallsBack: a history shorter than the window is evaluated by
// leave-one-out and says why; too few users leave no evaluation; Skip
// evaluates nothing.
func TestHoldoutFallsBack(t *testing.T) {
	ctx := context.Background()
	d := NewDataset()
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	for u := range 60 {
		for k := range 4 {
			d.Add(fmt.Sprintf("c%d", u), fmt.Sprintf("sku%d", (u*3+k*7)%25), t0+int64(u*3600+k))
		}
	}
	m, err := TrainEvaluated(ctx, d, smallALS(), EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Eval == nil || m.Eval.Protocol != ProtocolLOO || !strings.Contains(m.Eval.Note, "leave-one-out instead") || m.Eval.Model.Users != 60 {
		t.Fatalf("evaluation %+v, no eval %q", m.Eval, m.NoEval)
	}
	s := LeaveOneOut(d, 1)
	c := smallALS()
	c.SkipKNN = true
	fit, _ := Fit(ctx, s.Train, c)
	if want, _ := Evaluate(ctx, fit, s, 10, 2); want != m.Eval.Model {
		t.Errorf("kept %+v, separate run %+v", m.Eval.Model, want)
	}

	tiny := NewDataset()
	for u := range 5 {
		tiny.Add(fmt.Sprint(u), "a", 1)
		tiny.Add(fmt.Sprint(u), "b", 2)
	}
	m, err = TrainEvaluated(ctx, tiny, smallALS(), EvalOptions{})
	if err != nil || m.Eval != nil || !strings.HasPrefix(m.NoEval, NoEvalUntestable+": ") || !strings.Contains(m.NoEval, "fewer than 20") {
		t.Fatalf("tiny: %v, %+v, %q", err, m.Eval, m.NoEval)
	}
	m, err = TrainEvaluated(ctx, d, smallALS(), EvalOptions{Skip: true})
	if err != nil || m.Eval != nil || m.NoEval != NoEvalSkipped {
		t.Fatalf("skip: %v, %+v, %q", err, m.Eval, m.NoEval)
	}
}

// TestModelFileKeepsEvaluation writes a model with its evaluation and
// reads it back, whole and header only; the header is the file's second
// line, plain JSON.
func TestModelFileKeepsEvaluation(t *testing.T) {
	ctx := context.Background()
	m, err := TrainEvaluated(ctx, timedShop(), smallALS(), EvalOptions{MaxUsers: 100})
	if err != nil || m.Eval == nil {
		t.Fatalf("%v %+v", err, m)
	}
	path := filepath.Join(t.TempDir(), "recommend.model")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Eval, m.Eval) || got.Interactions != m.Interactions || got.TrainSeconds != m.TrainSeconds {
		t.Fatalf("read back\n %+v\nwrote\n %+v", got.Eval, m.Eval)
	}
	h, err := LoadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	// JSON numbers come back as float64
	wantH := m.Header()
	b, _ := json.Marshal(wantH)
	var want Header
	_ = json.Unmarshal(b, &want)
	if !reflect.DeepEqual(h, want) || h.Format != 2 || h.Evaluation.Model != m.Eval.Model || h.Kind != ModelALS {
		t.Fatalf("header\n %+v\nwant\n %+v", h, want)
	}
	f, _ := os.Open(path)
	defer f.Close()
	br := bufio.NewReader(f)
	first, _ := br.ReadString('\n')
	second, _ := br.ReadString('\n')
	var line map[string]any
	if first != "sagitta-recommend-model 2\n" || json.Unmarshal([]byte(second), &line) != nil || line["evaluation"] == nil {
		t.Errorf("file starts %q %q", first, second[:min(80, len(second))])
	}
}

// TestOldModelFileLoads reads a file written by the build before
// evaluations were kept (format 1: magic line, then gob; generated by
// that build's Train, SetCatalogue, SetSegments and rules.Mine).
func TestOldModelFileLoads(t *testing.T) {
	const path = "testdata/model-format1.model"
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Users) != 30 || len(m.Items) != 12 || len(m.Rules) != 2 || m.Fit.Kind != ModelBlend || m.Eval != nil || m.NoEval != "" ||
		m.Category[0] == "" || m.SegmentAttr != "country" || !m.TrainedAt.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("old model: %d users, %d items, %d rules, kind %s, eval %+v", len(m.Users), len(m.Items), len(m.Rules), m.Fit.Kind, m.Eval)
	}
	svc := NewService(ServiceOptions{})
	svc.Swap(m)
	recs, err := svc.TopN(context.Background(), "1", 3, Filters{})
	if err != nil || len(recs) != 3 {
		t.Fatalf("old model serves %v %v", recs, err)
	}
	h, err := LoadHeader(path)
	if err != nil || h.Format != 1 || h.Evaluation != nil || h.Users != 30 || h.Rules != 2 || h.Params["factors"] != 4 {
		t.Fatalf("old header %+v %v", h, err)
	}
	// Written again, it is format 2 and still without an evaluation.
	out := filepath.Join(t.TempDir(), "m.model")
	if err := m.Save(out); err != nil {
		t.Fatal(err)
	}
	if h, err := LoadHeader(out); err != nil || h.Format != 2 || h.Evaluation != nil {
		t.Fatalf("rewritten %+v %v", h, err)
	}
}

func TestModelFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":      "",
		"other":      "sagitta-recommend-model 9\n",
		"badheader":  "sagitta-recommend-model 2\n{not json\n",
		"noheaderNL": "sagitta-recommend-model 2\n{}",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := LoadHeader(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: header error %v", name, err)
		}
		if _, err := Load(p); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

// TestEvaluateDeterministic: the figures do not depend on the number of
// workers (they are summed in user order).
func TestEvaluateDeterministic(t *testing.T) {
	ctx := context.Background()
	s := LeaveOneOut(timedShop(), 2)
	fit, err := Fit(ctx, s.Train, Config{Model: ModelItemKNN})
	if err != nil {
		t.Fatal(err)
	}
	one, _ := Evaluate(ctx, fit, s, 10, 1)
	for range 3 {
		if three, _ := Evaluate(ctx, fit, s, 10, 3); three != one {
			t.Fatalf("1 worker %+v, 3 workers %+v", one, three)
		}
	}
}
