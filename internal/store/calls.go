package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CallQueue holds the reads of the call workbench that must not read every
// task of a campaign: counts and one page in queue order. A Store implements
// it (not a MarketingTx: nothing in a write needs it).
type CallQueue interface {
	// CallTaskCounts counts the call tasks of a campaign ("": all campaigns).
	CallTaskCounts(ctx context.Context, campaign string) (CallCounts, error)
	// CallTaskPage returns one page of call tasks in queue order (see CallPage).
	CallTaskPage(ctx context.Context, q CallPage) ([]CallTask, error)
}

// CallCounts counts call tasks by state and by result ("" for the tasks
// without one; a call back open again counts under ContactCallBack). Only
// non-zero counts have an entry.
type CallCounts struct {
	ByState  map[string]int64
	ByResult map[string]int64
}

// Total is the number of tasks counted.
func (c CallCounts) Total() int64 {
	var n int64
	for _, k := range c.ByState {
		n += k
	}
	return n
}

// MaxCallPage bounds CallPage.Limit.
const MaxCallPage = 1000

// CallPage asks for one page of call tasks. Empty filters match every task.
//
// The queue order puts first the call backs that are due at Now (by time,
// then id), then the tasks without a call back (by id), then the call backs
// still to come (by time, then id): what an agent should dial next comes
// first, and a page boundary stays where it was while Now is kept.
type CallPage struct {
	Campaign string
	State    string
	Assignee string
	Now      time.Time // splits the call backs into due and later (zero: every call back is later)
	// After starts the page after a task's place; Before ends it before one
	// (the previous page: the Limit tasks just before it, in queue order).
	// At most one is set; neither is the first page.
	After, Before CallCursor
	Limit         int // 1 … MaxCallPage
}

// CallCursor is a task's place in the queue order.
type CallCursor struct {
	CallbackAt time.Time
	ID         int64
}

// IsZero reports whether the cursor is unset.
func (c CallCursor) IsZero() bool { return c.ID == 0 }

// Cursor returns the task's place in the queue order.
func (t CallTask) Cursor() CallCursor { return CallCursor{CallbackAt: t.CallbackAt, ID: t.ID} }

// Groups of the queue order.
const (
	CallGroupDue   = 0 // call backs due at Now
	CallGroupFresh = 1 // no call back
	CallGroupLater = 2 // call backs after Now
)

// CallGroup says in which part of the queue order a task with this call-back
// time falls at now.
func CallGroup(callbackAt, now time.Time) int {
	switch {
	case callbackAt.IsZero():
		return CallGroupFresh
	case !callbackAt.After(now):
		return CallGroupDue
	}
	return CallGroupLater
}

// CallLess reports whether a comes before b in the queue order at now.
func CallLess(a, b CallCursor, now time.Time) bool {
	ga, gb := CallGroup(a.CallbackAt, now), CallGroup(b.CallbackAt, now)
	switch {
	case ga != gb:
		return ga < gb
	case !a.CallbackAt.Equal(b.CallbackAt):
		return a.CallbackAt.Before(b.CallbackAt)
	}
	return a.ID < b.ID
}

// ErrBadCallPage: a CallPage a store refuses.
var ErrBadCallPage = errors.New("invalid call task page")

// Check validates the request.
func (q CallPage) Check() error {
	switch {
	case q.Limit < 1 || q.Limit > MaxCallPage:
		return fmt.Errorf("call task page: limit %d is not in 1…%d: %w", q.Limit, MaxCallPage, ErrBadCallPage)
	case !q.After.IsZero() && !q.Before.IsZero():
		return fmt.Errorf("call task page: give after or before, not both: %w", ErrBadCallPage)
	case q.After.ID < 0 || q.Before.ID < 0:
		return fmt.Errorf("call task page: a cursor's id must be positive: %w", ErrBadCallPage)
	}
	return nil
}

// Walk calls fn for each group of the queue order the page reads, in the
// order it reads them: forward from the After cursor's group (or the
// first), or backward from the Before cursor's group. from is the cursor
// within the group (zero: the group's start, or its end going backward).
// fn returns how many tasks it added; Walk stops once Limit are.
func (q CallPage) Walk(fn func(group int, from CallCursor, backward bool, limit int) (int, error)) error {
	got := 0
	if !q.Before.IsZero() {
		for g := CallGroup(q.Before.CallbackAt, q.Now); g >= CallGroupDue && got < q.Limit; g-- {
			from := CallCursor{}
			if g == CallGroup(q.Before.CallbackAt, q.Now) {
				from = q.Before
			}
			n, err := fn(g, from, true, q.Limit-got)
			if err != nil {
				return err
			}
			got += n
		}
		return nil
	}
	start := CallGroupDue
	if !q.After.IsZero() {
		start = CallGroup(q.After.CallbackAt, q.Now)
	}
	for g := start; g <= CallGroupLater && got < q.Limit; g++ {
		from := CallCursor{}
		if g == start {
			from = q.After
		}
		n, err := fn(g, from, false, q.Limit-got)
		if err != nil {
			return err
		}
		got += n
	}
	return nil
}
