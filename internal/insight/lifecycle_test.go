package insight_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// flowsOf returns a snapshot's flows as "from>to" → customers.
func flowsOf(ls store.LifecycleSnapshot) map[string]int64 {
	out := map[string]int64{}
	for _, f := range ls.Flows {
		out[f.From+">"+f.To] = f.Customers
	}
	return out
}

func countsOf(ls store.LifecycleSnapshot) map[string]int64 {
	out := map[string]int64{}
	for _, c := range ls.Stages {
		if c.Customers != 0 {
			out[c.Stage] = c.Customers
		}
	}
	return out
}

func sameMap(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", what, got, want)
			return
		}
	}
}

// lifecycleShop is a shop whose customers are each in a known stage on
// 2025-06-01 (fallback thresholds: new for 30 days, silent after 90,
// churned after 180).
func lifecycleShop(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	importFile(t, st, dir, ingest.KindCustomers, "crm", "customer,email\nd,\nh,x@example.com\n")
	importFile(t, st, dir, ingest.KindOrders, "shop", "order,customer,time,item,quantity,unit_price\n"+
		"a1,a,2025-02-20 10:00:00,i1,1,50\n"+ // active on 06-01, silent on 07-01
		"a2,a,2025-03-20 10:00:00,i1,1,50\n"+
		"b1,b,2025-05-25 10:00:00,i1,1,50\n"+ // new, then active
		"c1,c,2024-10-01 10:00:00,i1,1,50\n"+ // churned, then won back (order of 06-25)
		"e1,e,2025-02-01 10:00:00,i1,1,50\n"+ // silent, and still
		"e2,e,2025-02-15 10:00:00,i1,1,50\n"+
		"g1,g,2025-04-15 10:00:00,i1,1,50\n") // active, then merged into h
	return st
}

// Two snapshots a month apart, across a restart: the counts of each and the
// exact flows, with a customer who entered and one merged away.
func TestLifecycleFlows(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := lifecycleShop(t, dir)
	now := day("2025-06-01")
	in, err := insight.Open(ctx, st, insight.Options{DataDir: dir, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Recompute(ctx, now, true); err != nil {
		t.Fatal(err)
	}
	want1 := map[string]int64{"prospect": 2, "new": 1, "active": 2, "silent": 1, "churned": 1}
	got, err := st.LifecycleSnapshots(ctx, time.Time{}, time.Time{})
	if err != nil || len(got) != 1 {
		t.Fatalf("snapshots after the first compute: %+v, %v", got, err)
	}
	if got[0].HasFlows() || len(got[0].Flows) != 0 {
		t.Errorf("the first snapshot has flows: %+v", got[0])
	}
	sameMap(t, "first counts", countsOf(got[0]), want1)
	st.Close()

	// a restart later: new orders, a new customer, a merge
	now = day("2025-07-01")
	st, err = sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	importFile(t, st, dir, ingest.KindOrders, "crm", "order,customer,time,item,quantity,unit_price\n"+
		"d1,d,2025-06-20 10:00:00,i1,1,50\n") // prospect → new
	importFile(t, st, dir, ingest.KindOrders, "shop", "order,customer,time,item,quantity,unit_price\n"+
		"c2,c,2025-06-25 10:00:00,i1,1,50\n"+
		"f1,f,2025-06-28 10:00:00,i1,1,50\n") // f enters as new
	if sum := importFile(t, st, dir, ingest.KindCustomers, "shop", "customer,email\ng,x@example.com\n"); sum.Merged != 1 {
		t.Fatalf("merge: %+v", sum)
	}
	in, err = insight.Open(ctx, st, insight.Options{DataDir: dir, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Recompute(ctx, now, true); err != nil {
		t.Fatal(err)
	}
	got, err = st.LifecycleSnapshots(ctx, time.Time{}, time.Time{})
	if err != nil || len(got) != 2 {
		t.Fatalf("snapshots after the second compute: %+v, %v", got, err)
	}
	sameMap(t, "first counts after the restart", countsOf(got[0]), want1)
	second := got[1]
	if !second.PrevAt.Equal(day("2025-06-01")) || !second.PrevAsOf.Equal(day("2025-06-01")) || !second.AsOf.Equal(now) {
		t.Errorf("second snapshot: at %v as of %v, previous %v as of %v", second.At, second.AsOf, second.PrevAt, second.PrevAsOf)
	}
	sameMap(t, "second counts", countsOf(second), map[string]int64{"new": 2, "active": 2, "won_back": 1, "silent": 2})
	sameMap(t, "flows", flowsOf(second), map[string]int64{
		"prospect>new": 1, "prospect>active": 1, // d bought; h holds g's order
		"new>active": 1, "active>silent": 1, "active>": 1, // b; a; g merged into h
		"churned>won_back": 1, "silent>silent": 1, ">new": 1, // c; e; f
	})

	// an hour later: counts only, the flow base stays
	now = now.Add(time.Hour)
	rec, ok, err := in.RecordLifecycle(ctx)
	if err != nil || !ok || rec.HasFlows() {
		t.Fatalf("an hour later: %+v, %v, %v; want counts only", rec, ok, err)
	}
	// two days on, the table advanced: flows from the snapshot of 07-01
	now = day("2025-07-03")
	if err := in.Advance(ctx, now); err != nil {
		t.Fatal(err)
	}
	rec, _, err = in.RecordLifecycle(ctx)
	if err != nil || !rec.PrevAt.Equal(day("2025-07-01")) {
		t.Fatalf("two days on: %+v, %v; want flows from 2025-07-01", rec, err)
	}
	sameMap(t, "flows of two quiet days", flowsOf(rec), map[string]int64{"new>new": 2, "active>active": 2, "won_back>won_back": 1, "silent>silent": 2})
}

// A previous snapshot that cannot be read is reported and replaced: that
// snapshot records counts only, and the next one counts flows again.
func TestLifecycleCorruptBase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := lifecycleShop(t, dir)
	defer st.Close()
	var logs bytes.Buffer
	now := day("2025-06-01")
	in, err := insight.Open(ctx, st, insight.Options{DataDir: dir, Clock: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Recompute(ctx, now, true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, lifecycle.File)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		name string
		body []byte
	}{
		{"truncated", b[:len(b)-5]},
		{"a byte changed", append(append([]byte(nil), b[:40]...), append([]byte{b[40] ^ 1}, b[41:]...)...)},
		{"not a snapshot", []byte("hello")},
		{"empty", nil},
	} {
		t.Run(bad.name, func(t *testing.T) {
			logs.Reset()
			if err := os.WriteFile(path, bad.body, 0o644); err != nil {
				t.Fatal(err)
			}
			now = now.AddDate(0, 0, 2)
			if err := in.Advance(ctx, now); err != nil {
				t.Fatal(err)
			}
			rec, ok, err := in.RecordLifecycle(ctx)
			if err != nil || !ok || rec.HasFlows() {
				t.Fatalf("over a %s base: %+v, %v, %v; want counts only", bad.name, rec, ok, err)
			}
			if !strings.Contains(logs.String(), "previous snapshot cannot be read") || !strings.Contains(logs.String(), "corrupt") {
				t.Errorf("no warning: %q", logs.String())
			}
			if _, err := lifecycle.ReadFile(path); err != nil {
				t.Errorf("the base was not replaced: %v", err)
			}
		})
	}
	now = now.AddDate(0, 0, 2)
	if err := in.Advance(ctx, now); err != nil {
		t.Fatal(err)
	}
	if rec, _, err := in.RecordLifecycle(ctx); err != nil || !rec.HasFlows() {
		t.Errorf("after a fresh start: %+v, %v; want flows", rec, err)
	}
}
