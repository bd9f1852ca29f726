package storetest

import (
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// MigratedCallCounts checks a store just migrated from a schema without
// call-task counts that held three tasks of campaign "c" (1 and 2 open, 3
// done with intent): the counts were filled from them, and a write after
// the migration keeps them (task 1 assigned).
func MigratedCallCounts(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	checkCallCounts(t, s, map[string]int64{store.CallOpen: 2, store.CallDone: 1}, map[string]int64{"": 2, store.ContactIntent: 1})
	err := s.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
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

func checkCallCounts(t *testing.T, s store.Store, byState, byResult map[string]int64) {
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
