package uplift

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// MaxLevels is the most one-hot levels a categorical column gets; rarer
// levels share one "other" column.
const MaxLevels = 30

// Encoder turns feature columns into a dense numeric matrix. It is fitted
// on training data and stored with the model, so that scoring encodes new
// data exactly the same way.
type Encoder struct {
	Columns []ColumnCode `json:"columns"`
}

// ColumnCode is how one input column is encoded.
type ColumnCode struct {
	Name string `json:"name"`
	// Numeric columns: (v − Mean)/SD, and a 0/1 missing indicator when the
	// training data had blanks (a blank is encoded as the mean).
	Numeric    bool    `json:"numeric"`
	Mean       float64 `json:"mean,omitempty"`
	SD         float64 `json:"sd,omitempty"`
	HasMissing bool    `json:"has_missing,omitempty"`
	// Categorical columns: one 0/1 column per level, plus "other" for
	// levels not among them (rare or unseen).
	Levels []string `json:"levels,omitempty"`
	index  map[string]int
}

// Width is the number of matrix columns of this input column.
func (c *ColumnCode) Width() int {
	if c.Numeric {
		if c.HasMissing {
			return 2
		}
		return 1
	}
	return len(c.Levels) + 1
}

// Width is the number of matrix columns.
func (e *Encoder) Width() int {
	w := 0
	for i := range e.Columns {
		w += e.Columns[i].Width()
	}
	return w
}

// Names are the matrix columns' names, for explanations.
func (e *Encoder) Names() []string {
	var ns []string
	for _, c := range e.Columns {
		if c.Numeric {
			ns = append(ns, c.Name)
			if c.HasMissing {
				ns = append(ns, c.Name+"=missing")
			}
			continue
		}
		for _, l := range c.Levels {
			ns = append(ns, c.Name+"="+l)
		}
		ns = append(ns, c.Name+"=other")
	}
	return ns
}

// FitEncoder learns the encoding of the given columns from rows (nil: all
// rows). A column is numeric when every non-blank value parses as a number
// and at least one does; otherwise it is categorical.
func FitEncoder(t *Table, features []string, rows []int) (*Encoder, error) {
	e := &Encoder{}
	each := func(col *Column, f func(string)) {
		if rows == nil {
			for _, v := range col.All() {
				f(v)
			}
			return
		}
		for _, i := range rows {
			f(col.At(i))
		}
	}
	for _, name := range features {
		j := t.Col(name)
		if j < 0 {
			return nil, fmt.Errorf("%s: feature column %q not found", t.Name, name)
		}
		col := &t.Cols[j]
		c := ColumnCode{Name: name, Numeric: true}
		var n, blanks int
		var scale float64
		each(col, func(v string) {
			if !c.Numeric {
				return
			}
			if v == "" || v == "NA" || v == "NaN" {
				blanks++
				return
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				c.Numeric = false
				return
			}
			n++
			scale = math.Max(scale, math.Abs(x))
		})
		if c.Numeric && n > 0 {
			// Mean and SD of x/scale, so that squares cannot overflow.
			if scale == 0 {
				scale = 1
			}
			var s, s2 float64
			each(col, func(v string) {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					x /= scale
					s += x
					s2 += x * x
				}
			})
			m := s / float64(n)
			c.Mean = m * scale
			c.SD = math.Sqrt(math.Max(s2/float64(n)-m*m, 0)) * scale
			if !(c.SD > 0) || math.IsInf(c.SD, 0) {
				c.SD = 1
			}
			c.HasMissing = blanks > 0
			e.Columns = append(e.Columns, c)
			continue
		}
		c.Numeric = false
		counts := map[string]int{}
		each(col, func(v string) { counts[v]++ })
		for i, x := range byCount(counts) {
			if i == MaxLevels {
				break
			}
			c.Levels = append(c.Levels, x.v)
		}
		sort.Strings(c.Levels)
		e.Columns = append(e.Columns, c)
	}
	e.init()
	return e, nil
}

func (e *Encoder) init() {
	for i := range e.Columns {
		c := &e.Columns[i]
		if c.Numeric {
			continue
		}
		c.index = make(map[string]int, len(c.Levels))
		for k, l := range c.Levels {
			c.index[l] = k
		}
	}
}

// Encode returns the n×Width matrix, row-major, of the table's rows (nil:
// all). A numeric column holding a value that is not a number is an error
// naming the line and column.
func (e *Encoder) Encode(t *Table, rows []int) ([]float64, error) {
	if rows == nil {
		rows = make([]int, t.Rows())
		for i := range rows {
			rows[i] = i
		}
	}
	w := e.Width()
	x := make([]float64, len(rows)*w)
	off := 0
	for ci := range e.Columns {
		c := &e.Columns[ci]
		j := t.Col(c.Name)
		if j < 0 {
			return nil, fmt.Errorf("%s: feature column %q of the model not found; the header has %s", t.Name, c.Name, quoteList(t.Header))
		}
		col := &t.Cols[j]
		for r, i := range rows {
			v := col.At(i)
			row := x[r*w+off:]
			if c.Numeric {
				if v == "" || v == "NA" || v == "NaN" {
					if c.HasMissing {
						row[1] = 1
					}
					continue // the mean: 0 after standardizing
				}
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					return nil, fmt.Errorf("%s:%d: column %q: %q is not a number (the column was numeric in the training data)", t.Name, i+2, c.Name, v)
				}
				row[0] = (f - c.Mean) / c.SD
				continue
			}
			k, ok := c.index[v]
			if !ok {
				k = len(c.Levels)
			}
			row[k] = 1
		}
		off += c.Width()
	}
	return x, nil
}
