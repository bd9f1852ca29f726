package predict

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/churn"
)

// Table is a CSV file read into text columns.
type Table struct {
	File  string
	Names []string
	Cols  [][]string
	Lines []int // the file line of each row
}

// ReadCSV reads a CSV file with a header line.
func ReadCSV(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read the header: %w", path, err)
	}
	t := &Table{File: path, Names: append([]string(nil), head...), Cols: make([][]string, len(head))}
	if len(t.Names) > 0 {
		t.Names[0] = strings.TrimPrefix(t.Names[0], "\ufeff")
	}
	seen := map[string]bool{}
	for _, n := range t.Names {
		if seen[n] {
			return nil, fmt.Errorf("%s: line 1: column %q appears twice", path, n)
		}
		seen[n] = true
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		for j := range t.Cols {
			t.Cols[j] = append(t.Cols[j], rec[j])
		}
		t.Lines = append(t.Lines, line)
	}
	if len(t.Lines) == 0 {
		return nil, fmt.Errorf("%s: no data rows", path)
	}
	return t, nil
}

func (t *Table) col(name string) ([]string, bool) {
	for j, n := range t.Names {
		if n == name {
			return t.Cols[j], true
		}
	}
	return nil, false
}

func (t *Table) rowName(i int) string { return fmt.Sprintf("%s:%d", t.File, t.Lines[i]) }

// CSVSpec says which columns of a CSV file are the label, the id and the
// excluded ones.
type CSVSpec struct {
	Label   string // COL=VALUE: rows whose COL equals VALUE are churners
	ID      string
	Exclude []string
}

// read reads a labelled CSV file into feature columns and labels.
func (s CSVSpec) read(path string) (names []string, raw [][]string, y []bool, err error) {
	t, err := ReadCSV(path)
	if err != nil {
		return nil, nil, nil, err
	}
	return s.labels(t)
}

// labels splits the table into feature columns and labels.
func (s CSVSpec) labels(t *Table) (names []string, raw [][]string, y []bool, err error) {
	col, val, ok := strings.Cut(s.Label, "=")
	if !ok || col == "" {
		return nil, nil, nil, fmt.Errorf("label %q: want COLUMN=VALUE, e.g. Churn=Yes", s.Label)
	}
	lab, ok := t.col(col)
	if !ok {
		return nil, nil, nil, fmt.Errorf("%s: no label column %q; the columns are %s", t.File, col, strings.Join(t.Names, ", "))
	}
	if _, ok := t.col(s.ID); !ok {
		return nil, nil, nil, fmt.Errorf("%s: no id column %q; the columns are %s", t.File, s.ID, strings.Join(t.Names, ", "))
	}
	counts := map[string]int{}
	y = make([]bool, len(lab))
	for i, v := range lab {
		v = strings.TrimSpace(v)
		counts[v]++
		y[i] = v == val
	}
	if counts[val] == 0 {
		var vals []string
		for v, n := range counts {
			vals = append(vals, fmt.Sprintf("%q (%d rows)", v, n))
		}
		sort.Strings(vals)
		if len(vals) > 20 {
			vals = append(vals[:20], "…")
		}
		return nil, nil, nil, fmt.Errorf("%s: label value %q never occurs in column %q; found %s", t.File, val, col, strings.Join(vals, ", "))
	}
	if counts[val] == len(lab) {
		return nil, nil, nil, fmt.Errorf("%s: every row has %s=%q: the labels need both classes", t.File, col, val)
	}
	skip := map[string]bool{col: true, s.ID: true}
	for _, e := range s.Exclude {
		if _, ok := t.col(e); !ok {
			return nil, nil, nil, fmt.Errorf("%s: --exclude: no column %q; the columns are %s", t.File, e, strings.Join(t.Names, ", "))
		}
		skip[e] = true
	}
	for j, n := range t.Names {
		if !skip[n] {
			names = append(names, n)
			raw = append(raw, t.Cols[j])
		}
	}
	if len(names) == 0 {
		return nil, nil, nil, fmt.Errorf("%s: no feature columns left", t.File)
	}
	return names, raw, y, nil
}

// ChurnFile is a churn model trained on a CSV file, as persisted.
type ChurnFile struct {
	Header
	Source   string            `json:"source"` // "csv" or "store"
	File     string            `json:"file,omitempty"`
	Label    string            `json:"label,omitempty"`
	ID       string            `json:"id,omitempty"`
	Rows     int               `json:"rows"`
	Positive int               `json:"positives"`
	Window   map[string]string `json:"training_window,omitempty"`
	Metrics  map[string]any    `json:"metrics"`
	Model    *churn.Model      `json:"model"`
}

// TrainChurnCSV trains a churn model on a labelled CSV file.
func TrainChurnCSV(ctx context.Context, path string, spec CSVSpec, o churn.Options, now time.Time) (*ChurnFile, error) {
	names, raw, y, err := spec.read(path)
	if err != nil {
		return nil, err
	}
	m, err := churn.Train(ctx, churn.InferCols(names, raw), y, o)
	if err != nil {
		return nil, fmt.Errorf("%s: train: %w", path, err)
	}
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	return &ChurnFile{
		Header: Header{Kind: "churn", Format: 1, Version: 1, TrainedAt: now.UTC().Format(time.RFC3339)},
		Source: "csv", File: path, Label: spec.Label, ID: spec.ID, Rows: len(y), Positive: pos,
		Metrics: map[string]any{"chosen": m.Kind, "inner_cv_auc": m.InnerAUC}, Model: m,
	}, nil
}

// SaveChurnFile writes a model file; LoadChurnFile reads one.
func SaveChurnFile(path string, f *ChurnFile) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func LoadChurnFile(path string) (*ChurnFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f ChurnFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: not a churn model file: %w", path, err)
	}
	if f.Kind != "churn" || f.Model == nil {
		return nil, fmt.Errorf("%s: not a churn model file (kind %q)", path, f.Kind)
	}
	return &f, nil
}

// ScoreChurnCSV scores every row of a CSV file and writes id,churn_probability
// rows in the input order to w.
func ScoreChurnCSV(f *ChurnFile, path string, w io.Writer) (int, error) {
	t, err := ReadCSV(path)
	if err != nil {
		return 0, err
	}
	ids, ok := t.col(f.ID)
	if !ok {
		return 0, fmt.Errorf("%s: no id column %q; the columns are %s", path, f.ID, strings.Join(t.Names, ", "))
	}
	cols, err := f.Model.ColsFor(t.Names, t.Cols, t.rowName)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	p, err := f.Model.Predict(cols)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "churn_probability"}); err != nil {
		return 0, err
	}
	for i, v := range p {
		if err := cw.Write([]string{ids[i], strconv.FormatFloat(v, 'f', 6, 64)}); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	return len(p), cw.Error()
}

// KindEval is the cross-validated quality of one model kind.
type KindEval struct {
	AUC     float64   `json:"auc"` // mean over folds
	FoldAUC []float64 `json:"fold_auc"`
	PRAUC   float64   `json:"pr_auc"` // pooled out-of-fold
	Lift    float64   `json:"top_decile_lift"`
	LogLoss float64   `json:"log_loss"`
}

// CVReport is a k-fold cross-validation.
type CVReport struct {
	Rows        int                 `json:"rows"`
	Positives   int                 `json:"positives"`
	Folds       int                 `json:"folds"`
	Seed        uint64              `json:"seed"`
	FoldsFrom   string              `json:"folds_from"`
	Models      map[string]KindEval `json:"models"`
	Chosen      KindEval            `json:"chosen"` // the kind each fold's inner CV chose
	Calibration []churn.CalBin      `json:"calibration"`
	Seconds     float64             `json:"seconds"`
}

// EvalChurnCSV cross-validates on a labelled CSV file: k stratified folds
// from seed, or the fold numbers (0..k−1, one line per data row) of
// foldsFile.
func EvalChurnCSV(ctx context.Context, path string, spec CSVSpec, k int, seed uint64, foldsFile string, o churn.Options) (*CVReport, error) {
	start := time.Now()
	names, raw, y, err := spec.read(path)
	if err != nil {
		return nil, err
	}
	var folds []int
	from := fmt.Sprintf("stratified, seed %d", seed)
	if foldsFile != "" {
		if folds, k, err = readFolds(foldsFile, len(y)); err != nil {
			return nil, err
		}
		from = foldsFile
	} else {
		pos := 0
		for _, v := range y {
			if v {
				pos++
			}
		}
		if k < 2 {
			return nil, fmt.Errorf("--folds %d: need at least 2", k)
		}
		if k > min(pos, len(y)-pos) {
			return nil, fmt.Errorf("--folds %d: more folds than the %d rows of the smaller class (%d churners of %d rows); every fold needs both", k, min(pos, len(y)-pos), pos, len(y))
		}
		folds = churn.StratifiedFolds(y, k, seed)
	}
	rep, err := CrossValidate(ctx, churn.InferCols(names, raw), y, folds, k, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rep.Seed, rep.FoldsFrom, rep.Seconds = seed, from, time.Since(start).Seconds()
	return rep, nil
}

// CrossValidate trains on all folds but one and scores that one, for each
// fold.
func CrossValidate(ctx context.Context, cols []churn.Col, y []bool, folds []int, k int, o churn.Options) (*CVReport, error) {
	n := len(y)
	rep := &CVReport{Rows: n, Folds: k, Models: map[string]KindEval{}}
	for _, v := range y {
		if v {
			rep.Positives++
		}
	}
	oof := map[string][]float64{"chosen": make([]float64, n)}
	fold := map[string][]float64{}
	for f := range k {
		var tr, va []int
		for i, g := range folds {
			if g == f {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
		if len(va) == 0 {
			return nil, fmt.Errorf("fold %d is empty", f)
		}
		ytr, yva := pickBool(y, tr), pickBool(y, va)
		m, err := churn.Train(ctx, churn.Subset(cols, tr), ytr, o)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		all, err := m.PredictAll(churn.Subset(cols, va))
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f, err)
		}
		all["chosen"] = all[m.Kind]
		for kind, p := range all {
			if oof[kind] == nil {
				oof[kind] = make([]float64, n)
			}
			for i, r := range va {
				oof[kind][r] = p[i]
			}
			fold[kind] = append(fold[kind], churn.AUC(p, yva))
		}
	}
	for kind, p := range oof {
		ev := churn.Evaluate(p, y)
		ke := KindEval{FoldAUC: fold[kind], PRAUC: ev.PRAUC, Lift: ev.Lift, LogLoss: ev.LogLoss}
		for _, a := range fold[kind] {
			ke.AUC += a / float64(len(fold[kind]))
		}
		if kind == "chosen" {
			rep.Chosen = ke
			rep.Calibration = ev.Calibration
			continue
		}
		rep.Models[kind] = ke
	}
	return rep, nil
}

func pickBool(y []bool, rows []int) []bool {
	out := make([]bool, len(rows))
	for i, r := range rows {
		out[i] = y[r]
	}
	return out
}

// readFolds reads one fold number per line.
func readFolds(path string, n int) ([]int, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	var folds []int
	k := 0
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		v, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil || v < 0 {
			return nil, 0, fmt.Errorf("%s:%d: %q is not a fold number", path, i+1, l)
		}
		folds = append(folds, v)
		k = max(k, v+1)
	}
	if len(folds) != n {
		return nil, 0, fmt.Errorf("%s: %d fold numbers for %d data rows", path, len(folds), n)
	}
	return folds, k, nil
}
