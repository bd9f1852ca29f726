package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

// TestMigrateCallCounts opens a schema at version 4 holding call tasks: the
// call-queue migration counts them, and later writes keep the counts.
func TestMigrateCallCounts(t *testing.T) {
	dsn := os.Getenv("SAGITTA_TEST_POSTGRES")
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
	t.Cleanup(func() { conn.Close(context.Background()) })
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sagitta_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{schema}.Sanitize()
	t.Cleanup(func() {
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+ident+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	at := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
	for _, q := range []string{
		"CREATE SCHEMA " + ident,
		"SET search_path = " + ident,
		schemaV1, schemaV2, schemaV3, schemaV4,
		`CREATE TABLE schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
		"INSERT INTO schema_version (version) VALUES (1), (2), (3), (4)",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	for i, st := range []string{store.CallOpen, store.CallOpen, store.CallDone} {
		if _, err := conn.Exec(ctx, `INSERT INTO call_tasks (campaign, customer_id, state, result, created_at, updated_at) VALUES ('c', $1, $2, $3, $4, $4)`,
			i+1, st, map[string]string{store.CallDone: store.ContactIntent}[st], at); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, dsn, Options{Schema: schema})
	if err != nil {
		t.Fatalf("open a version 4 schema: %v", err)
	}
	defer s.Close()
	storetest.MigratedCallCounts(t, s)
}
