package rules

import (
	"cmp"
	"slices"
)

// Index finds the rules that apply to a cart. It is immutable and safe for
// concurrent use.
type Index struct {
	Items []string
	Rules []Rule
	byID  map[string]int32
	by    map[int32][]int32 // smallest antecedent item → rule numbers
}

// NewIndex indexes rules over the item names items.
func NewIndex(items []string, rs []Rule) *Index {
	ix := &Index{Items: items, Rules: rs, byID: make(map[string]int32, len(items)), by: map[int32][]int32{}}
	for i, name := range items {
		ix.byID[name] = int32(i)
	}
	for i, r := range rs {
		ix.by[r.Antecedent[0]] = append(ix.by[r.Antecedent[0]], int32(i))
	}
	return ix
}

// Suggestion is an item a cart's rules point to.
type Suggestion struct {
	Item       string   `json:"item"`
	Confidence float64  `json:"confidence"`
	Lift       float64  `json:"lift"`
	Support    float64  `json:"support"`
	Because    []string `json:"because"` // the antecedent of the best rule
}

// Complete returns up to n items not in the cart, each with the rule of
// highest confidence (then lift) whose antecedent the cart contains. Items
// unknown to the rules are ignored.
func (ix *Index) Complete(cart []string, n int) []Suggestion {
	if ix == nil || n <= 0 {
		return nil
	}
	in := make(map[int32]bool, len(cart))
	for _, name := range cart {
		if id, ok := ix.byID[name]; ok {
			in[id] = true
		}
	}
	best := map[int32]int32{}
	for id := range in {
		for _, ri := range ix.by[id] {
			r := &ix.Rules[ri]
			if in[r.Consequent] {
				continue
			}
			ok := true
			for _, a := range r.Antecedent[1:] {
				if !in[a] {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			if b, seen := best[r.Consequent]; !seen || better(r, &ix.Rules[b]) {
				best[r.Consequent] = ri
			}
		}
	}
	out := make([]int32, 0, len(best))
	for _, ri := range best {
		out = append(out, ri)
	}
	slices.SortFunc(out, func(a, b int32) int {
		ra, rb := &ix.Rules[a], &ix.Rules[b]
		if better(ra, rb) {
			return -1
		}
		if better(rb, ra) {
			return 1
		}
		return cmp.Compare(a, b)
	})
	if len(out) > n {
		out = out[:n]
	}
	res := make([]Suggestion, len(out))
	for i, ri := range out {
		r := &ix.Rules[ri]
		because := make([]string, len(r.Antecedent))
		for j, a := range r.Antecedent {
			because[j] = ix.Items[a]
		}
		res[i] = Suggestion{Item: ix.Items[r.Consequent], Confidence: r.Confidence, Lift: r.Lift, Support: r.Support, Because: because}
	}
	return res
}

func better(a, b *Rule) bool {
	l := uint64(a.Count) * uint64(b.AntecedentCount)
	r := uint64(b.Count) * uint64(a.AntecedentCount)
	if l != r {
		return l > r
	}
	return a.Lift > b.Lift
}
