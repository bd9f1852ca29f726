package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

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
