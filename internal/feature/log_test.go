package feature

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// A log behaves like a slice: random appends and filters, checked against one.
func TestLogMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		var l log[int]
		var want []int
		for step := range 6 {
			n := rng.IntN(3 * logChunk)
			if round%4 == 0 {
				n = rng.IntN(10)
			}
			for range n {
				v := rng.IntN(1000)
				l.add(v)
				want = append(want, v)
			}
			mod := 1 + rng.IntN(5)
			keep := func(v int) bool { return v%mod != step%mod }
			l.filter(func(v *int) bool { return keep(*v) })
			want = slices.DeleteFunc(want, func(v int) bool { return !keep(v) })
			var got []int
			for v := range l.all() {
				got = append(got, *v)
			}
			if l.len() != len(want) || !slices.Equal(got, want) {
				t.Fatalf("round %d step %d: len %d, %d entries; want %d", round, step, l.len(), len(got), len(want))
			}
		}
		l.reset()
		if l.len() != 0 || len(l.chunks) != 0 {
			t.Fatal("reset left entries")
		}
	}
}
