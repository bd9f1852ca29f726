package tag

import (
	"context"
	"sync"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

const benchCustomers = 10_000_000

var (
	benchOnce  sync.Once
	benchTable *feature.Table
)

// table10M is 10M synthetic customers over the real feature schema.
func table10M(b *testing.B) *feature.Table {
	b.Helper()
	benchOnce.Do(func() { benchTable = synthTable(featureSchema(b), benchCustomers, 42) })
	return benchTable
}

func benchCompute(b *testing.B, n int) {
	tbl := table10M(b)
	defs := Builtin()[:n]
	e := New(Options{})
	e.SetSchema(tbl.Cols)
	ctx := context.Background()
	if _, err := e.Apply(ctx, defs, "bench"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := e.Compute(ctx, tbl); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/benchCustomers, "ns/customer/tag")
}

// BenchmarkCompute40Tags10M: the first 40 built-in tags over 10M customers.
func BenchmarkCompute40Tags10M(b *testing.B) { benchCompute(b, 40) }

// BenchmarkComputeBuiltin10M: every built-in tag over 10M customers.
func BenchmarkComputeBuiltin10M(b *testing.B) { benchCompute(b, len(Builtin())) }
