package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestMigrateFromV1 opens a database left at schema version 1 by an older
// release: Open adds the analytics tables and keeps the data.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	for _, q := range []string{
		schemaV1,
		"PRAGMA user_version = 1",
		"INSERT INTO customers (id, created_at) VALUES (7, 0)",
		"INSERT INTO orders (id, source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon) " +
			"VALUES (3, 'shop', 'X1', 7, " + itoa(at.UnixMicro()) + ", 'sale', '', 0, 'web', 'card', 'EUR', '')",
		"INSERT INTO order_lines VALUES (3, 1, 'A', 2, 1.5, 3, 0, '')",
		"UPDATE counters SET customers = 1, orders = 1, order_lines = 1",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", firstLine(q), err)
		}
	}
	db.Close()

	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer s.Close()
	var version int
	if err := s.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("user_version = %d, %v; want %d", version, err, len(migrations))
	}
	var lines []store.LineRow
	if err := s.ScanLines(ctx, time.Time{}, func(r *store.LineRow) error { lines = append(lines, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	want := store.LineRow{OrderID: 3, CustomerID: 7, PlacedAt: at, Kind: store.OrderSale, Channel: "web", Payment: "card",
		ItemID: "A", Quantity: 2, UnitPrice: 1.5, Amount: 3}
	if len(lines) != 1 || lines[0] != want {
		t.Errorf("lines %+v, want %+v", lines, want)
	}
	if v, err := s.PutDefinition(ctx, store.Definition{Kind: "tag", Name: "vip", Body: []byte("{}"), CreatedAt: at}); err != nil || v != 1 {
		t.Errorf("PutDefinition = %d, %v", v, err)
	}
	if err := s.PutAdmission(ctx, []store.AdmissionEntry{{List: store.ListBlack, CustomerID: 7, AddedAt: at}}); err != nil {
		t.Error(err)
	}
	if err := s.AddSegmentSizes(ctx, []store.SegmentSize{{Segment: "vip", At: at, Count: 1}}); err != nil {
		t.Error(err)
	}
}

func itoa(v int64) string { return fmt.Sprint(v) }
