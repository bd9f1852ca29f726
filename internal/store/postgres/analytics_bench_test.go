package postgres_test

import (
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

// BenchmarkScanLines scans 500,000 order lines (25,000 orders) with their
// headers, categories and brands.
func BenchmarkScanLines(b *testing.B) {
	storetest.BenchScanLines(b, openStore(b, newSchema(b)))
}
