package rules

import (
	"context"
	"os"
	"testing"
)

// BenchmarkMineOnlineRetail mines baskets written by hand from Online
// Retail (one invoice per line; set RULES_BASKETS to the file).
func BenchmarkMineOnlineRetail(b *testing.B) {
	path := os.Getenv("RULES_BASKETS")
	if path == "" {
		b.Skip("set RULES_BASKETS to a basket file")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	bs, err := ReadBaskets(context.Background(), f, path)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	o := Options{MinSupport: Rat{1, 100}, MinConfidence: Rat{1, 2}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Mine(context.Background(), bs, o); err != nil {
			b.Fatal(err)
		}
	}
}
