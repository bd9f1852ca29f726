package measure

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"testing/quick"
)

func TestUnitDeterministicAndInRange(t *testing.T) {
	// Fixed values: the assignment must not change between releases, or
	// running campaigns would see customers switch arms.
	golden := []struct {
		salt, campaign string
		id             int64
	}{{"", "spring", 1}, {"s", "spring", 1}, {"", "spring", 2}, {"", "summer", 1}}
	seen := map[float64]bool{}
	for _, g := range golden {
		u := Unit(g.salt, g.campaign, g.id)
		if u < 0 || u >= 1 {
			t.Fatalf("Unit(%q,%q,%d) = %v out of [0,1)", g.salt, g.campaign, g.id, u)
		}
		if u != Unit(g.salt, g.campaign, g.id) {
			t.Fatal("Unit not deterministic")
		}
		if seen[u] {
			t.Fatalf("Unit(%q,%q,%d) collides", g.salt, g.campaign, g.id)
		}
		seen[u] = true
	}
	// Salt and campaign are delimited: ("ab","c") differs from ("a","bc").
	if Unit("ab", "c", 5) == Unit("a", "bc", 5) {
		t.Fatal("salt and campaign not delimited")
	}
}

func TestUnitUniform(t *testing.T) {
	// Consecutive ids (the usual case) must spread evenly over 20 buckets:
	// chi-square with 19 degrees of freedom, 99.9% quantile 43.8.
	const n, buckets = 200000, 20
	var cnt [buckets]int
	for id := int64(1); id <= n; id++ {
		cnt[int(Unit("", "c", id)*buckets)]++
	}
	exp := float64(n) / buckets
	var chi float64
	for _, c := range cnt {
		chi += (float64(c) - exp) * (float64(c) - exp) / exp
	}
	if chi > 43.8 {
		t.Fatalf("chi-square %.1f > 43.8: %v", chi, cnt)
	}
}

func TestHoldoutShareAndIndependence(t *testing.T) {
	h := Holdout{Percent: 10}
	const n = 100000
	var a, b, both int
	for id := int64(1); id <= n; id++ {
		ia, ib := h.InHoldout("a", id), h.InHoldout("b", id)
		if ia {
			a++
		}
		if ib {
			b++
		}
		if ia && ib {
			both++
		}
	}
	// Binomial(100000, 0.1): sd ≈ 95; 5 sd.
	for _, c := range []int{a, b} {
		if math.Abs(float64(c)-10000) > 475 {
			t.Fatalf("holdout size %d, want 10000 ± 475", c)
		}
	}
	// Independent across campaigns: both ≈ n·0.01 = 1000, sd ≈ 31.
	if math.Abs(float64(both)-1000) > 160 {
		t.Fatalf("held out of both campaigns: %d, want ≈ 1000 if independent", both)
	}
}

func TestGlobalHoldout(t *testing.T) {
	h := Holdout{Percent: 5, Global: 3, Salt: "shop"}
	var g int
	for id := int64(1); id <= 50000; id++ {
		if h.InGlobal(id) {
			g++
			for _, c := range []string{"a", "b", "c"} {
				if !h.InHoldout(c, id) {
					t.Fatalf("customer %d in global holdout but not held out of %s", id, c)
				}
			}
		}
	}
	if math.Abs(float64(g)-1500) > 200 {
		t.Fatalf("global holdout %d, want ≈ 1500", g)
	}
}

func TestHoldoutValidate(t *testing.T) {
	for _, tc := range []struct {
		h  Holdout
		ok bool
	}{{Holdout{Percent: 10}, true}, {Holdout{Percent: 0}, true}, {Holdout{Percent: -1}, false},
		{Holdout{Percent: 100}, false}, {Holdout{Percent: math.NaN()}, false}, {Holdout{Percent: 10, Global: 100}, false}} {
		if err := tc.h.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tc.h, err, tc.ok)
		}
	}
}

func TestStratifyExactWithinStrata(t *testing.T) {
	tests := []struct {
		name    string
		percent float64
		sizes   map[string]int
	}{
		{"small classes", 10, map[string]int{"A": 7, "B": 13, "C": 25}},
		{"half", 50, map[string]int{"A": 3, "B": 1, "C": 1000}},
		{"large", 20, map[string]int{"A": 5000, "B": 12345, "": 99}},
		{"none", 0, map[string]int{"A": 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ms []Member
			id := int64(1)
			for s, n := range tc.sizes {
				for range n {
					ms = append(ms, Member{id, s})
					id += 7
				}
			}
			a, err := Stratify(Holdout{Percent: tc.percent}, "camp", ms)
			if err != nil {
				t.Fatal(err)
			}
			held := map[string]int{}
			for _, m := range ms {
				if a.InHoldout("camp", m.Customer) {
					held[m.Stratum]++
				}
			}
			for s, n := range tc.sizes {
				want := int(math.Round(tc.percent / 100 * float64(n)))
				if held[s] != want || a.Strata[s].Holdout != want || a.Strata[s].Audience != n {
					t.Errorf("stratum %q of %d: held %d (counted %+v), want exactly %d", s, n, held[s], a.Strata[s], want)
				}
			}
			if a.InHoldout("other", ms[0].Customer) {
				t.Error("assignment holds out of a campaign it was not made for")
			}
		})
	}
}

// Property: Stratify does not depend on the order of the audience or on
// duplicates, holds out exactly round(p·n) per stratum (after the global
// holdout), and global-holdout members are always held out.
func TestStratifyProperties(t *testing.T) {
	f := func(seed uint64, pct uint8, glob uint8) bool {
		r := rand.New(rand.NewPCG(seed, 1))
		h := Holdout{Percent: float64(pct % 60), Global: float64(glob % 10), Salt: "p"}
		n := 1 + r.IntN(400)
		ms := make([]Member, n)
		for i := range ms {
			ms[i] = Member{int64(r.Uint32()), strconv.Itoa(r.IntN(4))}
		}
		a, err := Stratify(h, "x", ms)
		if err != nil {
			return false
		}
		shuffled := slices.Clone(ms)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		shuffled = append(shuffled, ms[:n/3]...) // duplicates
		b, err := Stratify(h, "x", shuffled)
		if err != nil {
			return false
		}
		uniq := map[int64]string{}
		for _, m := range ms {
			if _, ok := uniq[m.Customer]; !ok {
				uniq[m.Customer] = m.Stratum
			}
		}
		nonGlobal := map[string]int{}
		held := map[string]int{}
		for id, s := range uniq {
			if a.InHoldout("x", id) != b.InHoldout("x", id) {
				return false
			}
			if h.InGlobal(id) {
				if !a.InHoldout("x", id) {
					return false
				}
				continue
			}
			nonGlobal[s]++
			if a.InHoldout("x", id) {
				held[s]++
			}
		}
		for s, k := range nonGlobal {
			if held[s] != int(math.Round(h.Percent/100*float64(k))) {
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 300}); err != nil {
		t.Fatal(err)
	}
}

func TestStratifyIndependentAcrossCampaigns(t *testing.T) {
	var ms []Member
	for id := int64(1); id <= 20000; id++ {
		ms = append(ms, Member{id, "B"})
	}
	a, _ := Stratify(Holdout{Percent: 20}, "a", ms)
	b, _ := Stratify(Holdout{Percent: 20}, "b", ms)
	both := 0
	for _, m := range ms {
		if a.InHoldout("a", m.Customer) && b.InHoldout("b", m.Customer) {
			both++
		}
	}
	// Exactly 4000 in each; overlap hypergeometric ≈ 800, sd ≈ 25.
	if math.Abs(float64(both)-800) > 130 {
		t.Fatalf("overlap %d, want ≈ 800 for independent holdouts", both)
	}
}

func TestAssignBatch(t *testing.T) {
	ids := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got, err := AssignBatch(Holdout{Percent: 30}, "c", ids, []string{"A", "A", "A", "A", "A", "B", "B", "B", "B", "B"})
	if err != nil {
		t.Fatal(err)
	}
	var a, b int
	for i, g := range got {
		if g && i < 5 {
			a++
		} else if g {
			b++
		}
	}
	if a != 2 || b != 2 { // round(1.5) = 2
		t.Fatalf("held A=%d B=%d, want 2 and 2", a, b)
	}
	if _, err := AssignBatch(Holdout{Percent: 30}, "c", ids, []string{"A"}); err == nil {
		t.Fatal("mismatched strata accepted")
	}
}
