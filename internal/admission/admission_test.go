package admission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
)

type memStore struct {
	mu      sync.Mutex
	entries map[string]store.AdmissionEntry // list/customer
	defs    map[string]store.Definition
}

func newMemStore() *memStore {
	return &memStore{entries: map[string]store.AdmissionEntry{}, defs: map[string]store.Definition{}}
}

func key(list string, id int64) string { return fmt.Sprintf("%s/%d", list, id) }

func (m *memStore) PutAdmission(_ context.Context, es []store.AdmissionEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range es {
		m.entries[key(e.List, e.CustomerID)] = e
	}
	return nil
}

func (m *memStore) RemoveAdmission(_ context.Context, list string, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[key(list, id)]; !ok {
		return store.ErrNotFound
	}
	delete(m.entries, key(list, id))
	return nil
}

func (m *memStore) Admission(_ context.Context, list string, at time.Time) ([]store.AdmissionEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.AdmissionEntry
	for _, e := range m.entries {
		if (list == "" || e.List == list) && (at.IsZero() || e.ExpiresAt.IsZero() || e.ExpiresAt.After(at)) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) PutDefinition(_ context.Context, d store.Definition) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d.Version = m.defs[d.Name].Version + 1
	m.defs[d.Name] = d
	return d.Version, nil
}

func (m *memStore) Definitions(_ context.Context, kind string) ([]store.Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Definition
	for _, d := range m.defs {
		if d.Kind == kind && !d.Deleted {
			out = append(out, d)
		}
	}
	return out, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func table(n int) *feature.Table {
	t := &feature.Table{IDs: make([]int64, n), Num: map[string][]float64{"return_rate": make([]float64, n)},
		Cols: []feature.Column{{Name: "return_rate", Type: feature.Number}}}
	for i := range n {
		t.IDs[i] = int64(100 + i)
		t.Num["return_rate"][i] = float64(i%10) / 10
	}
	return t
}

type noTags struct{}

func (noTags) Tag(string) *roaring.Bitmap  { return nil }
func (noTags) List(string) *roaring.Bitmap { return nil }

func TestListsCheckRowsAndExpiry(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := newMemStore()
	e := New(Options{Store: st, Clock: c.now})
	tbl := table(50)
	err := e.Add(ctx, []store.AdmissionEntry{
		{List: "white", CustomerID: 101, Reason: "staff"},
		{List: "black", CustomerID: 101, Reason: "fraud"},
		{List: "grey", CustomerID: 102, Reason: "complaint", ExpiresAt: c.t.Add(24 * time.Hour)},
		{List: "white", CustomerID: 9999, Reason: "not in table"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := e.Check(101); !ok || d.List != "black" || d.Reason != "fraud" || d.Source != "api" {
		t.Fatalf("check 101: %+v %v", d, ok)
	}
	if d, ok := e.Check(102); !ok || d.List != "grey" {
		t.Fatalf("check 102: %+v %v", d, ok)
	}
	if _, ok := e.Check(103); ok {
		t.Fatal("103 is on no list")
	}
	if got := e.Rows("grey", tbl).ToArray(); !slices.Equal(got, []uint32{2}) {
		t.Fatalf("grey rows: %v", got)
	}
	if got := e.Rows("white", tbl).ToArray(); !slices.Equal(got, []uint32{1}) {
		t.Fatalf("white rows: %v", got)
	}
	c.t = c.t.Add(25 * time.Hour) // the grey entry expired
	if _, ok := e.Check(102); ok {
		t.Fatal("expired entry still counts")
	}
	if !e.Rows("grey", tbl).IsEmpty() {
		t.Fatal("expired entry still in the bitmap")
	}
	if err := e.Remove(ctx, "black", 101); err != nil {
		t.Fatal(err)
	}
	if d, _ := e.Check(101); d.List != "white" {
		t.Fatalf("after removal: %+v", d)
	}
	if err := e.Remove(ctx, "black", 101); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second removal: %v", err)
	}
	// a restart sees the same
	again := New(Options{Store: st, Clock: c.now})
	if err := again.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := again.Check(101); d.List != "white" {
		t.Fatalf("after load: %+v", d)
	}
	if err := e.Add(ctx, []store.AdmissionEntry{{List: "pink", CustomerID: 1}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad list: %v", err)
	}
}

func TestReadCSV(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := New(Options{Store: newMemStore(), Clock: c.now})
	good := "customer_id,reason,expires_at\n101,chargeback,2024-06-01\n102,,\n 103 , abuse ,2025-01-01T10:00:00Z\n"
	es, err := e.ReadCSV(ctx, strings.NewReader(good), Upload{List: "black", Reason: "upload default"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[0].Reason != "chargeback" || es[1].Reason != "upload default" || es[2].Reason != "abuse" ||
		!es[0].ExpiresAt.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) || !es[1].ExpiresAt.IsZero() || es[0].Source != "upload" {
		t.Fatalf("entries: %+v", es)
	}
	plain, err := e.ReadCSV(ctx, strings.NewReader("5\n6\n"), Upload{List: "white"})
	if err != nil || len(plain) != 2 || plain[1].CustomerID != 6 {
		t.Fatalf("plain: %+v %v", plain, err)
	}
	bad := "customer,expires_at\n101,2023-01-01\nabc,\n101,\n"
	_, err = e.ReadCSV(ctx, strings.NewReader(bad), Upload{List: "black"})
	for _, want := range []string{"line 2: expires_at 2023-01-01T00:00:00Z has passed", `line 3: customer "abc" is not a customer id`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	if _, err := e.ReadCSV(ctx, strings.NewReader("name,reason\nx,y\n"), Upload{List: "black"}); err == nil {
		t.Error("file without a customer column accepted")
	}
	// references resolved by a resolver
	r := New(Options{Store: newMemStore(), Clock: c.now, Resolve: func(_ context.Context, ref string) (int64, bool, error) {
		if ref == "a@x.org" {
			return 7, true, nil
		}
		return 0, false, nil
	}})
	if _, err := r.ReadCSV(ctx, strings.NewReader("ref\na@x.org\nb@x.org\n"), Upload{List: "grey"}); err == nil || !strings.Contains(err.Error(), `line 3: unknown customer "b@x.org"`) {
		t.Errorf("resolver: %v", err)
	}
}

func TestRuleLists(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := newMemStore()
	e := New(Options{Store: st, Clock: c.now})
	tbl := table(30)
	if err := e.Add(ctx, []store.AdmissionEntry{{List: "grey", CustomerID: 109, Reason: "manual"}}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.ApplyRule(ctx, RuleList{Name: "returners", List: "grey", Rule: "return_rate >= 0.9", Reason: "returns most orders"}, tbl, noTags{}, nil, "x")
	if err != nil {
		t.Fatal(err)
	}
	// rows 9, 19, 29 match; 109 (row 9) stays a manual entry
	if !slices.Equal(rep.Added, []int64{119, 129}) || rep.Members != 3 {
		t.Fatalf("report: %+v", rep)
	}
	if d, _ := e.Check(119); d.Reason != "returns most orders" || d.Source != "rule:returners" {
		t.Fatalf("check: %+v", d)
	}
	if d, _ := e.Check(109); d.Reason != "manual" {
		t.Fatalf("manual entry overwritten: %+v", d)
	}
	tbl.Num["return_rate"][19] = 0
	reps, err := e.RunRules(ctx, tbl, noTags{}, nil)
	if err != nil || len(reps) != 1 || !slices.Equal(reps[0].Removed, []int64{119}) {
		t.Fatalf("rerun: %+v %v", reps, err)
	}
	if _, ok := e.Check(119); ok {
		t.Fatal("119 still listed")
	}
	if _, err := e.ApplyRule(ctx, RuleList{Name: "bad", List: "grey", Rule: "return_rat > 1"}, tbl, noTags{}, nil, "x"); err == nil || !strings.Contains(err.Error(), "did you mean return_rate") {
		t.Fatalf("bad rule: %v", err)
	}
	if len(e.Rules()) != 1 {
		t.Fatalf("rules: %+v", e.Rules())
	}
}

// Pages walk a list in customer order, skip expired entries, and follow
// changes made between pages.
func TestPage(t *testing.T) {
	ctx := context.Background()
	c := &clock{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := New(Options{Store: newMemStore(), Clock: c.now})
	var es []store.AdmissionEntry
	for id := int64(1); id <= 25; id++ {
		en := store.AdmissionEntry{List: "black", CustomerID: id * 10, Reason: "r"}
		if id%5 == 0 {
			en.ExpiresAt = c.t.Add(time.Hour) // expires before the pages are read
		}
		es = append(es, en)
	}
	if err := e.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(2 * time.Hour)
	var got []int64
	after := int64(0)
	for pages := 0; ; pages++ {
		page, next := e.Page("black", after, 7)
		for _, en := range page {
			got = append(got, en.CustomerID)
		}
		if pages == 0 { // a change between pages shows in the next ones
			if err := e.Add(ctx, []store.AdmissionEntry{{List: "black", CustomerID: 255, Reason: "late"}}); err != nil {
				t.Fatal(err)
			}
		}
		if next == 0 {
			break
		}
		after = next
	}
	var want []int64
	for id := int64(1); id <= 25; id++ {
		if id%5 != 0 {
			want = append(want, id*10)
		}
	}
	want = append(want, 255)
	if !slices.Equal(got, want) {
		t.Errorf("pages gave %v, want %v", got, want)
	}
	if all := e.Entries(""); len(all) != len(want) {
		t.Errorf("all lists: %d entries, want %d", len(all), len(want))
	}
}
