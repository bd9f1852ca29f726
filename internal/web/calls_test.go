package web_test

import (
	"context"
	"html"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// keyID is the public id of a secret (sgt_ID_SECRET).
func keyID(secret string) string { return strings.Split(secret, "_")[1] }

var (
	openRowRE = regexp.MustCompile(`<tr[^>]*><td><a href="/calls/(\d+)">`)
	linkRE    = regexp.MustCompile(`href="([^"]+)" rel="(prev|next)"`)
)

// queueIDs returns the task ids of a table of the queue page and its
// previous and next page links.
func queueIDs(t *testing.T, body, table string) (ids []int64, prev, next string) {
	t.Helper()
	i := strings.Index(body, `id="`+table+`"`)
	if i < 0 {
		t.Fatalf("no table %s on the page", table)
	}
	part := body[i:]
	if j := strings.Index(part, "</table>"); j >= 0 {
		part = part[:j]
	}
	for _, m := range openRowRE.FindAllStringSubmatch(part, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		ids = append(ids, id)
	}
	for _, m := range linkRE.FindAllStringSubmatch(body, -1) {
		if m[2] == "prev" {
			prev = html.UnescapeString(m[1])
		} else {
			next = html.UnescapeString(m[1])
		}
	}
	return ids, prev, next
}

// addQueueTasks stores n tasks of a campaign of their own: open ones, call
// backs due and to come, tasks of the agent and done ones.
func addQueueTasks(t *testing.T, s *shop, name string, n int, agent string) []store.CallTask {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	now := time.Now().UTC()
	tasks := make([]store.CallTask, n)
	err := s.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for i := range tasks {
			tk := store.CallTask{Campaign: name, CustomerID: int64(i + 1), State: store.CallOpen, CreatedAt: now, UpdatedAt: now}
			switch rng.IntN(6) {
			case 0:
				tk.State, tk.Assignee = store.CallAssigned, agent
			case 1:
				tk.State, tk.Result = store.CallDone, store.ContactIntent
			case 2:
				tk.Result, tk.Assignee = store.ContactCallBack, "someone"
				tk.CallbackAt = now.Add(time.Duration(rng.IntN(48)-24) * time.Hour).Truncate(time.Minute)
			}
			if _, err := tx.PutCallTask(ctx, &tk); err != nil {
				return err
			}
			tasks[i] = tk
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// TestCallQueuePaging pages through the open tasks of a campaign of 3,000
// with the queue's next and previous links: the pages one after the other
// are the open tasks in queue order (a full scan), going back gives the
// same pages, and the counts shown are the full scan's.
func TestCallQueuePaging(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	tasks := addQueueTasks(t, s, "queue_paging", 3000, keyID(s.keys[store.RoleOperator]))
	now := time.Now()
	var open []store.CallTask
	var mine, done, taken int
	for _, tk := range tasks {
		switch {
		case tk.State == store.CallOpen:
			open = append(open, tk)
		case tk.State == store.CallDone:
			done++
		default:
			taken++
			mine++
		}
	}
	slices.SortFunc(open, func(a, b store.CallTask) int {
		if store.CallLess(a.Cursor(), b.Cursor(), now) {
			return -1
		}
		return 1
	})
	var want []int64
	for _, tk := range open {
		want = append(want, tk.ID)
	}

	code, body := c.get("/calls?campaign=queue_paging")
	if code != http.StatusOK {
		t.Fatalf("GET the queue: %d", code)
	}
	if !strings.Contains(body, "("+formatThousands(uint64(len(open)))+")") {
		t.Errorf("the queue does not show %d open tasks", len(open))
	}
	if !strings.Contains(body, formatThousands(uint64(done))+" calls done") || !strings.Contains(body, formatThousands(uint64(taken))+" calls taken") {
		t.Errorf("the queue does not count %d done and %d taken", done, taken)
	}
	myIDs, _, _ := queueIDs(t, body, "my-calls")
	if len(myIDs) != min(mine, 100) || (mine > 100) != strings.Contains(body, `id="more-mine"`) {
		t.Errorf("my calls: %d shown of %d", len(myIDs), mine)
	}
	var got []int64
	var pages []string
	path := "/calls?campaign=queue_paging"
	for path != "" {
		code, body := c.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		ids, _, next := queueIDs(t, body, "open-calls")
		if len(ids) == 0 || len(ids) > 50 {
			t.Fatalf("GET %s: %d tasks", path, len(ids))
		}
		got = append(got, ids...)
		pages = append(pages, body)
		path = next
		if len(pages) > len(want) {
			t.Fatal("the next links do not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the pages hold %d tasks, want the %d open ones in queue order", len(got), len(want))
	}
	// back from the last page to the first
	_, prev, _ := queueIDs(t, pages[len(pages)-1], "open-calls")
	for i := len(pages) - 2; i >= 0; i-- {
		if prev == "" {
			t.Fatalf("page %d has no previous link", i+2)
		}
		code, body := c.get(prev)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", prev, code)
		}
		ids, p, _ := queueIDs(t, body, "open-calls")

		wantIDs, _, _ := queueIDs(t, pages[i], "open-calls")
		if !slices.Equal(ids, wantIDs) {
			t.Fatalf("previous page %d: %v, want %v", i+1, ids, wantIDs)
		}
		prev = p
	}
	if prev != "" {
		t.Errorf("the first page reached backward has a previous link %s", prev)
	}
	for _, bad := range []string{"after=x", "after=1", "before=-1.2", "after=0.1&before=0.2", "at=soon&after=0.1"} {
		if code, _ := c.get("/calls?campaign=queue_paging&" + bad); code != http.StatusBadRequest {
			t.Errorf("GET /calls?%s: %d, want 400", bad, code)
		}
	}

	// the campaign's report counts the results as a full scan does
	if _, err := s.mk.Campaigns.Save(t.Context(), campaign.Campaign{Name: "queue_paging", Rule: "frequency >= 1", Channels: []string{campaign.Call},
		Script: "Hello"}, "test"); err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, tk := range tasks {
		results[tk.Result]++
	}
	code, body = c.get("/campaigns/queue_paging/report")
	if code != http.StatusOK {
		t.Fatalf("GET the campaign's report: %d", code)
	}
	for key, label := range map[string]string{"": "not called yet", store.ContactIntent: "intent", store.ContactCallBack: "call back"} {
		if !strings.Contains(body, "<tr><td>"+label+`</td><td class="num">`+formatThousands(uint64(results[key]))+"</td></tr>") {
			t.Errorf("the campaign's report does not count %d tasks %q", results[key], label)
		}
	}
}
