package churn

import (
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
)

const telcoFile = "../../../../shared/data/telco-churn/Telco-Customer-Churn.csv"

// readTelco returns every column but customerID and Churn, and the labels.
func readTelco(t testing.TB) ([]Col, []bool) {
	t.Helper()
	path, _ := filepath.Abs(telcoFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("Telco churn data not found at %s (../shared/data is absent)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	var names []string
	var raw [][]string
	var y []bool
	for j, h := range head {
		if h == "customerID" {
			continue
		}
		if h == "Churn" {
			for _, r := range recs[1:] {
				y = append(y, r[j] == "Yes")
			}
			continue
		}
		col := make([]string, 0, len(recs)-1)
		for _, r := range recs[1:] {
			col = append(col, r[j])
		}
		names = append(names, h)
		raw = append(raw, col)
	}
	return InferCols(names, raw), y
}

// crossValidate returns the mean held-out AUC per kind over k stratified folds.
func crossValidate(t testing.TB, cols []Col, y []bool, folds []int, k int, o Options) map[string]float64 {
	mean := map[string]float64{}
	for f := range k {
		tr, va := split2(folds, f)
		m, err := Train(context.Background(), subset(cols, tr), pick(y, tr), o)
		if err != nil {
			t.Fatal(err)
		}
		all, err := m.PredictAll(subset(cols, va))
		if err != nil {
			t.Fatal(err)
		}
		yv := pick(y, va)
		for kind, p := range all {
			mean[kind] += AUC(p, yv) / float64(k)
		}
		mean["chosen"] += AUC(all[m.Kind], yv) / float64(k)
	}
	return mean
}

func TestTelcoChurn(t *testing.T) {
	cols, y := readTelco(t)
	if len(y) != 7043 {
		t.Fatalf("%d rows", len(y))
	}
	for _, c := range cols {
		if c.Name == "TotalCharges" && c.Num == nil {
			t.Fatal("TotalCharges (numbers with blanks) read as text")
		}
	}
	folds := StratifiedFolds(y, 5, 0)
	auc := crossValidate(t, cols, y, folds, 5, Options{Seed: 0})
	t.Logf("5-fold AUC: logistic %.4f, gbdt %.4f, blend %.4f, chosen %.4f", auc[KindLogistic], auc[KindGBDT], auc[KindBlend], auc["chosen"])
	if auc["chosen"] < 0.84 || math.IsNaN(auc["chosen"]) {
		t.Errorf("AUC of the chosen model %.4f < 0.84", auc["chosen"])
	}
}
