package admission

import (
	"cmp"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// BenchmarkListPage is what the console's admission page reads of a list of
// a million entries: one page from the middle, the cursor of the page
// before and the live count (page), against copying and sorting the whole
// list as the page did before (copy_sort).
//
//	go test -run x -bench ListPage -count 5 ./internal/admission/
func BenchmarkListPage(b *testing.B) {
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := New(Options{Store: newMemStore(), Clock: c.now})
	es := make([]store.AdmissionEntry, 0, 1_000_000)
	for id := int64(1); id <= 1_000_000; id++ {
		es = append(es, store.AdmissionEntry{List: store.ListBlack, CustomerID: id * 3, Reason: "bench", AddedAt: c.t.Add(time.Duration(id) * time.Second)})
	}
	if err := e.Add(context.Background(), es); err != nil {
		b.Fatal(err)
	}
	e.Page(store.ListBlack, 0, 1) // the ids are sorted once per change
	b.Run("page", func(b *testing.B) {
		for range b.N {
			page, _ := e.Page(store.ListBlack, 1_500_000, 50)
			if _, ok := e.PageBefore(store.ListBlack, page[0].CustomerID, 50); !ok || e.Count(store.ListBlack) != 1_000_000 {
				b.Fatal("no page before, or a wrong count")
			}
		}
	})
	b.Run("copy_sort", func(b *testing.B) {
		for range b.N {
			all := e.Entries(store.ListBlack)
			slices.SortFunc(all, func(a, b store.AdmissionEntry) int {
				return cmp.Or(b.AddedAt.Compare(a.AddedAt), cmp.Compare(a.CustomerID, b.CustomerID))
			})
		}
	})
}
