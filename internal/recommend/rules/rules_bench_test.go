package rules

import (
	"context"
	"testing"
)

// BenchmarkMineGroceries is one mining run on Groceries at support 0.001 and
// confidence 0.5 (the target is ≤ 50 ms).
func BenchmarkMineGroceries(b *testing.B) {
	bs := loadGroceries(b)
	o := Options{MinSupport: Rat{1, 1000}, MinConfidence: Rat{1, 2}}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Mine(context.Background(), bs, o)
		if err != nil || len(res.Rules) == 0 {
			b.Fatal(err)
		}
	}
}
