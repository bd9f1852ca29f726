package rules

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMineGroceries is one mining run on Groceries at support 0.001 and
// confidence 0.5 (the target is ≤ 50 ms).
func BenchmarkMineGroceries(b *testing.B) {
	bs := loadGroceries(b)
	o := Options{MinSupport: Rat{1, 1000}, MinConfidence: Rat{1, 2}}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		res, err := Mine(context.Background(), bs, o)
		if err != nil || len(res.Rules) == 0 {
			b.Fatal(err)
		}
	}
	// CPU time of the process per run: less sensitive than wall time to
	// other jobs on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}
