package call_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func TestTaskList(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var ids []int64
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for c := range int64(3) {
			task := store.CallTask{Campaign: "winback", CustomerID: 10 + c, Script: "Hello", State: store.CallOpen, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.PutCallTask(ctx, &task); err != nil {
				return err
			}
			ids = append(ids, task.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.Assign(ctx, st, ids[0], "", now); !errors.Is(err, call.ErrInvalid) {
		t.Errorf("assign to nobody: %v", err)
	}
	if tk, err := call.Assign(ctx, st, ids[0], "ann", now); err != nil || tk.State != store.CallAssigned || tk.Assignee != "ann" {
		t.Fatalf("assign: %+v, %v", tk, err)
	}
	for _, tc := range []struct {
		id       int64
		result   string
		callback time.Time
		state    string
		ok       bool
	}{
		{ids[0], store.ContactIntent, time.Time{}, store.CallDone, true},
		{ids[1], store.ContactCallBack, now.Add(24 * time.Hour), store.CallOpen, true},
		{ids[2], store.ContactCallBack, now.Add(-time.Hour), "", false},
		{ids[2], "maybe", time.Time{}, "", false},
		{ids[2], store.ContactNotInterested, time.Time{}, store.CallDone, true},
	} {
		tk, err := call.Capture(ctx, st, tc.id, tc.result, tc.callback, "note", now)
		if (err == nil) != tc.ok || (tc.ok && (tk.State != tc.state || tk.Result != tc.result)) {
			t.Errorf("capture %s on %d: %+v, %v", tc.result, tc.id, tk, err)
		}
	}
	if _, err := call.Assign(ctx, st, ids[0], "bob", now); !errors.Is(err, call.ErrInvalid) {
		t.Errorf("assign a done task: %v", err)
	}
	if _, err := call.Capture(ctx, st, 999, store.ContactIntent, time.Time{}, "", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
	// every result is in the shared contact history
	for c, kind := range map[int64]string{10: store.ContactIntent, 11: store.ContactCallBack, 12: store.ContactNotInterested} {
		cs, _ := st.Contacts(ctx, c, time.Time{}, 0)
		if len(cs) != 1 || cs[0].Kind != kind || cs[0].Channel != "call" || cs[0].Campaign != "winback" {
			t.Errorf("contacts of %d: %+v", c, cs)
		}
	}
	open, _ := call.List(ctx, st, "winback", store.CallOpen)
	if len(open) != 1 || open[0].ID != ids[1] || !open[0].CallbackAt.Equal(now.Add(24*time.Hour)) {
		t.Errorf("open tasks: %+v", open)
	}
}
