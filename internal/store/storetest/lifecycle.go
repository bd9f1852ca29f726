package storetest

import (
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func testLifecycleSnapshots(t *testing.T, s store.Store) {
	ctx := t.Context()
	counts := func(kv ...any) []store.StageCount {
		var out []store.StageCount
		for i := 0; i < len(kv); i += 2 {
			out = append(out, store.StageCount{Stage: kv[i].(string), Customers: int64(kv[i+1].(int))})
		}
		return out
	}
	first := store.LifecycleSnapshot{At: t1, AsOf: t0, Stages: counts("prospect", 3, "active", 5, "churned", 0)}
	// flows sort by From then To in byte order: "" (entered) and upper case first
	second := store.LifecycleSnapshot{At: t3, AsOf: t2, PrevAt: t1, PrevAsOf: t0,
		Stages: counts("prospect", 2, "active", 6, "churned", 1),
		Flows: []store.StageFlow{
			{From: "", To: "active", Customers: 1}, {From: "Zeta ü", To: "", Customers: 2},
			{From: "active", To: "active", Customers: 4}, {From: "active", To: "churned", Customers: 1},
			{From: "prospect", To: "", Customers: 1}, {From: "prospect", To: "high_churn_risk", Customers: 7},
			{From: "prospect", To: "won_back", Customers: 9},
		}}
	// taken later, of an older table (a recompute as of an earlier date)
	older := store.LifecycleSnapshot{At: t5, AsOf: t0.Add(-time.Hour), Stages: counts("active", 1)}
	replaced := store.LifecycleSnapshot{At: t4, AsOf: t3, PrevAt: t3, PrevAsOf: t2,
		Stages: counts("a", 1, "b", 2, "c", 3), Flows: []store.StageFlow{{From: "a", To: "b", Customers: 1}, {From: "b", To: "c", Customers: 2}}}
	again := store.LifecycleSnapshot{At: t4, AsOf: t4, Stages: counts("active", 8)} // same At: replaces, rows and all
	empty := store.LifecycleSnapshot{At: t6, AsOf: t6}
	for _, ls := range []store.LifecycleSnapshot{second, first, older, replaced, again, empty} {
		if err := s.AddLifecycleSnapshot(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	list := must[[]store.LifecycleSnapshot](t, "lifecycle snapshots")
	cases := []struct {
		name     string
		from, to time.Time
		want     []store.LifecycleSnapshot
	}{
		{"all, by as-of then at", time.Time{}, time.Time{}, []store.LifecycleSnapshot{older, first, second, again, empty}},
		{"inclusive as-of range", t0, t2, []store.LifecycleSnapshot{first, second}},
		{"from", t4, time.Time{}, []store.LifecycleSnapshot{again, empty}},
		{"to", time.Time{}, t0.Add(-time.Hour), []store.LifecycleSnapshot{older}},
		{"empty range", t0.Add(-3 * time.Hour), t0.Add(-2 * time.Hour), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, "snapshots", list(s.LifecycleSnapshots(ctx, tc.from, tc.to)), tc.want)
		})
	}
	if got := list(s.LifecycleSnapshots(ctx, t2, t2)); len(got) != 1 || !got[0].HasFlows() {
		t.Errorf("the second snapshot: %+v, want one with flows", got)
	}
	if got := list(s.LifecycleSnapshots(ctx, t0, t0)); len(got) != 1 || got[0].HasFlows() {
		t.Errorf("the first snapshot: %+v, want one without flows", got)
	}
}
