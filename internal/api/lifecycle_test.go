package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/store"
)

func TestLifecycleFlows(t *testing.T) {
	e := newEnv(t, api.Options{})
	d1, d2 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, ls := range []store.LifecycleSnapshot{
		{At: d1, AsOf: d1, Stages: []store.StageCount{{Stage: "active", Customers: 3}}},
		{At: d2, AsOf: d2, PrevAt: d1, PrevAsOf: d1, Stages: []store.StageCount{{Stage: "active", Customers: 2}, {Stage: "silent", Customers: 1}},
			Flows: []store.StageFlow{{From: "", To: "active", Customers: 1}, {From: "active", To: "", Customers: 1}, {From: "active", To: "active", Customers: 1}, {From: "active", To: "silent", Customers: 1}}},
	} {
		if err := e.st.AddLifecycleSnapshot(context.Background(), ls); err != nil {
			t.Fatal(err)
		}
	}
	count := func(n int) func(t *testing.T, r resp) {
		return func(t *testing.T, r resp) {
			var rep lifecycle.Report
			if err := unmarshal(r.body, &rep); err != nil || len(rep.Snapshots) != n {
				t.Errorf("%d snapshots, %v, want %d: %s", len(rep.Snapshots), err, n, r.body)
			}
		}
	}
	run(t, e, []scenario{
		{"all, for an analyst", req{method: "GET", path: "/v1/lifecycle/flows", role: "analyst"}, 200,
			[]string{`"prev_as_of":"2025-06-01T00:00:00Z"`, `{"from":"","to":"active","customers":1}`, `{"from":"active","to":"silent","customers":1}`}, count(2)},
		{"operator", req{method: "GET", path: "/v1/lifecycle/flows?from=2025-07-01", role: "operator"}, 200, nil, count(1)},
		{"to a date: its end", req{method: "GET", path: "/v1/lifecycle/flows?to=2025-06-01", role: "admin"}, 200, []string{`"flows":[]`}, count(1)},
		{"empty range", req{method: "GET", path: "/v1/lifecycle/flows?from=2024-01-01&to=2024-02-01", role: "admin"}, 200, []string{`{"snapshots":[]}`}, nil},
		{"bad from", req{method: "GET", path: "/v1/lifecycle/flows?from=June", role: "admin"}, 400, []string{`from: \"June\" is not YYYY-MM-DD`}, nil},
		{"to before from", req{method: "GET", path: "/v1/lifecycle/flows?from=2025-07-01&to=2025-06-01", role: "admin"}, 400, []string{"before"}, nil},
		{"no key", req{method: "GET", path: "/v1/lifecycle/flows"}, 401, nil, nil},
	})
}
