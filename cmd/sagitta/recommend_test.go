package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRecommendCommands imports orders, mines rules and trains from the
// store, serves recommendations, and swaps in a retrained model while
// requests keep coming; then the file contract (train --interactions,
// topn) and the usage errors.
func TestRecommendCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	var b strings.Builder
	b.WriteString("order,customer,time,item,quantity,unit_price\n")
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for c := range 80 {
		for k := range 5 {
			item := (c%2)*20 + (c*3+k*7)%20
			fmt.Fprintf(&b, "o%d,c%d,%s,sku%d,1,2.5\n", c, c, t0.Add(time.Duration(c)*time.Hour).Format(time.RFC3339), item)
		}
		fmt.Fprintf(&b, "o%d,c%d,%s,bag,1,0.1\n", c, c, t0.Add(time.Duration(c)*time.Hour).Format(time.RFC3339))
	}
	orders := writeFile(t, dir, "orders.csv", b.String())
	if s := importJSON(t, "orders", "--source", "shop", "--data-dir", data, orders); s.Imported != 480 {
		t.Fatalf("imported %d lines", s.Imported)
	}

	var mined struct{ Rules, Itemsets, Baskets int }
	out := mustRun(t, "rules", "mine", "--from-store", "--data-dir", data, "--min-support", "0.05", "--min-confidence", "0.5", "--json")
	if err := json.Unmarshal([]byte(out), &mined); err != nil || mined.Baskets != 80 || mined.Rules == 0 {
		t.Fatalf("rules mine --from-store: %s (%v)", out, err)
	}
	if out := mustRun(t, "rules", "mine", "--from-store", "--data-dir", data, "--min-support", "0.05", "--min-confidence", "0.5", "--top", "3"); !strings.Contains(out, "→") && !strings.Contains(out, "bag") {
		t.Errorf("rules table: %s", out)
	}

	var trained struct {
		Users, Items, Rules int
		Out                 string
	}
	out = mustRun(t, "recommend", "train", "--from-store", "--data-dir", data, "--rules-support", "0.05", "--factors", "8", "--json")
	if err := json.Unmarshal([]byte(out), &trained); err != nil || trained.Users != 80 || trained.Rules == 0 {
		t.Fatalf("recommend train --from-store: %s (%v)", out, err)
	}
	// 80 hours of orders are too short a history for the 30-day time
	// split: the evaluation is a leave-one-out and says so
	var evaluated struct {
		Evaluation *struct {
			Protocol, Note string
			Model          struct{ Users int }
		}
		NoEvaluation string `json:"no_evaluation"`
	}
	if err := json.Unmarshal([]byte(out), &evaluated); err != nil || evaluated.Evaluation == nil || evaluated.Evaluation.Protocol != "loo" ||
		evaluated.Evaluation.Model.Users != 80 || !strings.Contains(evaluated.Evaluation.Note, "leave-one-out instead") {
		t.Fatalf("recommend train --from-store: evaluation %s (%v)", out, err)
	}
	if ls := mustRun(t, "model", "list", "--data-dir", data); !strings.Contains(ls, "evaluation: leave-one-out, 80 of 80 customers tested") {
		t.Errorf("model list: %s", ls)
	}
	if sh := mustRun(t, "recommend", "show", "--data-dir", data); !strings.Contains(sh, "als model (file format 2)") ||
		!strings.Contains(sh, "factors 8") || !strings.Contains(sh, "note: ") || !strings.Contains(sh, "popularity") {
		t.Errorf("recommend show: %s", sh)
	}
	out = mustRun(t, "recommend", "train", "--from-store", "--data-dir", data, "--rules-support", "0.05", "--factors", "8", "--no-eval", "--json")
	if err := json.Unmarshal([]byte(out), &evaluated); err != nil || evaluated.Evaluation != nil || evaluated.NoEvaluation != "skipped" {
		t.Fatalf("recommend train --no-eval: %s (%v)", out, err)
	}
	if ls := mustRun(t, "model", "list", "--data-dir", data); !strings.Contains(ls, "no evaluation: trained with --no-eval; run 'sagitta recommend train --from-store'") {
		t.Errorf("model list: %s", ls)
	}
	key := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "analyst", "--data-dir", data))

	url, logs, stop := startServe(t, data, "--model-poll", "100ms")
	defer stop()
	code, body := call(t, "GET", url+"/v1/customers/shop:c0/recommendations?n=5", key, "")
	if code != 200 || strings.Count(body, `"item"`) != 5 {
		t.Fatalf("recommendations: %d %s", code, body)
	}
	if code, body := call(t, "GET", url+"/v1/customers/nobody@example.com/recommendations", key, ""); code != 200 || !strings.Contains(body, `"customer":null`) {
		t.Errorf("unknown customer: %d %s", code, body)
	}
	if code, body := call(t, "POST", url+"/v1/recommendations/cart", key, `{"items":["sku1","sku8"],"n":3}`); code != 200 || strings.Count(body, `"item"`) != 3 {
		t.Errorf("cart: %d %s", code, body)
	}

	// Retrain while requests come in: every request is answered 200 and the
	// server swaps the new model in.
	var wg sync.WaitGroup
	stopReq := make(chan struct{})
	var mu sync.Mutex
	codes := map[int]int{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopReq:
				return
			default:
			}
			code, _ := call(t, "GET", url+"/v1/customers/shop:c1/recommendations?n=10", key, "")
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}
	}()
	mustRun(t, "recommend", "train", "--from-store", "--data-dir", data, "--rules-support", "0.05", "--factors", "4", "--json")
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logs.String(), "recommendation model loaded") < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(stopReq)
	wg.Wait()
	stop()
	if n := strings.Count(logs.String(), "recommendation model loaded"); n < 2 {
		t.Errorf("the retrained model was not swapped in (%d loads):\n%s", n, logs.String())
	}
	mu.Lock()
	if len(codes) != 1 || codes[200] == 0 {
		t.Errorf("answers during the swap: %v", codes)
	}
	mu.Unlock()

	// The file contract.
	inter := writeFile(t, dir, "inter.csv", "user,item,rating,timestamp\nu1,a,5,1\nu1,b,4,2\nu2,a,3,3\nu2,c,1,4\nu3,b,2,5\nu3,c,5,6\nu4,a,1,7\n")
	model := filepath.Join(dir, "m.model")
	mustRun(t, "recommend", "train", "--interactions", inter, "--out", model, "--factors", "2")
	top := filepath.Join(dir, "top.csv")
	mustRun(t, "recommend", "topn", "--model", model, "--n", "2", "--exclude-seen", "--out", top)
	gotb, err := os.ReadFile(top)
	if err != nil {
		t.Fatal(err)
	}
	got := string(gotb)
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if lines[0] != "user,item,rank" || len(lines) != 1+3+2 { // u1..u3 have 1 unseen item each, u4 has 2
		t.Errorf("topn output:\n%s", got)
	}
	if r := run(t, "recommend", "show", "--model", filepath.Join(dir, "none.model")); r.code != 1 || !strings.Contains(r.stderr, "no model at") {
		t.Errorf("recommend show of a missing file: exit %d, %s", r.code, r.stderr)
	}
	if r := run(t, "recommend", "show", "--model", inter); r.code != 1 || !strings.Contains(r.stderr, "not a sagitta recommendation model") {
		t.Errorf("recommend show of a CSV file: exit %d, %s", r.code, r.stderr)
	}
	for _, bad := range [][]string{
		{"rules", "mine", "--baskets", inter, "--min-support", "0", "--min-confidence", "0.5"},
		{"rules", "mine", "--baskets", inter, "--min-support", "0.1", "--min-confidence", "1.5"},
		{"rules", "mine", "--min-support", "0.1", "--min-confidence", "0.5"},
		{"recommend", "eval"},
		{"recommend", "eval", "--interactions", inter, "--protocol", "nope"},
		{"recommend", "topn"},
		{"recommend", "train", "--from-store", "--data-dir", data, "--eval-window", "0"},
		{"recommend", "train", "--from-store", "--data-dir", data, "--eval-users", "-1"},
	} {
		if r := run(t, bad...); r.code != 2 {
			t.Errorf("sagitta %s: exit %d, want 2 (%s)", strings.Join(bad, " "), r.code, r.stderr)
		}
	}
}
