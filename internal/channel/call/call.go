package call

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// ErrInvalid: a result or assignment that makes no sense.
var ErrInvalid = errors.New("invalid call task update")

// Store is what the task list uses; store.Marketing implements it.
type Store interface {
	CallTasks(ctx context.Context, campaign, state string) ([]store.CallTask, error)
	CallTask(ctx context.Context, id int64) (store.CallTask, error)
	UpdateMarketing(ctx context.Context, fn func(tx store.MarketingTx) error) error
}

// List lists the tasks of a campaign ("": all) in a state ("": all).
func List(ctx context.Context, st Store, campaign, state string) ([]store.CallTask, error) {
	return st.CallTasks(ctx, campaign, state)
}

// Assign gives an open (or assigned) task to an agent.
func Assign(ctx context.Context, st Store, id int64, assignee string, now time.Time) (store.CallTask, error) {
	if assignee == "" {
		return store.CallTask{}, fmt.Errorf("assign call task %d: name the agent: %w", id, ErrInvalid)
	}
	var t store.CallTask
	err := st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		var err error
		if t, err = tx.CallTask(ctx, id); err != nil {
			return err
		}
		if t.State == store.CallDone {
			return fmt.Errorf("call task %d is done: %w", id, ErrInvalid)
		}
		t.Assignee, t.State, t.UpdatedAt = assignee, store.CallAssigned, now
		_, err = tx.PutCallTask(ctx, &t)
		return err
	})
	if err != nil {
		return store.CallTask{}, fmt.Errorf("assign call task %d: %w", id, err)
	}
	return t, nil
}

// Results an agent may capture.
var Results = []string{store.ContactIntent, store.ContactNotInterested, store.ContactCallBack}

// Capture records the outcome of a call: the task is done (or, for a call
// back, open again for callbackAt) and the contact history has the result.
func Capture(ctx context.Context, st Store, id int64, result string, callbackAt time.Time, note string, now time.Time) (store.CallTask, error) {
	switch result {
	case store.ContactIntent, store.ContactNotInterested:
	case store.ContactCallBack:
		if !callbackAt.After(now) {
			return store.CallTask{}, fmt.Errorf("call task %d: a call back needs a callback_at in the future: %w", id, ErrInvalid)
		}
	default:
		return store.CallTask{}, fmt.Errorf("call task %d: result %q is not intent, not_interested or call_back: %w", id, result, ErrInvalid)
	}
	var t store.CallTask
	err := st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		var err error
		if t, err = tx.CallTask(ctx, id); err != nil {
			return err
		}
		t.Result, t.Note, t.UpdatedAt = result, note, now
		t.State, t.CallbackAt = store.CallDone, time.Time{}
		if result == store.ContactCallBack {
			t.State, t.CallbackAt = store.CallOpen, callbackAt
		}
		if _, err := tx.PutCallTask(ctx, &t); err != nil {
			return err
		}
		return contact.Record(ctx, tx, []store.Contact{{CustomerID: t.CustomerID, Channel: "call", Kind: result, Campaign: t.Campaign,
			Step: "main", Offer: t.Offer, At: now, Detail: note}})
	})
	if err != nil {
		return store.CallTask{}, fmt.Errorf("capture the result of call task %d: %w", id, err)
	}
	return t, nil
}
