package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// testCallQueue checks CallTaskCounts and CallTaskPage against a full scan
// (CallTasks) over a few thousand tasks written through every path: new
// tasks, updates of state and result, and a rolled-back update.
func testCallQueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(5, 8))
	campaigns := []string{"winback", "vip", "upsell"}
	agents := []string{"", "ann", "bob"}
	tasks := make([]store.CallTask, 3000)
	for i := range tasks {
		tasks[i] = store.CallTask{Campaign: campaigns[rng.IntN(3)], CustomerID: int64(i + 1), State: store.CallOpen, CreatedAt: t1, UpdatedAt: t1}
	}
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		for i := range tasks {
			if _, err := tx.PutCallTask(ctx, &tasks[i]); err != nil {
				return err
			}
		}
		return nil
	})
	// Call backs a few at the same time (the id breaks the tie), around now.
	now := t3
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		for i := range tasks {
			tk := &tasks[i]
			switch rng.IntN(5) {
			case 0:
				continue
			case 1:
				tk.State, tk.Assignee = store.CallAssigned, agents[1+rng.IntN(2)]
			case 2:
				tk.State, tk.Assignee, tk.Result = store.CallDone, agents[rng.IntN(3)], []string{store.ContactIntent, store.ContactNotInterested}[rng.IntN(2)]
			default:
				tk.State, tk.Assignee, tk.Result = store.CallOpen, agents[rng.IntN(3)], store.ContactCallBack
				tk.CallbackAt = t1.Add(time.Duration(rng.IntN(16)) * 15 * time.Minute) // t1 … t5, due and later
			}
			tk.UpdatedAt = t2
			if _, err := tx.PutCallTask(ctx, tk); err != nil {
				return err
			}
		}
		return nil
	})
	errRollback := errors.New("roll back")
	err := s.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for i := range 100 {
			tk := tasks[i]
			tk.State, tk.Result = store.CallDone, store.ContactIntent
			if _, err := tx.PutCallTask(ctx, &tk); err != nil {
				return err
			}
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("rolled-back update: %v", err)
	}

	all, err := s.CallTasks(ctx, "", "")
	if err != nil || len(all) != len(tasks) {
		t.Fatalf("CallTasks: %d tasks, %v", len(all), err)
	}
	for _, c := range append([]string{""}, campaigns...) {
		want := store.CallCounts{ByState: map[string]int64{}, ByResult: map[string]int64{}}
		for _, tk := range all {
			if c == "" || tk.Campaign == c {
				want.ByState[tk.State]++
				want.ByResult[tk.Result]++
			}
		}
		got, err := s.CallTaskCounts(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got.ByState, want.ByState) || !maps.Equal(got.ByResult, want.ByResult) {
			t.Errorf("CallTaskCounts(%q) = %v, want %v (a full scan)", c, got, want)
		}
	}
	if got, err := s.CallTaskCounts(ctx, "nope"); err != nil || len(got.ByState) != 0 || got.Total() != 0 {
		t.Errorf("CallTaskCounts of an unknown campaign = %v, %v", got, err)
	}

	for _, f := range []store.CallPage{
		{State: store.CallOpen, Now: now},
		{Campaign: "vip", State: store.CallOpen, Now: now},
		{Assignee: "ann", State: store.CallOpen, Now: now},
		{Assignee: "bob", State: store.CallAssigned, Now: now},
		{Campaign: "upsell", Now: now},
		{Now: now},
		{State: store.CallOpen}, // no now: every call back is later
		{Campaign: "winback", Assignee: "ann", State: store.CallDone, Now: now},
	} {
		t.Run(fmt.Sprintf("%s/%s/%s/%v", f.Campaign, f.State, f.Assignee, !f.Now.IsZero()), func(t *testing.T) {
			var want []store.CallTask
			for _, tk := range all {
				if (f.Campaign == "" || tk.Campaign == f.Campaign) && (f.State == "" || tk.State == f.State) &&
					(f.Assignee == "" || tk.Assignee == f.Assignee) {
					want = append(want, tk)
				}
			}
			slices.SortFunc(want, func(a, b store.CallTask) int {
				if store.CallLess(a.Cursor(), b.Cursor(), f.Now) {
					return -1
				}
				return 1
			})
			if len(want) < 50 {
				t.Fatalf("only %d tasks match: the test needs more", len(want))
			}
			var pages [][]store.CallTask
			q := f
			q.Limit = 97
			for {
				page, err := s.CallTaskPage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				if len(page) > q.Limit {
					t.Fatalf("page of %d tasks, limit %d", len(page), q.Limit)
				}
				pages = append(pages, page)
				q.After = page[len(page)-1].Cursor()
				if len(pages) > len(want) {
					t.Fatal("paging does not end")
				}
			}
			equal(t, "the pages one after the other", slices.Concat(pages...), want)
			for i := 1; i < len(pages); i++ {
				q := f
				q.Limit, q.Before = 97, pages[i][0].Cursor()
				prev, err := s.CallTaskPage(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				equal(t, fmt.Sprintf("the page before page %d", i), prev, pages[i-1])
			}
			q = f
			q.Limit, q.Before = 5, want[2].Cursor()
			if got, err := s.CallTaskPage(ctx, q); err != nil || len(got) != 2 {
				t.Errorf("the page before the third task: %d tasks, %v; want the first two", len(got), err)
			}
		})
	}

	for _, q := range []store.CallPage{{}, {Limit: store.MaxCallPage + 1}, {Limit: 5, After: store.CallCursor{ID: 1}, Before: store.CallCursor{ID: 2}}} {
		if _, err := s.CallTaskPage(ctx, q); !errors.Is(err, store.ErrBadCallPage) {
			t.Errorf("CallTaskPage(%+v) = %v, want ErrBadCallPage", q, err)
		}
	}
}
