package postgres

import (
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

// TestMigrateCallCounts opens a schema at version 4 holding call tasks: the
// call-queue migration counts them, and later writes keep the counts.
func TestMigrateCallCounts(t *testing.T) {
	conn, dsn, schema := schemaAt(t, 4)
	ctx := t.Context()
	at := time.Date(2023, 4, 5, 6, 7, 8, 0, time.UTC)
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
