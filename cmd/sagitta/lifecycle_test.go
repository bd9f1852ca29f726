package main_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The demo computes the features a month before the shop's last day, then
// on it, so the lifecycle flows of that month are there at once; running it
// again records stage counts but no second flow of the same month.
func TestDemoRecordsLifecycleFlows(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	mustRun(t, "demo", "--no-serve", "--customers", "600", "--seed", "5", "--data-dir", data)
	var rep struct {
		Snapshots []struct {
			AsOf   string `json:"as_of"`
			PrevAt string `json:"prev_at"`
			Stages []struct {
				Customers int64 `json:"customers"`
			} `json:"stages"`
			Flows []struct {
				From, To  string
				Customers int64
			} `json:"flows"`
		} `json:"snapshots"`
	}
	read := func() {
		t.Helper()
		out := mustRun(t, "lifecycle", "flows", "--json", "--data-dir", data)
		rep.Snapshots = nil // Unmarshal would keep the fields an element lacks
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	read()
	if len(rep.Snapshots) != 2 || rep.Snapshots[0].PrevAt != "" || rep.Snapshots[1].PrevAt == "" {
		t.Fatalf("after the demo: %+v; want a snapshot with counts, then one with flows", rep.Snapshots)
	}
	var counted, flowed int64
	for _, c := range rep.Snapshots[0].Stages {
		counted += c.Customers
	}
	for _, f := range rep.Snapshots[1].Flows {
		if f.To != "" {
			flowed += f.Customers
		}
	}
	if counted < 500 || flowed < 500 {
		t.Errorf("%d customers in the first snapshot, %d in the flows", counted, flowed)
	}
	moved := false
	for _, f := range rep.Snapshots[1].Flows {
		moved = moved || f.From != f.To
	}
	if !moved {
		t.Errorf("nobody changed stage in a month: %+v", rep.Snapshots[1].Flows)
	}
	out := mustRun(t, "lifecycle", "flows", "--data-dir", data)
	if !strings.Contains(out, "Lifecycle flows from") || !strings.Contains(out, "high_churn_risk") {
		t.Errorf("lifecycle flows:\n%s", out)
	}

	mustRun(t, "demo", "--no-serve", "--customers", "600", "--seed", "5", "--data-dir", data)
	read()
	withFlows := 0
	for _, s := range rep.Snapshots {
		if s.PrevAt != "" {
			withFlows++
		}
	}
	if len(rep.Snapshots) != 4 || withFlows != 1 {
		t.Errorf("after a second demo: %d snapshots, %d with flows; want 4 and 1: %s", len(rep.Snapshots), withFlows, mustRun(t, "lifecycle", "flows", "--json", "--data-dir", data))
	}
}
