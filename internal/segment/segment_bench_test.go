package segment

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

var (
	benchOnce sync.Once
	benchFix  *fixture
)

// fixture10M is 10M customers with the test tags computed.
func fixture10M(b *testing.B) *fixture {
	benchOnce.Do(func() { benchFix = newFixture(b, 10_000_000) })
	return benchFix
}

func reportP50(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
}

var benchRules = []struct{ name, src string }{
	{"and5", "t1 and t2 and t3 and t4 and t5"},
	{"mixed5", `(t1 or t2) and not t3 and t4 and german and not in_list("black")`},
}

// BenchmarkSegmentCount10M: a segment combining 5 tags over 10M customers,
// count only.
func BenchmarkSegmentCount10M(b *testing.B) {
	f := fixture10M(b)
	ctx := context.Background()
	for _, bc := range benchRules {
		if _, err := f.seg.Count(ctx, bc.src); err != nil { // warm the list cache
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := f.seg.Count(ctx, bc.src); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
			}
			reportP50(b, d)
		})
	}
}

// BenchmarkSegmentMaterialize10M: the same segments materialized as bitmaps.
func BenchmarkSegmentMaterialize10M(b *testing.B) {
	f := fixture10M(b)
	ctx := context.Background()
	for _, bc := range benchRules {
		if _, err := f.seg.Count(ctx, bc.src); err != nil { // warm the list cache
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, _, err := f.seg.Evaluate(ctx, bc.src); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
			}
			reportP50(b, d)
		})
	}
}

// BenchmarkUpdate10M: event-to-membership work for 100 changed customers:
// every tag and 3 saved segments re-evaluated on those rows.
func BenchmarkUpdate10M(b *testing.B) {
	f := fixture10M(b)
	ctx := context.Background()
	for i, src := range []string{"t1 and t2 and not in_list(\"black\")", "german or monetary > 900", "not t0 or (t3 and country == \"FR\")"} {
		if _, err := f.seg.Save(ctx, Segment{Name: string(rune('a' + i)), Rule: src}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	rows := make([]int, 100)
	b.ReportAllocs()
	var d []time.Duration
	k := 0
	for b.Loop() {
		for j := range rows {
			k = (k + 7919) % f.tbl.Len()
			rows[j] = k
			f.tbl.Num["monetary"][k] = float64((k * 31) % 1000)
		}
		t0 := time.Now()
		if _, err := f.seg.Update(ctx, f.tbl, rows); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	reportP50(b, d)
}
