package lifecycle

import (
	"cmp"
	"slices"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Diff counts how the customers moved from prev to cur, by a merge over
// their ascending ids: a customer in both moves from its stage in prev to
// its stage in cur (staying counts as a move to the same stage); one only
// in cur entered (From ""), one only in prev left (To ""). It returns the
// non-zero cells, by From then To in byte order.
func Diff(prev, cur *Snapshot) []store.StageFlow {
	np, nc := len(prev.Stages)+1, len(cur.Stages)+1 // the last row: entered; the last column: left
	m := make([]int64, np*nc)
	entered, left := (np-1)*nc, nc-1
	a, b := prev.IDs, cur.IDs
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch x, y := a[i], b[j]; {
		case x == y:
			m[int(prev.Codes[i])*nc+int(cur.Codes[j])]++
			i++
			j++
		case x < y:
			m[int(prev.Codes[i])*nc+left]++
			i++
		default:
			m[entered+int(cur.Codes[j])]++
			j++
		}
	}
	for ; i < len(a); i++ {
		m[int(prev.Codes[i])*nc+left]++
	}
	for ; j < len(b); j++ {
		m[entered+int(cur.Codes[j])]++
	}
	name := func(names []string, k int) string {
		if k < len(names) {
			return names[k]
		}
		return ""
	}
	var out []store.StageFlow
	for r := range np {
		for c := range nc {
			if n := m[r*nc+c]; n != 0 {
				out = append(out, store.StageFlow{From: name(prev.Stages, r), To: name(cur.Stages, c), Customers: n})
			}
		}
	}
	slices.SortFunc(out, func(x, y store.StageFlow) int {
		return cmp.Or(cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	return out
}
