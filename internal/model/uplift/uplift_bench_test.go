package uplift_test

import (
	"context"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/measure/sim"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

// BenchmarkTrain fits each approach on a 200k-row simulated campaign (ten
// feature columns, 22 encoded features).
func BenchmarkTrain(b *testing.B) {
	tab, _ := simulated(b, 200_000, 1, sim.Discount)
	for _, kind := range uplift.Kinds {
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := uplift.Train(context.Background(), tab, spec, uplift.Options{Kind: kind, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScore scores 200k rows with a forest of 100 trees.
func BenchmarkScore(b *testing.B) {
	tab, _ := simulated(b, 200_000, 1, sim.Discount)
	m, err := uplift.Train(context.Background(), tab, spec, uplift.Options{Kind: uplift.TreeForest, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Score(context.Background(), tab); err != nil {
			b.Fatal(err)
		}
	}
}
