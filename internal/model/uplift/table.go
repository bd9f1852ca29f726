package uplift

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Table is a CSV file held as text, column by column.
type Table struct {
	Name   string // file name, for errors
	Header []string
	Cols   []Column // Cols[j].At(i): column j of data row i
}

// Column holds one column's values compactly: all their bytes in one
// string and where each ends (a value costs its length plus 4 bytes, not a
// string header and an allocation of its own).
type Column struct {
	data string
	ends []uint32
}

// ColumnOf makes a column of the given values.
func ColumnOf(vals []string) Column {
	var b columnBuilder
	for _, v := range vals {
		b.add(v)
	}
	return b.column()
}

// Len is the number of values.
func (c *Column) Len() int { return len(c.ends) }

// At is value i.
func (c *Column) At(i int) string {
	lo := uint32(0)
	if i > 0 {
		lo = c.ends[i-1]
	}
	return c.data[lo:c.ends[i]]
}

// All yields every (row, value).
func (c *Column) All() iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		lo := uint32(0)
		for i, e := range c.ends {
			if !yield(i, c.data[lo:e]) {
				return
			}
			lo = e
		}
	}
}

type columnBuilder struct {
	b    strings.Builder
	ends []uint32
}

// add appends a value; false when the column would pass 4 GiB.
func (cb *columnBuilder) add(v string) bool {
	if uint64(cb.b.Len())+uint64(len(v)) > math.MaxUint32 {
		return false
	}
	cb.b.WriteString(v)
	cb.ends = append(cb.ends, uint32(cb.b.Len()))
	return true
}

func (cb *columnBuilder) column() Column { return Column{data: cb.b.String(), ends: cb.ends} }

// AddColumn appends a column; it must have a value for every row.
func (t *Table) AddColumn(name string, vals []string) error {
	if t.Col(name) >= 0 {
		return fmt.Errorf("%s: column %q exists", t.Name, name)
	}
	if len(t.Cols) > 0 && len(vals) != t.Rows() {
		return fmt.Errorf("%s: column %q has %d values for %d rows", t.Name, name, len(vals), t.Rows())
	}
	t.Header = append(t.Header, name)
	t.Cols = append(t.Cols, ColumnOf(vals))
	return nil
}

// Rows is the number of data rows.
func (t *Table) Rows() int {
	if len(t.Cols) == 0 {
		return 0
	}
	return t.Cols[0].Len()
}

// Col returns the index of a column or -1.
func (t *Table) Col(name string) int {
	for j, h := range t.Header {
		if h == name {
			return j
		}
	}
	return -1
}

// ReadCSV reads a CSV file with a header line. Fields are trimmed of
// surrounding spaces; every row must have as many fields as the header.
func ReadCSV(r io.Reader, name string) (*Table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file, want a header line", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t := &Table{Name: name, Header: make([]string, len(head))}
	seen := map[string]bool{}
	for j, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			return nil, fmt.Errorf("%s:1: column %d has an empty name", name, j+1)
		}
		if !utf8.ValidString(h) {
			return nil, fmt.Errorf("%s:1: column %d: name %q is not valid UTF-8", name, j+1, h)
		}
		if seen[h] {
			return nil, fmt.Errorf("%s:1: column %q appears twice", name, h)
		}
		seen[h] = true
		t.Header[j] = h
	}
	bs := make([]columnBuilder, len(head))
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line++
		for j, v := range rec {
			v = strings.TrimSpace(v)
			if !utf8.ValidString(v) {
				// As the model file (JSON) would store it, so that training
				// and scoring see the same level.
				v = strings.ToValidUTF8(v, "\uFFFD")
			}
			if !bs[j].add(v) {
				return nil, fmt.Errorf("%s:%d: column %q holds more than 4 GiB of text", name, line, t.Header[j])
			}
		}
	}
	t.Cols = make([]Column, len(head))
	for j := range bs {
		t.Cols[j] = bs[j].column()
	}
	return t, nil
}

// Spec names the columns of a campaign table.
type Spec struct {
	TreatmentCol string   `json:"treatment_col"`
	Treatment    string   `json:"treatment"`
	Control      string   `json:"control"`
	Outcome      string   `json:"outcome"`
	Features     []string `json:"features"` // empty: every other column
	Exclude      []string `json:"exclude,omitempty"`
	ID           string   `json:"id,omitempty"` // never a feature
}

// FeatureColumns resolves the feature columns of a table.
func (s Spec) FeatureColumns(t *Table) ([]string, error) {
	if len(s.Features) > 0 {
		var missing []string
		for _, f := range s.Features {
			if t.Col(f) < 0 {
				missing = append(missing, f)
			}
			if f == s.TreatmentCol || f == s.Outcome {
				return nil, fmt.Errorf("%s: %q is the treatment or outcome column and cannot be a feature", t.Name, f)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: feature columns %s not found; the header has %s", t.Name, quoteList(missing), quoteList(t.Header))
		}
		return s.Features, nil
	}
	skip := map[string]bool{s.TreatmentCol: true, s.Outcome: true, s.ID: true}
	for _, e := range s.Exclude {
		if t.Col(e) < 0 {
			return nil, fmt.Errorf("%s: excluded column %q not found; the header has %s", t.Name, e, quoteList(t.Header))
		}
		skip[e] = true
	}
	var fs []string
	for _, h := range t.Header {
		if !skip[h] {
			fs = append(fs, h)
		}
	}
	if len(fs) == 0 {
		return nil, fmt.Errorf("%s: no feature columns left besides treatment %q and outcome %q", t.Name, s.TreatmentCol, s.Outcome)
	}
	return fs, nil
}

// Labels reads the treatment and outcome columns: treated[i] is true for
// the treatment value, false for the control value; y[i] is the outcome.
// Outcomes may be 0/1, true/false, yes/no, y/n (any case). Any other value,
// a missing column or an arm without rows is an error that lists what was
// found.
func (s Spec) Labels(t *Table) (treated, y []bool, err error) {
	tc, oc := t.Col(s.TreatmentCol), t.Col(s.Outcome)
	var missing []string
	if s.TreatmentCol == "" || tc < 0 {
		missing = append(missing, fmt.Sprintf("treatment column %q", s.TreatmentCol))
	}
	if s.Outcome == "" || oc < 0 {
		missing = append(missing, fmt.Sprintf("outcome column %q", s.Outcome))
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%s: %s not found; the header has %s", t.Name, strings.Join(missing, " and "), quoteList(t.Header))
	}
	if s.Treatment == s.Control {
		return nil, nil, fmt.Errorf("treatment and control values are both %q", s.Treatment)
	}
	n := t.Rows()
	treated, y = make([]bool, n), make([]bool, n)
	var badT, badY []int
	var nt, nc int
	for i, v := range t.Cols[tc].All() {
		switch v {
		case s.Treatment:
			treated[i] = true
			nt++
		case s.Control:
			nc++
		default:
			badT = append(badT, i)
		}
	}
	for i, v := range t.Cols[oc].All() {
		b, ok := parseBool(v)
		if !ok {
			badY = append(badY, i)
		}
		y[i] = b
	}
	if len(badT) > 0 {
		return nil, nil, fmt.Errorf("%s: column %q has %d rows that are neither treatment %q nor control %q (first at line %d); values found: %s",
			t.Name, s.TreatmentCol, len(badT), s.Treatment, s.Control, badT[0]+2, valueCounts(&t.Cols[tc]))
	}
	if len(badY) > 0 {
		return nil, nil, fmt.Errorf("%s: outcome column %q has %d rows that are not 0/1, true/false or yes/no (first at line %d); values found: %s",
			t.Name, s.Outcome, len(badY), badY[0]+2, valueCounts(&t.Cols[oc]))
	}
	if nt == 0 || nc == 0 {
		return nil, nil, fmt.Errorf("%s: column %q has %d treatment (%q) and %d control (%q) rows; both arms are needed; values found: %s",
			t.Name, s.TreatmentCol, nt, s.Treatment, nc, s.Control, valueCounts(&t.Cols[tc]))
	}
	return treated, y, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y", "t", "1.0":
		return true, true
	case "0", "false", "no", "n", "f", "0.0":
		return false, true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && (f == 0 || f == 1) {
		return f == 1, true // "1.00", "0e0"
	}
	return false, false
}

// valueCounts lists the distinct values of a column with their counts, the
// most frequent first, at most 10.
func valueCounts(col *Column) string {
	m := map[string]int{}
	for _, v := range col.All() {
		m[v]++
	}
	vs := byCount(m)
	var b strings.Builder
	for i, x := range vs {
		if i == 10 {
			fmt.Fprintf(&b, ", … (%d distinct)", len(vs))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q×%d", x.v, x.n)
	}
	return b.String()
}

type valueCount struct {
	v string
	n int
}

// byCount lists a count map's entries, the most frequent first, ties by value.
func byCount(m map[string]int) []valueCount {
	vs := make([]valueCount, 0, len(m))
	for v, n := range m {
		vs = append(vs, valueCount{v, n})
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].n != vs[j].n {
			return vs[i].n > vs[j].n
		}
		return vs[i].v < vs[j].v
	})
	return vs
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
