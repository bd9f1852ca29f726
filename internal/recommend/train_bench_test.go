package recommend

import (
	"context"
	"os"
	"testing"
)

// BenchmarkTrainMovieLens trains the default model (ALS, 32 factors, 15
// iterations, two goroutines) on the leave-one-out training part of
// MovieLens-100K (the target is ≤ 3 s on 2 cores).
func BenchmarkTrainMovieLens(b *testing.B) {
	f, err := os.Open(movielensPath)
	if err != nil {
		b.Skipf("dataset absent (%v)", err)
	}
	d, err := ReadInteractions(context.Background(), f, movielensPath, FormatAuto)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	s := LeaveOneOut(d, 1)
	c := DefaultConfig()
	c.SkipKNN = true
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(context.Background(), s.Train, c); err != nil {
			b.Fatal(err)
		}
	}
}
