package synth

import (
	"context"
	"testing"
)

// BenchmarkGenerate writes a whole data set to disk; rows/s counts the rows
// of every file.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	dir := b.TempDir()
	var rows, events int64
	for b.Loop() {
		m, err := Generate(context.Background(), dir, Options{Customers: 50_000, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range m.Files {
			rows += f.Rows
		}
		rows += m.Truth.Rows
		events += m.Truth.Events
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkChunk generates one chunk of people in memory, on one core.
func BenchmarkChunk(b *testing.B) {
	b.ReportAllocs()
	opts, _ := Options{Customers: 1_000_000}.withDefaults()
	w := newWorld(opts)
	c := &chunk{w: w}
	var rows int64
	i := int64(0)
	for b.Loop() {
		c.generate(i % 900)
		i++
		for _, n := range c.rows {
			rows += n
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAppendRFC3339(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 32)
	t := int64(1761955200)
	for b.Loop() {
		buf = appendRFC3339(buf[:0], t)
		t += 7919
	}
}
