package rfm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestDayOf(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		t    time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2011, 12, 9, 12, 50, 0, 0, time.UTC), nil, "2011-12-09"},
		{time.Date(2011, 12, 9, 20, 0, 0, 0, time.UTC), shanghai, "2011-12-10"},
		{time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), nil, "1969-12-31"},
	} {
		if got := DayOf(tc.t, tc.loc).Time().Format(time.DateOnly); got != tc.want {
			t.Errorf("DayOf(%v, %v) = %s, want %s", tc.t, tc.loc, got, tc.want)
		}
	}
}

func TestCompute(t *testing.T) {
	asOf := Day(100)
	lines := []Line{
		{Customer: 0, Order: 1, Day: 90, Sale: true, Amount: 10},
		{Customer: 0, Order: 1, Day: 90, Sale: true, Amount: 10}, // identical line: counted
		{Customer: 1, Order: 2, Day: 50, Sale: true, Amount: 5},
		{Customer: 0, Order: 3, Day: 95, Sale: true, Amount: 1},
		{Customer: 0, Order: 4, Day: 99, Sale: false, Amount: -3},  // cancellation: not recency, returns
		{Customer: -1, Order: 5, Day: 99, Sale: true, Amount: 100}, // guest
		{Customer: 1, Order: 6, Day: 101, Sale: true, Amount: 7},   // after as-of
		{Customer: 2, Order: 7, Day: 98, Sale: false, Amount: -2},
	}
	v := Compute(lines, 4, asOf)
	want := []struct{ r, f, m, ret float64 }{{5, 2, 21, 3}, {50, 1, 5, 0}, {math.NaN(), 0, 0, 2}, {math.NaN(), 0, 0, 0}}
	for c, w := range want {
		if !same(v.Recency[c], w.r) || v.Frequency[c] != w.f || v.Monetary[c] != w.m || v.Returns[c] != w.ret {
			t.Errorf("customer %d: r %v f %v m %v ret %v; want %+v", c, v.Recency[c], v.Frequency[c], v.Monetary[c], v.Returns[c], w)
		}
	}
}

func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// bruteScore is the definition, computed the slow way: the quantile cut
// below score b is the value at rank ⌈(b−1)n/bins⌉; with at least bins
// distinct values, a cut that repeats the one below moves to the next
// distinct value, and no cut leaves fewer distinct values above it than
// scores remain. The score is 1 + the cuts strictly below v.
func bruteScore(values []float64, v float64, bins int, reverse bool) int {
	if math.IsNaN(v) {
		return 0
	}
	var xs []float64
	for _, x := range values {
		if !math.IsNaN(x) {
			if reverse {
				x = -x
			}
			xs = append(xs, x)
		}
	}
	if reverse {
		v = -v
	}
	slices.Sort(xs)
	distinct := slices.Compact(slices.Clone(xs))
	cuts := make([]float64, bins+1) // cuts[b]: below score b
	for b := 2; b <= bins; b++ {
		k := ((b-1)*len(xs) + bins - 1) / bins
		cuts[b] = xs[k-1]
		if len(distinct) < bins {
			continue
		}
		if b > 2 && cuts[b] <= cuts[b-1] {
			for _, d := range distinct {
				if d > cuts[b-1] {
					cuts[b] = d
					break
				}
			}
		}
		// distinct values above the cut: at least bins-b+1
		if limit := distinct[len(distinct)-(bins-b+2)]; cuts[b] > limit {
			cuts[b] = limit
		}
	}
	score := 1
	for b := 2; b <= bins; b++ {
		if cuts[b] < v {
			score++
		}
	}
	return score
}

// TestScorerFillsEveryScore: with at least Bins distinct values no score is
// empty, equal values share one, and larger values never score lower.
func TestScorerFillsEveryScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		bins := 2 + rng.IntN(9)
		distinct := bins + rng.IntN(20)
		n := distinct + rng.IntN(300)
		values := make([]float64, n)
		for i := range values {
			if i < distinct {
				values[i] = float64(i) // every distinct value present
				continue
			}
			// heavy ties at the low end, like order counts
			values[i] = float64(min(rng.IntN(distinct), rng.IntN(distinct), rng.IntN(distinct)))
		}
		for _, reverse := range []bool{false, true} {
			s := NewScorer(values, bins, reverse)
			seen := make([]int, bins+1)
			for _, v := range values {
				seen[s.Score(v)]++
			}
			for b := 1; b <= bins; b++ {
				if seen[b] == 0 {
					t.Fatalf("trial %d, %d bins, %d distinct, reverse %v: score %d empty (cuts %v)", trial, bins, distinct, reverse, b, s.Cuts)
				}
			}
			for v := 1; v < distinct; v++ {
				lo, hi := s.Score(float64(v-1)), s.Score(float64(v))
				if !reverse && hi < lo || reverse && hi > lo {
					t.Fatalf("trial %d: not monotone at %d", trial, v)
				}
			}
		}
	}
}

// TestScorerOrderCounts: a shop where most customers bought once or twice
// gets every frequency score, one order count per low score.
func TestScorerOrderCounts(t *testing.T) {
	var values []float64
	for orders, customers := range map[int]int{1: 450, 2: 200, 3: 120, 4: 80, 5: 60, 6: 40, 8: 30, 12: 20} {
		for range customers {
			values = append(values, float64(orders))
		}
	}
	s := NewScorer(values, 5, false)
	for orders, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 12: 5} {
		if got := s.Score(float64(orders)); got != want {
			t.Errorf("%d orders: score %d, want %d (cuts %v)", orders, got, want, s.Cuts)
		}
	}
}

func TestScorerMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(200)
		bins := 2 + rng.IntN(9)
		distinct := 1 + rng.IntN(50)
		values := make([]float64, n)
		for i := range values {
			values[i] = float64(rng.IntN(distinct))
			if rng.IntN(20) == 0 {
				values[i] = math.NaN()
			}
		}
		if math.IsNaN(values[0]) {
			values[0] = 1
		}
		for _, reverse := range []bool{false, true} {
			s := NewScorer(values, bins, reverse)
			for _, v := range append(values, -1, float64(distinct)+1, 0.5) {
				got, want := s.Score(v), bruteScore(values, v, bins, reverse)
				if got != want {
					t.Fatalf("trial %d bins %d reverse %v: Score(%v) = %d, want %d", trial, bins, reverse, v, got, want)
				}
			}
		}
	}
}

func TestScorerQuintilesOfDistinctValues(t *testing.T) {
	values := make([]float64, 1000)
	for i := range values {
		values[i] = float64(i)
	}
	s := NewScorer(values, 5, false)
	r := NewScorer(values, 5, true)
	counts, rcounts := map[int]int{}, map[int]int{}
	for _, v := range values {
		counts[s.Score(v)]++
		rcounts[r.Score(v)]++
	}
	for b := 1; b <= 5; b++ {
		if counts[b] != 200 || rcounts[b] != 200 {
			t.Errorf("score %d: %d / %d customers, want 200", b, counts[b], rcounts[b])
		}
	}
	if s.Score(999) != 5 || r.Score(0) != 5 || r.Score(999) != 1 {
		t.Error("highest value should score 5; reverse: lowest value 5")
	}
}

func FuzzScorer(f *testing.F) {
	f.Add([]byte{1, 2, 3, 3, 3, 9}, uint8(5))
	f.Add([]byte{0}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, bins uint8) {
		if len(data) == 0 {
			return
		}
		b := 2 + int(bins%12)
		values := make([]float64, len(data))
		for i, d := range data {
			values[i] = float64(d)
		}
		s := NewScorer(values, b, bins%2 == 1)
		prev := 0
		for v := range 256 {
			got := s.Score(float64(v))
			if got < 1 || got > b {
				t.Fatalf("score %d out of 1..%d", got, b)
			}
			if want := bruteScore(values, float64(v), b, s.Reverse); got != want {
				t.Fatalf("Score(%d) = %d, want %d", v, got, want)
			}
			if !s.Reverse && got < prev || s.Reverse && prev != 0 && got > prev {
				t.Fatalf("not monotone at %d", v)
			}
			prev = got
		}
	})
}

func TestRanker(t *testing.T) {
	r := NewRanker([]float64{1, 1, 1, 2, 3, math.NaN()})
	for _, tc := range []struct{ v, want float64 }{{1, 1.5 / 5}, {2, 3.5 / 5}, {3, 4.5 / 5}, {0, 0}, {9, 1}, {1.5, 3.0 / 5}} {
		if got := r.Rank(tc.v); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Rank(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	// a large continuous population is approximated within a small error
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 100_000)
	for i := range xs {
		xs[i] = rng.ExpFloat64()
	}
	r = NewRanker(xs)
	for _, v := range []float64{0.01, 0.5, 1, 2, 5} {
		want := 1 - math.Exp(-v)
		if got := r.Rank(v); math.Abs(got-want) > 0.01 {
			t.Errorf("Rank(%v) = %v, want ≈ %v", v, got, want)
		}
	}
	if !math.IsNaN(NewRanker(nil).Rank(1)) {
		t.Error("empty ranker should rank NaN")
	}
}

func TestSegment(t *testing.T) {
	for _, tc := range []struct {
		r, f, m, bins int
		want          string
	}{
		{5, 5, 5, 5, Champions}, {5, 4, 4, 5, Champions}, {4, 5, 5, 5, Loyal}, {3, 4, 5, 5, Loyal},
		{5, 1, 1, 5, New}, {4, 1, 1, 5, Promising}, {5, 2, 3, 5, PotentialLoyalist}, {3, 3, 3, 5, NeedAttention},
		{3, 1, 2, 5, AboutToSleep}, {2, 3, 4, 5, AtRisk}, {1, 5, 5, 5, CannotLose}, {2, 1, 1, 5, Hibernating},
		{1, 1, 2, 5, Lost}, {0, 3, 3, 5, ""},
		{10, 10, 10, 10, Champions}, {1, 1, 1, 10, Lost}, {3, 3, 3, 3, Champions}, {2, 2, 2, 3, Loyal}, {1, 1, 1, 3, Hibernating},
	} {
		if got := Segment(tc.r, tc.f, tc.m, tc.bins); got != tc.want {
			t.Errorf("Segment(%d,%d,%d /%d) = %q, want %q", tc.r, tc.f, tc.m, tc.bins, got, tc.want)
		}
	}
	seen := map[string]bool{}
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			for m := 1; m <= 5; m++ {
				s := Segment(r, f, m, 5)
				if s == "" {
					t.Fatalf("no segment for %d%d%d", r, f, m)
				}
				seen[s] = true
			}
		}
	}
	for _, s := range Segments() {
		if !seen[s] {
			t.Errorf("segment %q is unreachable", s)
		}
	}
}

func TestClasses(t *testing.T) {
	// 9 buyers: value and loyalty rise together for 0..8. With tertiles,
	// 0-2 are C (low/low), 3-5 B (medium/medium), 6-8 A; with the defaults
	// (value {0.2, 0.5}, loyalty {0.4, 0.8}) only the best is A.
	var monetary []float64
	var loy []Loyalty
	for i := range 9 {
		f := float64(1 + i)
		monetary = append(monetary, 100*f)
		loy = append(loy, Loyalty{Frequency: f, Tenure: 30 * f, Repeat: RepeatRate(f, 30*f), Recency: 100 - 10*f})
	}
	tertiles := ClassOptions{ValueQuantiles: [2]float64{1.0 / 3, 2.0 / 3}, LoyaltyQuantiles: [2]float64{1.0 / 3, 2.0 / 3}}
	for _, tc := range []struct {
		opts ClassOptions
		want []string
	}{
		{tertiles, []string{"C", "C", "C", "B", "B", "B", "A", "A", "A"}},
		{ClassOptions{}, []string{"C", "C", "C", "C", "B", "B", "B", "B", "A"}},
	} {
		m := FitClasses(monetary, loy, tc.opts)
		for i := range loy {
			v, l, c, s := m.Classify(monetary[i], loy[i])
			if c != tc.want[i] {
				t.Errorf("%+v: customer %d: %v value, %v loyalty (%.2f): class %s, want %s", tc.opts.ValueQuantiles, i, v, l, s, c, tc.want[i])
			}
		}
	}
	m := FitClasses(monetary, loy, tertiles)
	// high value, low loyalty is B; low value, high loyalty is C
	if _, _, c, _ := m.Classify(900, loy[0]); c != ClassB {
		t.Errorf("high value, low loyalty: %s, want B", c)
	}
	if _, _, c, _ := m.Classify(100, loy[8]); c != ClassC {
		t.Errorf("low value, high loyalty: %s, want C", c)
	}
	if _, _, c, _ := m.Classify(0, Loyalty{}); c != "" {
		t.Errorf("non-buyer: %q, want \"\"", c)
	}
	// absolute cuts override the quantiles
	m = FitClasses(monetary, loy, ClassOptions{ValueCuts: [2]float64{1000, 2000}})
	if v, _, _, _ := m.Classify(900, loy[8]); v != Low {
		t.Errorf("absolute cuts: %v, want low", v)
	}
}

func TestRepeatRate(t *testing.T) {
	for _, tc := range []struct{ f, tenure, want float64 }{{1, 300, 0}, {2, 10, 1}, {4, 90, 1}, {7, 60, 3}} {
		if got := RepeatRate(tc.f, tc.tenure); got != tc.want {
			t.Errorf("RepeatRate(%v, %v) = %v, want %v", tc.f, tc.tenure, got, tc.want)
		}
	}
	if !math.IsNaN(RepeatRate(0, 10)) {
		t.Error("RepeatRate of a non-buyer should be NaN")
	}
}

func TestLifecycle(t *testing.T) {
	gaps := make([]float64, 100)
	for i := range gaps {
		gaps[i] = float64(i + 1) // 1..100 days
	}
	gaps = append(gaps, math.NaN(), 0)
	l := FitLifecycle(gaps, LifecycleOptions{})
	if l.SilentAfter != 81 || l.ChurnAfter != 162 || l.NewFor != 51 {
		t.Fatalf("derived thresholds %+v, want silent 81, churn 162, new 51", l)
	}
	if o := FitLifecycle(gaps, LifecycleOptions{SilentAfter: 60}); o.SilentAfter != 60 || o.ChurnAfter != 120 {
		t.Errorf("override silent: %+v", o)
	}
	if o := FitLifecycle(nil, LifecycleOptions{}); o != (Lifecycle{NewFor: 30, SilentAfter: 90, ChurnAfter: 180, HighRiskFrom: 0.7}) {
		t.Errorf("fallback: %+v", o)
	}
	for _, tc := range []struct {
		in   StageInput
		want string
	}{
		{StageInput{Frequency: 0}, Prospect},
		{StageInput{Frequency: 1, Recency: 10, Tenure: 10, PrevGap: math.NaN()}, StageNew},
		{StageInput{Frequency: 3, Recency: 10, Tenure: 200, PrevGap: 20}, Active},
		{StageInput{Frequency: 3, Recency: 100, Tenure: 200, PrevGap: 20}, Silent},
		{StageInput{Frequency: 3, Recency: 200, Tenure: 300, PrevGap: 20}, Churned},
		{StageInput{Frequency: 2, Recency: 5, Tenure: 300, PrevGap: 295}, WonBack},
		{StageInput{Frequency: 2, Recency: 100, Tenure: 300, PrevGap: 200}, Silent},
		// the churn model's warning comes before silence and before churn by recency
		{StageInput{Frequency: 3, Recency: 10, Tenure: 200, PrevGap: 20, ChurnProbability: 0.8}, HighChurnRisk},
		{StageInput{Frequency: 3, Recency: 100, Tenure: 200, PrevGap: 20, ChurnProbability: 0.7}, HighChurnRisk},
		{StageInput{Frequency: 3, Recency: 100, Tenure: 200, PrevGap: 20, ChurnProbability: 0.69}, Silent},
		{StageInput{Frequency: 3, Recency: 200, Tenure: 300, PrevGap: 20, ChurnProbability: 0.9}, Churned},
		{StageInput{Frequency: 3, Recency: 10, Tenure: 200, PrevGap: 20, ChurnProbability: math.NaN()}, Active},
		{StageInput{Frequency: 0, ChurnProbability: 0.9}, Prospect},
	} {
		if got := l.Stage(tc.in); got != tc.want {
			t.Errorf("Stage(%+v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestPriceSensitivity(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		in   PriceInput
		want float64
	}{
		{PriceInput{0, 0, 0, 0}, 0},
		{PriceInput{1, 1, 0.5, 1}, 1},
		{PriceInput{1, 1, 0.9, 1}, 1},
		{PriceInput{0.5, nan, nan, nan}, 0.5},
		{PriceInput{1, 0, 0.25, 0}, 0.35 + 0.2*0.5},
		{PriceInput{nan, nan, nan, nan}, nan},
	} {
		if got := PriceSensitivity(tc.in, PriceOptions{}); !same(got, tc.want) && math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("PriceSensitivity(%+v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPromoDays(t *testing.T) {
	orders := []int64{100, 100, 100, 5, 100}
	promoted := []int64{5, 5, 40, 5, 5}
	got := PromoDays(orders, promoted, 10, 2)
	want := []bool{false, false, true, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("PromoDays = %v, want %v", got, want)
		}
	}
	if PromoDays(orders, make([]int64, 5), 10, 2) != nil {
		t.Error("no discounts: want nil")
	}
}

func TestSortFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 100, 5000, 100_000} {
		xs := make([]float64, n)
		for i := range xs {
			switch rng.IntN(10) {
			case 0:
				xs[i] = float64(rng.IntN(5))
			case 1:
				xs[i] = -rng.ExpFloat64() * 1e6
			case 2:
				xs[i] = math.Inf(1 - 2*rng.IntN(2))
			default:
				xs[i] = rng.NormFloat64() * 1000
			}
		}
		want := slices.Clone(xs)
		slices.Sort(want)
		sortFloats(xs)
		if !slices.Equal(xs, want) {
			t.Fatalf("n=%d: radix sort differs", n)
		}
	}
}
