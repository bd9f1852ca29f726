package rules

import (
	"cmp"
	"math"
	"slices"
)

// Rule is a single-consequent association rule Antecedent → Consequent.
// The counts are exact; the float measures are for display and ranking.
type Rule struct {
	Antecedent      []int32 // item ids, ascending
	Consequent      int32
	Count           int // baskets holding antecedent and consequent
	AntecedentCount int
	ConsequentCount int
	Support         float64 // Count / N
	Confidence      float64 // Count / AntecedentCount
	Lift            float64 // Confidence / (ConsequentCount / N)
	Conviction      float64 // (1 − ConsequentCount/N) / (1 − Confidence); +Inf when Confidence is 1
}

// deriveRules makes every rule X → y with X∪{y} frequent, |X| ≥ 1, that
// meets the confidence and lift thresholds, compared as integers.
func (r *Result) deriveRules(o Options) []Rule {
	var out []Rule
	n := uint64(r.N)
	single := make(map[int32]int)
	for _, s := range r.Itemsets {
		if len(s.Items) == 1 {
			single[s.Items[0]] = s.Count
		}
	}
	x := make([]int32, 0, 16)
	var kb []byte
	var arena []int32
	for _, s := range r.Itemsets {
		if len(s.Items) < 2 {
			continue
		}
		cz := uint64(s.Count)
		for i, y := range s.Items {
			x = append(x[:0], s.Items[:i]...)
			x = append(x, s.Items[i+1:]...)
			kb = appendKey(kb[:0], x)
			cx := uint64(r.counts[string(kb)])
			if !geq(cz, uint64(o.MinConfidence.Den), uint64(o.MinConfidence.Num), cx) {
				continue
			}
			cy := uint64(single[y])
			if !o.MinLift.IsZero() && !geq(cz*n, uint64(o.MinLift.Den), uint64(o.MinLift.Num), cx*cy) {
				continue
			}
			conf := float64(cz) / float64(cx)
			sy := float64(cy) / float64(n)
			conv := math.Inf(1)
			if cz != cx {
				conv = (1 - sy) / (1 - conf)
			}
			if cap(arena)-len(arena) < len(x) {
				arena = make([]int32, 0, 1<<14)
			}
			ant := append(arena[len(arena):len(arena):len(arena)+len(x)], x...)
			arena = arena[:len(arena)+len(x)]
			out = append(out, Rule{
				Antecedent: ant, Consequent: y,
				Count: int(cz), AntecedentCount: int(cx), ConsequentCount: int(cy),
				Support: float64(cz) / float64(n), Confidence: conf, Lift: conf / sy, Conviction: conv,
			})
		}
	}
	slices.SortFunc(out, func(a, b Rule) int {
		// Confidence descending, exactly: a.Count/a.Ant vs b.Count/b.Ant.
		l := uint64(a.Count) * uint64(b.AntecedentCount)
		rr := uint64(b.Count) * uint64(a.AntecedentCount)
		if c := cmp.Compare(rr, l); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Lift, a.Lift); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := slices.Compare(a.Antecedent, b.Antecedent); c != 0 {
			return c
		}
		return cmp.Compare(a.Consequent, b.Consequent)
	})
	return out
}
