package api_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestAgentCalls: an agent lists call tasks, takes one for itself only, and
// records the result of a task it holds only; other routes are refused.
func TestAgentCalls(t *testing.T) {
	e, _, _ := newMarketingEnv(t, 50)
	ctx := context.Background()
	tasks := []store.CallTask{
		{Campaign: "hotline", CustomerID: 1, State: store.CallOpen, CreatedAt: now, UpdatedAt: now},
		{Campaign: "hotline", CustomerID: 2, State: store.CallOpen, CreatedAt: now, UpdatedAt: now},
	}
	err := e.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for i := range tasks {
			if _, err := tx.PutCallTask(ctx, &tasks[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	other := e.addKey(t, store.RoleAgent)
	me := strings.Split(e.keys[store.RoleAgent], "_")[1]
	id := strconv.FormatInt(tasks[0].ID, 10)
	e.mustDo(t, req{method: "GET", path: "/v1/calls?campaign=hotline", role: store.RoleAgent}, 200, nil)
	e.mustDo(t, req{method: "GET", path: "/v1/customers/1", role: store.RoleAgent}, 403, nil)
	e.mustDo(t, req{method: "GET", path: "/v1/campaigns", role: store.RoleAgent}, 403, nil)
	e.mustDo(t, req{method: "POST", path: "/v1/calls/" + id + "/assign", role: store.RoleAgent, body: `{"assignee":"someone"}`}, 403, nil)
	var got store.CallTask
	e.mustDo(t, req{method: "POST", path: "/v1/calls/" + id + "/assign", role: store.RoleAgent, body: `{}`}, 200, &got)
	if got.Assignee != me || got.State != store.CallAssigned {
		t.Errorf("assigned: %+v, want the agent's key %s", got, me)
	}
	result := `{"result":"intent","note":"yes"}`
	e.mustDo(t, req{method: "POST", path: "/v1/calls/" + id + "/result", role: other, body: result}, 403, nil)
	e.mustDo(t, req{method: "POST", path: "/v1/calls/" + strconv.FormatInt(tasks[1].ID, 10) + "/result", role: store.RoleAgent, body: result}, 403, nil)
	e.mustDo(t, req{method: "POST", path: "/v1/calls/" + id + "/result", role: store.RoleAgent, body: result}, 200, &got)
	if got.State != store.CallDone || got.Result != store.ContactIntent {
		t.Errorf("after the result: %+v", got)
	}
	// an operator still assigns to anyone
	r := e.mustDo(t, req{method: "POST", path: "/v1/calls/" + strconv.FormatInt(tasks[1].ID, 10) + "/assign", role: store.RoleOperator,
		body: `{"assignee":"desk-7"}`}, 200, nil)
	if err := json.Unmarshal(r.body, &got); err != nil || got.Assignee != "desk-7" {
		t.Errorf("operator's assignment: %+v %v", got, err)
	}
}

// TestCallsPaged walks GET /v1/calls?limit= through its Link headers: the
// pages one after the other are the open tasks in queue order (a full scan
// sorted), with the filters kept; bad limits and tokens are 400.
func TestCallsPaged(t *testing.T) {
	e, _, _ := newMarketingEnv(t, 50)
	ctx := context.Background()
	clock := now // the API's clock in newMarketingEnv is markettest.AsOf; the order is cut there
	var all []store.CallTask
	err := e.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for i := range 230 {
			tk := store.CallTask{Campaign: "paged", CustomerID: int64(i + 1), State: store.CallOpen, CreatedAt: clock, UpdatedAt: clock}
			switch i % 4 {
			case 1:
				tk.Result, tk.CallbackAt = store.ContactCallBack, clock.AddDate(14, 0, 0).Add(time.Duration(i%7)*time.Hour) // later, some at the same time
			case 2:
				tk.Result, tk.CallbackAt = store.ContactCallBack, clock.Add(time.Duration(i%5)*time.Hour) // due long ago
			case 3:
				tk.State, tk.Assignee = store.CallAssigned, "desk-1"
			}
			if _, err := tx.PutCallTask(ctx, &tk); err != nil {
				return err
			}
			all = append(all, tk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var asOf time.Time
	var want []int64
	var open []store.CallTask
	for _, tk := range all {
		if tk.State == store.CallOpen {
			open = append(open, tk)
		}
	}
	first := e.mustDo(t, req{method: "GET", path: "/v1/calls?campaign=paged&state=open&limit=40", role: store.RoleAgent}, 200, nil)
	link := regexp.MustCompile(`^</v1/calls\?([^>]+)>; rel="next"$`)
	m := link.FindStringSubmatch(first.header.Get("Link"))
	if m == nil {
		t.Fatalf("first page: Link %q", first.header.Get("Link"))
	}
	at, _ := strconv.ParseInt(strings.Split(strings.Split(m[1], "after=")[1], ".")[0], 10, 64)
	asOf = time.UnixMicro(at).UTC()
	slices.SortFunc(open, func(a, b store.CallTask) int {
		if store.CallLess(a.Cursor(), b.Cursor(), asOf) {
			return -1
		}
		return 1
	})
	for _, tk := range open {
		want = append(want, tk.ID)
	}
	var got []int64
	path := "/v1/calls?campaign=paged&state=open&limit=40"
	for pages := 0; path != ""; pages++ {
		var ts []store.CallTask
		r := e.mustDo(t, req{method: "GET", path: path, role: store.RoleAgent}, 200, &ts)
		if len(ts) == 0 || len(ts) > 40 || pages > 10 {
			t.Fatalf("GET %s: %d tasks (page %d)", path, len(ts), pages)
		}
		for _, tk := range ts {
			got = append(got, tk.ID)
		}
		path = ""
		if m := link.FindStringSubmatch(r.header.Get("Link")); m != nil {
			path = "/v1/calls?" + m[1]
			if !strings.Contains(m[1], "campaign=paged") || !strings.Contains(m[1], "state=open") {
				t.Errorf("the next link drops a filter: %s", m[1])
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the pages hold %v,\nwant the open tasks in queue order %v", got, want)
	}
	var mine []store.CallTask
	e.mustDo(t, req{method: "GET", path: "/v1/calls?assignee=desk-1&state=assigned&limit=500", role: store.RoleOperator}, 200, &mine)
	if len(mine) != len(all)/4 {
		t.Errorf("desk-1 holds %d tasks, want %d", len(mine), len(all)/4)
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "limit=5&after=1.2", "limit=5&after=a.b.c", "assignee=desk-1", "after=1.0.5"} {
		e.mustDo(t, req{method: "GET", path: "/v1/calls?" + bad, role: store.RoleOperator}, 400, nil)
	}
}
