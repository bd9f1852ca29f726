package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestMigrateFromV1 opens a schema left at version 1 by an older release:
// Open adds the analytics tables and numbers the stored events in the
// order of the table's rows.
func TestMigrateFromV1(t *testing.T) {
	conn, dsn, schema := schemaAt(t, 1)
	ctx := t.Context()
	at := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	for _, id := range []int64{30, 10, 20} {
		if _, err := conn.Exec(ctx, `INSERT INTO events (id, type, at) VALUES ($1, 'view', $2)`, id, at); err != nil {
			t.Fatal(err)
		}
	}

	s, err := Open(ctx, dsn, Options{Schema: schema})
	if err != nil {
		t.Fatalf("open a version 1 schema: %v", err)
	}
	defer s.Close()
	rows, err := conn.Query(ctx, "SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil || len(versions) != len(migrations) || int(versions[len(versions)-1]) != len(migrations) {
		t.Errorf("schema versions %v, %v; want 1 to %d", versions, err, len(migrations))
	}
	var ids []int64
	err = s.ScanEvents(ctx, time.Time{}, time.Time{}, func(e *store.Event) error { ids = append(ids, e.ID); return nil })
	if err != nil || len(ids) != 3 || ids[0] != 30 || ids[1] != 10 || ids[2] != 20 {
		t.Errorf("events %v, %v; want 30, 10, 20", ids, err)
	}
	err = s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutEvents(ctx, []store.Event{{ID: 5, Type: "view", At: at}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ids = ids[:0]
	err = s.ScanEvents(ctx, time.Time{}, time.Time{}, func(e *store.Event) error { ids = append(ids, e.ID); return nil })
	if err != nil || len(ids) != 4 || ids[3] != 5 {
		t.Errorf("events %v, %v; want 30, 10, 20, 5", ids, err)
	}
	if v, err := s.PutDefinition(ctx, store.Definition{Kind: "tag", Name: "vip", CreatedAt: at}); err != nil || v != 1 {
		t.Errorf("PutDefinition = %d, %v", v, err)
	}
}

// schemaAt creates a scratch schema left at version n by an older release
// (the first n migrations applied and recorded), dropped when the test
// ends: the connection (its search_path set to the schema), the DSN and
// the schema's name. It skips the test when PostgreSQL is not reachable
// (fails with SAGITTA_REQUIRE_POSTGRES=1).
func schemaAt(t *testing.T, n int) (conn *pgx.Conn, dsn, schema string) {
	t.Helper()
	dsn = os.Getenv("SAGITTA_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("SAGITTA_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL not reachable: %v", err)
		}
		t.Skipf("PostgreSQL not reachable: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) // after the drop below
	b := make([]byte, 8)
	rand.Read(b)
	schema = "sagitta_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{schema}.Sanitize()
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	qs := []string{"CREATE SCHEMA " + ident, "SET search_path = " + ident}
	for _, m := range migrations[:n] {
		qs = append(qs, m.sql)
	}
	qs = append(qs, `CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`)
	for _, m := range migrations[:n] {
		qs = append(qs, fmt.Sprintf("INSERT INTO schema_version (version) VALUES (%d)", m.version))
	}
	for _, q := range qs {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	return conn, dsn, schema
}
