package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store"
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
	checkCallCounts(t, s, map[string]int64{store.CallOpen: 2, store.CallDone: 1}, map[string]int64{"": 2, store.ContactIntent: 1})
	err = s.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		tk, err := tx.CallTask(ctx, 1)
		if err != nil {
			return err
		}
		tk.State, tk.Assignee = store.CallAssigned, "ann"
		_, err = tx.PutCallTask(ctx, &tk)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	checkCallCounts(t, s, map[string]int64{store.CallOpen: 1, store.CallAssigned: 1, store.CallDone: 1}, map[string]int64{"": 2, store.ContactIntent: 1})
}

func checkCallCounts(t *testing.T, s *Store, byState, byResult map[string]int64) {
	t.Helper()
	c, err := s.CallTaskCounts(t.Context(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ByState) != len(byState) || len(c.ByResult) != len(byResult) {
		t.Fatalf("counts %v, want %v and %v", c, byState, byResult)
	}
	for k, n := range byState {
		if c.ByState[k] != n {
			t.Errorf("state %q: %d tasks, want %d", k, c.ByState[k], n)
		}
	}
	for k, n := range byResult {
		if c.ByResult[k] != n {
			t.Errorf("result %q: %d tasks, want %d", k, c.ByResult[k], n)
		}
	}
}
