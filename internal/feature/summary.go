package feature

import (
	"cmp"
	"math"
	"slices"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// GridCell is one cell of the value × loyalty grid.
type GridCell struct {
	Value        string  `json:"value"`   // low, medium, high
	Loyalty      string  `json:"loyalty"` // low, medium, high
	Class        string  `json:"class"`   // A, B or C
	Customers    int     `json:"customers"`
	Revenue      float64 `json:"revenue"`       // sum of monetary
	RevenueShare float64 `json:"revenue_share"` // of all buyers' monetary, 0..1
}

// Count is how many customers hold a value of a text column.
type Count struct {
	Value     string  `json:"value"`
	Customers int     `json:"customers"`
	Revenue   float64 `json:"revenue"`
	Share     float64 `json:"share"` // of the customers, 0..1
}

// Summary is the marketer's overview of a table.
type Summary struct {
	Customers int        `json:"customers"`
	Buyers    int        `json:"buyers"`
	Revenue   float64    `json:"revenue"`
	Grid      []GridCell `json:"value_loyalty_grid"` // 9 cells, value high→low, loyalty high→low
	Classes   []Count    `json:"value_loyalty_classes"`
	Segments  []Count    `json:"rfm_segments"`
	Lifecycle []Count    `json:"lifecycle_stages"`
	// Thresholds the lifecycle stages used, in days.
	LifecycleThresholds *rfm.Lifecycle `json:"lifecycle_thresholds,omitempty"`
}

// Summarize counts the value–loyalty grid, classes, RFM segments and
// lifecycle stages.
func (t *Table) Summarize() Summary {
	s := Summary{Customers: t.Len()}
	mon := t.Num[ColMonetary]
	freq := t.Num[ColFrequency]
	for i := range t.IDs {
		if i < len(freq) && freq[i] > 0 {
			s.Buyers++
			s.Revenue += mon[i]
		}
	}
	s.Grid = t.Grid()
	s.Classes = t.Counts(ColClass, []string{rfm.ClassA, rfm.ClassB, rfm.ClassC})
	s.Segments = t.Counts(ColSegment, rfm.Segments())
	s.Lifecycle = t.Counts(ColStage, rfm.Stages())
	if t.st != nil {
		l := t.st.m.Life
		s.LifecycleThresholds = &l
	}
	return s
}

// Grid returns the 3×3 value × loyalty grid with counts and revenue share,
// high value and high loyalty first.
func (t *Table) Grid() []GridCell {
	vl, ll, mon := t.Text[ColValueLevel], t.Text[ColLoyaltyLevel], t.Num[ColMonetary]
	cls := t.Text[ColClass]
	idx := map[string]int{"high": 0, "medium": 1, "low": 2}
	names := []string{"high", "medium", "low"}
	cells := make([]GridCell, 9)
	grid := rfm.DefaultClassGrid()
	if t.st != nil {
		grid = t.st.m.Class.Grid
	}
	for v := range 3 {
		for l := range 3 {
			cells[3*v+l] = GridCell{Value: names[v], Loyalty: names[l], Class: grid[2-v][2-l]}
		}
	}
	var total float64
	for i := range vl {
		v, ok1 := idx[vl[i]]
		l, ok2 := idx[ll[i]]
		if !ok1 || !ok2 || cls[i] == "" {
			continue
		}
		c := &cells[3*v+l]
		c.Customers++
		if m := mon[i]; !math.IsNaN(m) {
			c.Revenue += m
			total += m
		}
	}
	for i := range cells {
		if total != 0 {
			cells[i].RevenueShare = cells[i].Revenue / total
		}
	}
	return cells
}

// Counts counts the customers by the value of a text column, in the order
// of order (values not in it follow by count; "" is left out), with their
// monetary sum.
func (t *Table) Counts(column string, order []string) []Count {
	col := t.Text[column]
	mon := t.Num[ColMonetary]
	byValue := map[string]*Count{}
	for _, v := range order {
		byValue[v] = &Count{Value: v}
	}
	for i, v := range col {
		if v == "" {
			continue
		}
		c := byValue[v]
		if c == nil {
			c = &Count{Value: v}
			byValue[v] = c
		}
		c.Customers++
		if i < len(mon) && !math.IsNaN(mon[i]) {
			c.Revenue += mon[i]
		}
	}
	out := make([]Count, 0, len(byValue))
	for _, v := range order {
		out = append(out, *byValue[v])
		delete(byValue, v)
	}
	var rest []Count
	for _, c := range byValue {
		rest = append(rest, *c)
	}
	slices.SortFunc(rest, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Customers, a.Customers), cmp.Compare(a.Value, b.Value))
	})
	out = append(out, rest...)
	for i := range out {
		if n := t.Len(); n > 0 {
			out[i].Share = float64(out[i].Customers) / float64(n)
		}
	}
	return out
}
