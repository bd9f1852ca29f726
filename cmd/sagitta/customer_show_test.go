package main_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// customer show prints money with two decimals and unknown values as
// "unknown", never Go's float noise or <nil>.
func TestCustomerShowFormatsValues(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	mustRun(t, "import", "customers", "--source", "shop", "--data-dir", data,
		writeFile(t, dir, "customers.csv", "customer,email\nc1,a@example.com\nc2,b@example.com\n"))
	// 0.1 + 0.2 is 0.30000000000000004 in floating point
	mustRun(t, "import", "orders", "--source", "shop", "--data-dir", data, writeFile(t, dir, "orders.csv",
		"order,customer,time,item,quantity,unit_price\no1,c1,2025-05-01T10:00:00Z,i1,1,0.1\no2,c1,2025-05-03T10:00:00Z,i2,1,0.2\n"))
	mustRun(t, "features", "compute", "--as-of", "2025-06-01", "--data-dir", data)

	out := mustRun(t, "customer", "show", "shop:c1", "--data-dir", data)
	if !strings.Contains(out, "monetary 0.30;") || strings.Contains(out, "0.30000000000000004") || strings.Contains(out, "<nil>") {
		t.Errorf("customer show shop:c1:\n%s", out)
	}
	out = mustRun(t, "customer", "show", "shop:c2", "--data-dir", data)
	if strings.Contains(out, "<nil>") || !strings.Contains(out, "RFM unknown (unknown), recency unknown, frequency 0, monetary 0.00; class unknown") || !strings.Contains(out, "first unknown, last unknown") {
		t.Errorf("customer show shop:c2 (no orders):\n%s", out)
	}
}
