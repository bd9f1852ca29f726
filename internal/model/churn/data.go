package churn

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Col is one input column: numbers (NaN unknown) or text ("" unknown).
type Col struct {
	Name string
	Num  []float64 // nil for a text column
	Text []string
}

func (c Col) len() int {
	if c.Num != nil {
		return len(c.Num)
	}
	return len(c.Text)
}

// ErrData: the input columns do not fit the model or each other.
var ErrData = errors.New("invalid churn data")

// parseNum parses a number; blank (after trimming) is unknown.
func parseNum(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// InferCols turns raw text columns into columns: a column is numeric when
// every non-blank value is a number and at least one is; blanks are
// unknown. Text is trimmed.
func InferCols(names []string, raw [][]string) []Col {
	cols := make([]Col, len(names))
	for j, name := range names {
		cols[j] = Col{Name: name}
		num := make([]float64, len(raw[j]))
		isNum, any := true, false
		for i, s := range raw[j] {
			v, ok := parseNum(s)
			if !ok {
				isNum = false
				break
			}
			if !math.IsNaN(v) {
				any = true
			}
			num[i] = v
		}
		if isNum && any {
			cols[j].Num = num
			continue
		}
		txt := make([]string, len(raw[j]))
		for i, s := range raw[j] {
			txt[i] = strings.TrimSpace(s)
		}
		cols[j].Text = txt
	}
	return cols
}

// ColsFor reads raw text columns as the model's features expect them: a
// numeric feature must parse as numbers (blank: unknown). rowName(i) names
// row i in errors (e.g. "line 12"). Columns the model does not use are
// ignored; a missing feature column is an error.
func (m *Model) ColsFor(names []string, raw [][]string, rowName func(int) string) ([]Col, error) {
	idx := map[string]int{}
	for j, n := range names {
		idx[n] = j
	}
	var cols []Col
	for _, f := range m.Features {
		j, ok := idx[f.Name]
		if !ok {
			return nil, fmt.Errorf("%w: column %q, a feature of the model, is missing (have %s)", ErrData, f.Name, strings.Join(names, ", "))
		}
		c := Col{Name: f.Name}
		if f.Numeric {
			c.Num = make([]float64, len(raw[j]))
			for i, s := range raw[j] {
				v, ok := parseNum(s)
				if !ok {
					return nil, fmt.Errorf("%w: %s, column %q: %q is not a number", ErrData, rowName(i), f.Name, s)
				}
				c.Num[i] = v
			}
		} else {
			c.Text = make([]string, len(raw[j]))
			for i, s := range raw[j] {
				c.Text[i] = strings.TrimSpace(s)
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// Feature describes one input column of a model.
type Feature struct {
	Name    string   `json:"name"`
	Numeric bool     `json:"numeric"`
	Levels  []string `json:"levels,omitempty"` // categories seen in training, sorted
	Mean    float64  `json:"mean,omitempty"`
	Std     float64  `json:"std,omitempty"`
	// Min and Max of the training values: the logistic regression clips
	// numbers to them, so that a value outside what training saw does not
	// extrapolate without bound.
	Min     float64 `json:"min,omitempty"`
	Max     float64 `json:"max,omitempty"`
	Missing bool    `json:"missing,omitempty"` // training had unknown values
}

// maxLevels caps the categories of a text column; rarer ones count as unknown.
const maxLevels = 200

// describe learns the features of the training columns.
func describe(cols []Col) []Feature {
	fs := make([]Feature, len(cols))
	for j, c := range cols {
		f := Feature{Name: c.Name, Numeric: c.Num != nil}
		if f.Numeric {
			var s, ss, n float64
			f.Min, f.Max = math.Inf(1), math.Inf(-1)
			for _, v := range c.Num {
				if math.IsNaN(v) {
					f.Missing = true
					continue
				}
				s += v
				n++
				f.Min, f.Max = math.Min(f.Min, v), math.Max(f.Max, v)
			}
			if n == 0 {
				f.Min, f.Max = 0, 0
			}
			if n > 0 {
				f.Mean = s / n
			}
			for _, v := range c.Num {
				if !math.IsNaN(v) {
					ss += (v - f.Mean) * (v - f.Mean)
				}
			}
			if n > 1 {
				f.Std = math.Sqrt(ss / n)
			}
			if !(f.Std > 1e-9*math.Max(1, math.Abs(f.Mean))) { // constant in training
				f.Std = 1
			}
		} else {
			cnt := map[string]int{}
			for _, v := range c.Text {
				if v == "" {
					f.Missing = true
					continue
				}
				cnt[v]++
			}
			for v := range cnt {
				f.Levels = append(f.Levels, v)
			}
			sort.Slice(f.Levels, func(a, b int) bool {
				la, lb := f.Levels[a], f.Levels[b]
				if cnt[la] != cnt[lb] {
					return cnt[la] > cnt[lb]
				}
				return la < lb
			})
			if len(f.Levels) > maxLevels {
				f.Levels = f.Levels[:maxLevels]
			}
			sort.Strings(f.Levels)
		}
		fs[j] = f
	}
	return fs
}

// codes maps a text column to level numbers 1..L (0: unknown or unseen).
func (f *Feature) codes(txt []string) []int32 {
	ix := make(map[string]int32, len(f.Levels))
	for i, l := range f.Levels {
		ix[l] = int32(i + 1)
	}
	out := make([]int32, len(txt))
	for i, v := range txt {
		out[i] = ix[v]
	}
	return out
}

// align returns the columns in the model's feature order, checking kinds and lengths.
func align(fs []Feature, cols []Col) ([]Col, int, error) {
	byName := map[string]Col{}
	for _, c := range cols {
		byName[c.Name] = c
	}
	out := make([]Col, len(fs))
	n := -1
	for j, f := range fs {
		c, ok := byName[f.Name]
		if !ok {
			return nil, 0, fmt.Errorf("%w: feature column %q is missing", ErrData, f.Name)
		}
		if f.Numeric != (c.Num != nil) {
			kind := map[bool]string{true: "numeric", false: "text"}
			return nil, 0, fmt.Errorf("%w: column %q is %s, the model was trained on it as %s", ErrData, f.Name, kind[c.Num != nil], kind[f.Numeric])
		}
		if n >= 0 && c.len() != n {
			return nil, 0, fmt.Errorf("%w: column %q has %d rows, others %d", ErrData, f.Name, c.len(), n)
		}
		n = c.len()
		out[j] = c
	}
	return out, max(n, 0), nil
}
