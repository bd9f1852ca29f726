package rule

import (
	"context"
	"fmt"
	"math"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

// Value is one input of a rule for one customer.
type Value struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`  // "number", "text", "tag" or "list"
	Value any    `json:"value"` // float64, string or bool; nil when unknown
}

// Explanation tells why a rule is true or false for one customer: the
// result and the value of every feature, tag and list the rule uses.
type Explanation struct {
	Rule   string  `json:"rule"`
	Result bool    `json:"result"`
	Values []Value `json:"values"`
}

// Explain evaluates the rule for one row (dense customer number) of the
// table and returns the values it used. in.Within is ignored.
func (r *Rule) Explain(ctx context.Context, in Input, row int) (Explanation, error) {
	in.Within = nil
	ev, err := r.bind(ctx, in)
	if err != nil {
		return Explanation{}, err
	}
	if row < 0 || row >= ev.n {
		return Explanation{}, fmt.Errorf("explain rule: row %d out of range [0, %d)", row, ev.n)
	}
	w := newWorker(ev)
	w.base, w.n = row, 1
	res, err := w.bools(r.root, identity[:1])
	if err != nil {
		return Explanation{}, err
	}
	x := Explanation{Rule: r.src, Result: res[0]}
	for i, c := range r.columns {
		v := Value{Name: c.name, Kind: c.typ.String()}
		if c.typ == feature.Text {
			if s := ev.scols[i][row]; s != "" {
				v.Value = s
			}
		} else if f := ev.fcols[i][row]; !math.IsNaN(f) {
			v.Value = f
		}
		x.Values = append(x.Values, v)
	}
	for i, t := range r.tags {
		x.Values = append(x.Values, Value{Name: t, Kind: "tag", Value: ev.sets[i].Contains(uint32(row))})
	}
	for i, l := range r.lists {
		x.Values = append(x.Values, Value{Name: l, Kind: "list", Value: ev.sets[len(r.tags)+i].Contains(uint32(row))})
	}
	return x, nil
}
