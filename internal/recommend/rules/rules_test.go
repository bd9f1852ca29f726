package rules

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

const groceriesPath = "../../../../shared/data/groceries/groceries.csv"

func loadGroceries(tb testing.TB) *Baskets {
	tb.Helper()
	f, err := os.Open(groceriesPath)
	if err != nil {
		tb.Skipf("groceries data absent (%v); it lives in ../shared/data/groceries", err)
	}
	defer f.Close()
	b, err := ReadBaskets(context.Background(), f, groceriesPath)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustRat(t testing.TB, s string) Rat {
	t.Helper()
	r, err := ParseThreshold("threshold", s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGroceries(t *testing.T) {
	b := loadGroceries(t)
	if b.Len() != 9835 {
		t.Fatalf("baskets = %d, want 9835", b.Len())
	}
	for _, tc := range []struct {
		conf     string
		itemsets int
		rules    int
	}{
		// Cross-checked by TestGroceriesBruteForce (and by an independent
		// Apriori in Python): the 13,488 / 5,670 / 412 do not match
		// this file under the exact semantics; see doc.go.
		{"0.5", 13492, 5668},
		{"0.8", 13492, 410},
	} {
		res, err := Mine(context.Background(), b, Options{MinSupport: mustRat(t, "0.001"), MinConfidence: mustRat(t, tc.conf)})
		if err != nil {
			t.Fatal(err)
		}
		if res.MinCount != 10 {
			t.Errorf("min count = %d, want 10", res.MinCount)
		}
		if len(res.Itemsets) != tc.itemsets || len(res.Rules) != tc.rules {
			t.Errorf("confidence %s: %d itemsets, %d rules; want %d, %d", tc.conf, len(res.Itemsets), len(res.Rules), tc.itemsets, tc.rules)
		}
		c := mustRat(t, tc.conf)
		for _, r := range res.Rules {
			if r.Lift <= 0 || r.Support <= 0 || r.Count*int(c.Den) < int(c.Num)*r.AntecedentCount || r.Count < res.MinCount {
				t.Errorf("rule %+v has bad measures", r)
			}
		}
	}
}

// bruteForce counts every subset of the item universe directly.
func bruteForce(b *Baskets, minCount int, conf Rat) (itemsets map[string]int, rules map[string]bool) {
	nItems := len(b.Items)
	itemsets = map[string]int{}
	for mask := 1; mask < 1<<nItems; mask++ {
		c := 0
		for _, s := range b.Sets {
			var m int
			for _, it := range s {
				m |= 1 << it
			}
			if m&mask == mask {
				c++
			}
		}
		if c >= minCount {
			itemsets[key(maskItems(mask, nItems))] = c
		}
	}
	rules = map[string]bool{}
	for mask := 1; mask < 1<<nItems; mask++ {
		z := maskItems(mask, nItems)
		cz, ok := itemsets[key(z)]
		if !ok || len(z) < 2 {
			continue
		}
		for _, y := range z {
			cx := itemsets[key(maskItems(mask&^(1<<y), nItems))]
			// Checked with division on rationals, not the production formula.
			if float64(cz)/float64(cx) >= float64(conf.Num)/float64(conf.Den)-1e-12 && cz*int(conf.Den) >= int(conf.Num)*cx {
				rules[key(maskItems(mask&^(1<<y), nItems))+"→"+string(rune('a'+y))] = true
			}
		}
	}
	return itemsets, rules
}

func maskItems(mask, n int) []int32 {
	var out []int32
	for i := range n {
		if mask&(1<<i) != 0 {
			out = append(out, int32(i))
		}
	}
	return out
}

func TestBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		nItems := 2 + rng.IntN(9)
		b := NewBaskets()
		for i := range nItems {
			b.ID(string(rune('a' + i)))
		}
		nb := rng.IntN(40)
		for range nb {
			var items []string
			for range rng.IntN(nItems + 2) {
				items = append(items, string(rune('a'+rng.IntN(nItems)))) // duplicates on purpose
			}
			b.Add(items)
		}
		sup := Rat{Num: int64(1 + rng.IntN(5)), Den: 20}
		conf := Rat{Num: int64(1 + rng.IntN(4)), Den: 4}
		res, err := Mine(context.Background(), b, Options{MinSupport: sup, MinConfidence: conf})
		if err != nil {
			t.Fatal(err)
		}
		wantSets, wantRules := bruteForce(b, res.MinCount, conf)
		if len(res.Itemsets) != len(wantSets) {
			t.Fatalf("trial %d: %d itemsets, brute force %d", trial, len(res.Itemsets), len(wantSets))
		}
		for _, s := range res.Itemsets {
			if wantSets[key(s.Items)] != s.Count {
				t.Fatalf("trial %d: itemset %v count %d, brute force %d", trial, s.Items, s.Count, wantSets[key(s.Items)])
			}
		}
		if len(res.Rules) != len(wantRules) {
			t.Fatalf("trial %d: %d rules, brute force %d", trial, len(res.Rules), len(wantRules))
		}
		for _, r := range res.Rules {
			if !wantRules[key(r.Antecedent)+"→"+string(rune('a'+r.Consequent))] {
				t.Fatalf("trial %d: rule %v → %d not found by brute force", trial, r.Antecedent, r.Consequent)
			}
		}
	}
}

func TestThresholds(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Rat
		wantErr string
	}{
		{"0.5", Rat{1, 2}, ""},
		{"0.001", Rat{1, 1000}, ""},
		{"1", Rat{1, 1}, ""},
		{"1/3", Rat{1, 3}, ""},
		{"0", Rat{}, "outside (0, 1]"},
		{"-0.1", Rat{}, "outside (0, 1]"},
		{"1.5", Rat{}, "outside (0, 1]"},
		{"abc", Rat{}, "not a number"},
		{"0.0000000000001", Rat{}, "too many digits"},
	} {
		got, err := ParseThreshold("--min-support", tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "--min-support") {
				t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
	if MinCount(Rat{1, 1000}, 9835) != 10 || MinCount(Rat{1, 2}, 10) != 5 || MinCount(Rat{1, 1000}, 0) != 1 {
		t.Error("MinCount is not the ceiling")
	}
}

func TestBadBaskets(t *testing.T) {
	in := "a,b,a\n\nc\n a , b ,,\nb,c\n"
	b, err := ReadBaskets(context.Background(), strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 5 {
		t.Fatalf("N = %d, want 5 (empty and one-item baskets count)", b.Len())
	}
	if !slices.Equal(b.Sets[0], []int32{0, 1}) || len(b.Sets[1]) != 0 || !slices.Equal(b.Sets[3], []int32{0, 1}) {
		t.Fatalf("sets %v: duplicates and spaces not handled", b.Sets)
	}
	res, err := Mine(context.Background(), b, Options{MinSupport: Rat{2, 5}, MinConfidence: Rat{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// a:2 b:3 c:2 ab:2 → a→b holds with confidence 1.
	if len(res.Rules) != 1 || b.Items[res.Rules[0].Consequent] != "b" || res.Rules[0].Count != 2 {
		t.Fatalf("rules %+v", res.Rules)
	}
	if _, err := ReadBaskets(context.Background(), strings.NewReader("a,b\n\"c,d\"\n"), "q.csv"); err == nil || !strings.Contains(err.Error(), "q.csv:2") {
		t.Errorf("quoted line: %v", err)
	}
}

func TestTooMany(t *testing.T) {
	b := loadGroceries(t)
	_, err := Mine(context.Background(), b, Options{MinSupport: Rat{1, 9835}, MinConfidence: Rat{1, 2}, MaxItemsets: 100_000})
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "raise the minimum support") {
		t.Fatalf("err = %v, want ErrTooMany", err)
	}
}

func TestLift(t *testing.T) {
	b := loadGroceries(t)
	lift, err := ParseLift("--min-lift", "3")
	if err != nil {
		t.Fatal(err)
	}
	all, err := Mine(context.Background(), b, Options{MinSupport: mustRat(t, "0.001"), MinConfidence: mustRat(t, "0.5")})
	if err != nil {
		t.Fatal(err)
	}
	some, err := Mine(context.Background(), b, Options{MinSupport: mustRat(t, "0.001"), MinConfidence: mustRat(t, "0.5"), MinLift: lift})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range all.Rules {
		if r.Count*all.N >= 3*r.AntecedentCount*r.ConsequentCount {
			want++
		}
	}
	if len(some.Rules) != want || want == 0 || want == len(all.Rules) {
		t.Fatalf("lift ≥ 3: %d rules, want %d of %d", len(some.Rules), want, len(all.Rules))
	}
}

// TestGroceriesBruteForce counts every subset of up to 6 items of every
// basket directly (no pruning), counts the 7-item unions of frequent 6-sets
// by scanning the baskets, and compares itemsets and rules with Mine.
func TestGroceriesBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("brute force over Groceries takes a few seconds")
	}
	b := loadGroceries(t)
	if len(b.Items) > 255 {
		t.Fatal("item ids do not fit a byte")
	}
	const maxK = 6
	counts := make(map[uint64]int32, 1<<22)
	var rec func(s []int32, start int, k uint64, depth int)
	rec = func(s []int32, start int, k uint64, depth int) {
		for i := start; i < len(s); i++ {
			kk := k<<8 | uint64(s[i]+1)
			counts[kk]++
			if depth+1 < maxK {
				rec(s, i+1, kk, depth+1)
			}
		}
	}
	for _, s := range b.Sets {
		rec(s, 0, 0, 0)
	}
	enc := func(items []int32) uint64 {
		var k uint64
		for _, it := range items {
			k = k<<8 | uint64(it+1)
		}
		return k
	}
	res, err := Mine(context.Background(), b, Options{MinSupport: mustRat(t, "0.001"), MinConfidence: mustRat(t, "0.5")})
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	longest := 0
	for k, c := range counts {
		if c >= 10 {
			want++
			n := 0
			for ; k != 0; k >>= 8 {
				n++
			}
			longest = max(longest, n)
		}
	}
	// Every frequent 7-set is the union of two frequent 6-sets: count those.
	var six [][]int32
	for k, c := range counts {
		if c < 10 || k>>40 == 0 {
			continue
		}
		var s []int32
		for ; k != 0; k >>= 8 {
			s = append(s, int32(k&0xff)-1)
		}
		slices.Sort(s)
		six = append(six, s)
	}
	for x := range six {
		for y := x + 1; y < len(six); y++ {
			u := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(six[x]), six[y]...))))
			if len(u) != 7 {
				continue
			}
			n := 0
			for _, set := range b.Sets {
				if isSubset(u, set) {
					n++
				}
			}
			if n >= 10 {
				t.Fatalf("the 7-set %v is frequent; the brute force stops at 6", u)
			}
		}
	}
	if want != len(res.Itemsets) {
		t.Fatalf("brute force: %d frequent itemsets, Mine: %d", want, len(res.Itemsets))
	}
	rules := 0
	x := []int32{}
	for _, s := range res.Itemsets {
		if int(counts[enc(s.Items)]) != s.Count {
			t.Fatalf("itemset %v: count %d, brute force %d", s.Items, s.Count, counts[enc(s.Items)])
		}
		for i := range s.Items {
			x = append(append(x[:0], s.Items[:i]...), s.Items[i+1:]...)
			if len(x) > 0 && 2*s.Count >= int(counts[enc(x)]) {
				rules++
			}
		}
	}
	if rules != len(res.Rules) {
		t.Fatalf("brute force: %d rules at confidence 1/2, Mine: %d", rules, len(res.Rules))
	}
}

func TestComplete(t *testing.T) {
	b := loadGroceries(t)
	res, err := Mine(context.Background(), b, Options{MinSupport: mustRat(t, "0.001"), MinConfidence: mustRat(t, "0.5")})
	if err != nil {
		t.Fatal(err)
	}
	ix := NewIndex(res.Items, res.Rules)
	cart := []string{"yogurt", "whipped/sour cream", "tropical fruit", "no such item"}
	got := ix.Complete(cart, 5)
	if len(got) == 0 {
		t.Fatal("no suggestion for a common cart")
	}
	for i, s := range got {
		if slices.Contains(cart, s.Item) || s.Confidence < 0.5 {
			t.Errorf("suggestion %+v is in the cart or below the threshold", s)
		}
		for _, a := range s.Because {
			if !slices.Contains(cart, a) {
				t.Errorf("suggestion %+v rests on %q, not in the cart", s, a)
			}
		}
		if i > 0 && got[i-1].Confidence < s.Confidence {
			t.Errorf("suggestions not by confidence: %+v", got)
		}
	}
	if ix.Complete([]string{"no such item"}, 5) != nil && len(ix.Complete([]string{"no such item"}, 5)) != 0 {
		t.Error("unknown items gave suggestions")
	}
}

// isSubset reports whether ascending a is a subset of ascending b.
func isSubset(a, b []int32) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}
