package measure

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStratifyMatchesReference checks Stratify (which sorts only the
// customers below a threshold when it can) against the definition: within
// each stratum, the round(p·n) distinct customers with the smallest
// (Unit, id), for sorted and shuffled audiences with duplicates.
func TestStratifyMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, tc := range []struct {
		n       int
		pct     float64
		shuffle bool
	}{{1, 10, false}, {7, 10, false}, {100, 10, false}, {5000, 10, true}, {20000, 1, false}, {20000, 30, true}, {3000, 49, false}, {3000, 0, false}} {
		var ms []Member
		for i := range tc.n {
			id := int64(i*3 + 1)
			ms = append(ms, Member{Customer: id, Stratum: []string{"A", "B", ""}[r.IntN(3)]})
		}
		// duplicates: the same customer in the same stratum again
		for i := 0; i < tc.n/10; i++ {
			ms = append(ms, ms[r.IntN(tc.n)])
		}
		if tc.shuffle {
			r.Shuffle(len(ms), func(i, j int) { ms[i], ms[j] = ms[j], ms[i] })
		} else {
			slices.SortStableFunc(ms, func(x, y Member) int { return cmp.Compare(x.Customer, y.Customer) })
		}
		h := Holdout{Percent: tc.pct, Salt: "ref"}
		a, err := Stratify(h, "c", ms)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string][]int64{}
		seen := map[int64]bool{}
		for _, m := range ms {
			if !seen[m.Customer] {
				seen[m.Customer] = true
				by[m.Stratum] = append(by[m.Stratum], m.Customer)
			}
		}
		want := map[int64]bool{}
		for s, ids := range by {
			slices.SortFunc(ids, func(x, y int64) int {
				if c := cmp.Compare(Unit("ref", "c", x), Unit("ref", "c", y)); c != 0 {
					return c
				}
				return cmp.Compare(x, y)
			})
			k := int(math.Round(tc.pct / 100 * float64(len(ids))))
			for _, id := range ids[:k] {
				want[id] = true
			}
			if got := a.Strata[s]; got.Audience != len(ids) || got.Holdout != k {
				t.Errorf("n=%d p=%v stratum %q: %+v, want %d of %d", tc.n, tc.pct, s, got, k, len(ids))
			}
		}
		for id := range seen {
			if a.InHoldout("c", id) != want[id] {
				t.Errorf("n=%d p=%v: customer %d held %v, want %v", tc.n, tc.pct, id, a.InHoldout("c", id), want[id])
			}
		}
	}
}
