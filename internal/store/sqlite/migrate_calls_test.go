package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

// TestMigrateCallCounts opens a database at version 4 holding call tasks:
// the call-queue migration counts them, and later writes keep the counts.
func TestMigrateCallCounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, schemaV2, schemaV3, schemaV4, "PRAGMA user_version = 4",
		`INSERT INTO call_tasks (campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at) VALUES
		('c', 1, '', '', '', 'open', '', 0, '', 1, 1), ('c', 2, '', '', '', 'open', '', 0, '', 1, 1), ('c', 3, '', '', 'ann', 'done', 'intent', 0, '', 1, 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", firstLine(q), err)
		}
	}
	db.Close()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open a version 4 database: %v", err)
	}
	defer s.Close()
	storetest.MigratedCallCounts(t, s)
}
