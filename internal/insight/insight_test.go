package insight_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// shop is a real SQLite store in a temporary data directory with a few
// orders imported.
func shop(t *testing.T) (store.Store, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	importFile(t, st, dir, ingest.KindOrders, "shop", "order,customer,time,item,quantity,unit_price\n"+
		"o1,c1,2025-05-02 10:00:00,i1,1,50\n"+
		"o2,c1,2025-05-09 10:00:00,i1,1,50\n"+
		"o3,c2,2025-05-20 10:00:00,i3,1,5\n")
	return st, dir
}

func importFile(t *testing.T, st store.Store, dir string, kind ingest.Kind, source, body string) ingest.Summary {
	t.Helper()
	f := filepath.Join(dir, source+"-"+string(kind)+".csv")
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Import(context.Background(), st, identity.NewResolver(identity.DefaultPolicy()), []string{f},
		ingest.Options{Kind: kind, Source: source})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func open(t *testing.T, st store.Store, dir string, now time.Time) *insight.Service {
	t.Helper()
	s, err := insight.Open(context.Background(), st, insight.Options{DataDir: dir, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func recency(t *testing.T, s *insight.Service, id int64) float64 {
	t.Helper()
	tbl := s.Table()
	row, ok := tbl.Index(id)
	if !ok {
		t.Fatalf("customer %d not in the table", id)
	}
	return tbl.Num["recency_days"][row]
}

func TestStepAdvancesLiveTables(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	asOf := day("2025-06-01")
	s := open(t, st, dir, asOf)
	if _, err := s.Recompute(ctx, asOf, true); err != nil {
		t.Fatal(err)
	}
	r0 := recency(t, s, 1)

	// later the same day: nothing to do
	if did := s.Step(ctx, asOf.Add(3*time.Hour), insight.MaintainOptions{}); did != "" {
		t.Errorf("same day: %q, want nothing", did)
	}
	// two days later the windows move and recency grows by two days
	now := asOf.Add(48*time.Hour + time.Minute)
	if did := s.Step(ctx, now, insight.MaintainOptions{}); did != "advance" {
		t.Fatalf("two days on: %q, want advance", did)
	}
	if got := recency(t, s, 1); got != r0+2 {
		t.Errorf("recency after two days = %v, want %v", got, r0+2)
	}
	if !s.Table().AsOf.Equal(now) {
		t.Errorf("as of %v, want %v", s.Table().AsOf, now)
	}
	// saved: a restart loads the advanced table
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	again := open(t, st, dir, now)
	if got := recency(t, again, 1); got != r0+2 {
		t.Errorf("recency after a restart = %v, want %v", got, r0+2)
	}
}

func TestStepLeavesHistoricalTables(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	asOf := day("2025-06-01")
	now := asOf.AddDate(1, 0, 0) // a year later: an analysis of the past
	s := open(t, st, dir, now)
	if _, err := s.Recompute(ctx, asOf, false); err != nil {
		t.Fatal(err)
	}
	if did := s.Step(ctx, now, insight.MaintainOptions{}); did != "" {
		t.Errorf("historical table, live mode: %q, want nothing", did)
	}
	if did := s.Step(ctx, now, insight.MaintainOptions{Advance: insight.AdvanceNever}); did != "" {
		t.Errorf("never: %q, want nothing", did)
	}
	if did := s.Step(ctx, now, insight.MaintainOptions{Advance: insight.AdvanceAlways}); did != "advance" {
		t.Errorf("always: %q, want advance", did)
	}
}

// After customers are merged the table is stale; the next step recomputes
// it, and the survivor carries both histories.
func TestStepRecomputesAfterMerge(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	importFile(t, st, dir, ingest.KindCustomers, "crm", "customer,email\nk1,a@example.com\n")
	asOf := day("2025-06-01")
	s := open(t, st, dir, asOf)
	if _, err := s.Recompute(ctx, asOf, true); err != nil {
		t.Fatal(err)
	}
	before := s.Table().Len()
	freq := func(id int64) float64 {
		row, ok := s.Table().Index(id)
		if !ok {
			return -1
		}
		return s.Table().Num["frequency"][row]
	}
	// c1 (2 orders) and c2 (1 order) turn out to share an e-mail address
	sum := importFile(t, st, dir, ingest.KindCustomers, "shop", "customer,email\nc1,a@example.com\nc2,A@Example.com\n")
	if sum.Merged == 0 {
		t.Fatalf("no merge: %+v", sum)
	}
	if s.Stale() {
		t.Fatal("stale before anyone said so")
	}
	s.Invalidate()
	if did := s.Step(ctx, asOf.Add(time.Hour), insight.MaintainOptions{}); did != "recompute" {
		t.Fatalf("step = %q, want recompute", did)
	}
	if s.Stale() {
		t.Error("still stale after the recompute")
	}
	if got := s.Table().Len(); got >= before {
		t.Errorf("customers after the merge = %d, want fewer than %d", got, before)
	}
	var most float64
	for _, id := range s.Table().IDs {
		most = max(most, freq(id))
	}
	if most != 3 {
		t.Errorf("largest frequency after the merge = %v, want 3 (both histories)", most)
	}
}

// The built-in tags are seeded once: a store whose tags were all deleted
// stays without them.
func TestBuiltinTagsSeededOnce(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	s := open(t, st, dir, day("2025-06-01"))
	names := s.Tags.Names()
	if len(names) < 30 {
		t.Fatalf("%d built-in tags, want about 40 or more", len(names))
	}
	// delete them all, dependents first
	for left := names; len(left) > 0; {
		var next []string
		for _, n := range left {
			err := s.Tags.Delete(ctx, n, "test")
			if errors.Is(err, tag.ErrInUse) {
				next = append(next, n)
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if len(next) == len(left) {
			t.Fatalf("cannot delete %v", next)
		}
		left = next
	}
	again := open(t, st, dir, day("2025-06-01"))
	if n := len(again.Tags.Names()); n != 0 {
		t.Errorf("%d tags after reopening a store whose tags were deleted, want 0", n)
	}
}

// Stored settings drive the next recompute, and survive a restart.
func TestSettingsDriveRecompute(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	asOf := day("2025-06-01")
	s := open(t, st, dir, asOf)
	set, err := feature.ParseSettings([]byte("lifecycle: {new_for_days: 1, silent_after_days: 5, churn_after_days: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.PutSettings(ctx, set, "test")
	if err != nil || v.Version != 1 {
		t.Fatalf("put settings: version %d, %v", v.Version, err)
	}
	if _, err := s.Recompute(ctx, asOf, false); err != nil {
		t.Fatal(err)
	}
	// c1's last order was on 2025-05-09, 23 days before: churned by these thresholds
	row, _ := s.Table().Index(1)
	if got := s.Table().Text["lifecycle_stage"][row]; got != "churned" {
		t.Errorf("lifecycle with churn after 10 days: %q, want churned", got)
	}
	again := open(t, st, dir, asOf)
	if got := again.Settings(); got.Version != 1 || got.Settings.Lifecycle.ChurnAfterDays != 10 {
		t.Errorf("settings after reopening: %+v", got)
	}
}

// A batch that moves the table to a later day re-derives every customer;
// tags and segments must follow for all of them, not only the batch's.
func TestApplyToANewDayReevaluatesEveryone(t *testing.T) {
	ctx := context.Background()
	st, dir := shop(t)
	asOf := day("2025-06-01")
	s := open(t, st, dir, asOf)
	if _, err := s.Recompute(ctx, asOf, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Segs.Save(ctx, segment.Segment{Name: "gone", Rule: "churned"}, "test"); err != nil {
		t.Fatal(err)
	}
	count := func(rule string) uint64 {
		t.Helper()
		n, err := s.Count(ctx, rule)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("churned"); n != 0 {
		t.Fatalf("churned before: %d", n)
	}
	// a year later customer 2 looks at an item: both customers have churned
	ev := store.Event{ID: 1, Source: "shop", CustomerID: 2, Type: "view", At: asOf.AddDate(1, 0, 0), ItemID: "i1"}
	if _, err := s.Apply(ctx, nil, []store.Event{ev}); err != nil {
		t.Fatal(err)
	}
	want := count(`lifecycle_stage == "churned"`)
	if want != 2 {
		t.Fatalf("lifecycle churned after a year: %d, want 2", want)
	}
	if got := count("churned"); got != want {
		t.Errorf("tag churned: %d customers, lifecycle says %d", got, want)
	}
	if info, err := s.Segs.Get("gone"); err != nil || info.Count != int64(want) {
		t.Errorf("segment gone: %+v %v, want %d members", info, err, want)
	}
}
