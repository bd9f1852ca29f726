package admission

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Walking back with PageBefore from the end gives the pages that walking
// forward gave, expired entries skipped; Count counts the live entries and
// follows expiries and changes.
func TestPageBeforeAndCount(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := New(Options{Store: newMemStore(), Clock: c.now})
	var es []store.AdmissionEntry
	for id := int64(1); id <= 23; id++ {
		en := store.AdmissionEntry{List: "grey", CustomerID: id * 10, Reason: "r"}
		if id%4 == 0 {
			en.ExpiresAt = c.t.Add(time.Hour)
		}
		es = append(es, en)
	}
	if err := e.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	if n := e.Count("grey"); n != 23 {
		t.Fatalf("count before the expiry: %d, want 23", n)
	}
	c.t = c.t.Add(2 * time.Hour)
	if n := e.Count("grey"); n != 18 {
		t.Fatalf("count after the expiry: %d, want 18", n)
	}
	var forward [][]int64
	var starts []int64 // the after cursor of each page
	for after := int64(0); ; {
		page, next := e.Page("grey", after, 5)
		var ids []int64
		for _, en := range page {
			ids = append(ids, en.CustomerID)
		}
		forward, starts = append(forward, ids), append(starts, after)
		if next == 0 {
			break
		}
		after = next
	}
	if len(forward) != 4 {
		t.Fatalf("forward pages %v, want 4", forward)
	}
	for i := len(forward) - 1; i > 0; i-- {
		after, ok := e.PageBefore("grey", forward[i][0], 5)
		if !ok {
			t.Fatalf("no page before %d", forward[i][0])
		}
		page, _ := e.Page("grey", after, 5)
		var ids []int64
		for _, en := range page {
			ids = append(ids, en.CustomerID)
		}
		if !slices.Equal(ids, forward[i-1]) {
			t.Errorf("page before %v: %v (after %d), want %v (after %d)", forward[i], ids, after, forward[i-1], starts[i-1])
		}
	}
	if _, ok := e.PageBefore("grey", forward[0][0], 5); ok {
		t.Error("a page before the first")
	}
	if err := e.Remove(ctx, "grey", 10); err != nil {
		t.Fatal(err)
	}
	if n := e.Count("grey"); n != 17 {
		t.Errorf("count after a removal: %d, want 17", n)
	}
}
