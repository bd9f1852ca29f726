package feature

import (
	"slices"
	"time"
)

// Type is the type of a feature column.
type Type int

const (
	Number Type = iota // float64; NaN means unknown
	Text               // string; "" means unknown
)

func (t Type) String() string { return [...]string{"number", "text"}[t] }

// Column describes one feature.
type Column struct {
	Name        string `json:"name"`
	Type        Type   `json:"-"`
	TypeName    string `json:"type"`
	Description string `json:"description"`
}

// Table holds per-customer features as columns indexed by a dense customer
// number: row i is customer IDs[i]. IDs ascend, so Index is a binary search.
type Table struct {
	AsOf time.Time
	IDs  []int64
	Num  map[string][]float64 // each len(IDs)
	Text map[string][]string  // each len(IDs)
	Cols []Column             // the schema, in a stable order

	st *state // what Compute keeps for Apply and Advance; nil for a table built by hand
}

// Len is the number of customers.
func (t *Table) Len() int { return len(t.IDs) }

// Index returns the dense number of a customer.
func (t *Table) Index(id int64) (int, bool) {
	return slices.BinarySearch(t.IDs, id)
}

// Column finds a column of the schema.
func (t *Table) Column(name string) (Column, bool) {
	for _, c := range t.Cols {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}
