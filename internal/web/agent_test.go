package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/web"
)

// agentAllowed are the console routes an agent may use besides the public
// ones: the call workbench and logging out.
var agentAllowed = map[string]bool{"GET /calls": true, "GET /calls/{id}": true, "POST /calls/{id}/take": true,
	"POST /calls/{id}/result": true, "POST /logout": true}

// TestAgentRoleMatrix opens every console route with an agent's session:
// 403 on each but the public ones and the call workbench. An operator's
// session is refused none of the read routes (it posts nothing: the shop
// is shared).
func TestAgentRoleMatrix(t *testing.T) {
	s, srv := server(t)
	tasks := addQueueTasks(t, s, "agent_matrix", 20, "nobody")
	fill := strings.NewReplacer("{$}", "", "{id}", strconv.FormatInt(tasks[0].ID, 10), "{name}", "vip", "{action}", "pause")
	for _, role := range []string{store.RoleAgent, store.RoleOperator} {
		c := loggedIn(t, srv, s, role)
		for _, pattern := range web.RoutePatterns() {
			method, path, _ := strings.Cut(pattern, " ")
			if pattern == "POST /logout" || (role != store.RoleAgent && method == http.MethodPost) {
				continue // logging out below, last; an operator's changes would change the shared shop
			}
			if pattern == "GET /" {
				path = "/no/such/page"
			}
			path = fill.Replace(path)
			var code int
			var body string
			if method == http.MethodGet {
				code, body = c.get(path)
			} else {
				code, body, _ = c.post(path, url.Values{"result": {"not_interested"}})
			}
			public := strings.HasPrefix(pattern, "GET /login") || strings.HasPrefix(pattern, "POST /login") || pattern == "GET /lang" || pattern == "GET /"
			refused := code == http.StatusForbidden && strings.Contains(body, "A key with the role "+role+" may not do this")
			switch {
			case role == store.RoleAgent && !public && !agentAllowed[pattern]:
				if !refused {
					t.Errorf("agent %s (%s): %d, want 403", pattern, path, code)
				}
			case role == store.RoleAgent:
				if code == http.StatusForbidden {
					t.Errorf("agent %s (%s): 403, want allowed", pattern, path)
				}
			case method == http.MethodGet && pattern != "GET /import" && code == http.StatusForbidden:
				t.Errorf("operator %s: 403", pattern)
			}
		}
		if code, _, h := c.post("/logout", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/login" {
			t.Errorf("%s logs out: %d %s", role, code, h.Get("Location"))
		}
	}
	// the agent lands on the call queue, whose bar offers nothing else
	c := newClient(t, srv)
	c.get("/login")
	code, _, h := c.post("/login", url.Values{"key": {s.keys[store.RoleAgent]}, "next": {"/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/calls" {
		t.Errorf("an agent's login goes to %d %s, want the call queue", code, h.Get("Location"))
	}
	_, body := c.get("/calls")
	for _, section := range []string{`href="/customers"`, `href="/campaigns"`, `href="/segments"`, `href="/customers/`} {
		if strings.Contains(body, section) {
			t.Errorf("the agent's queue links to %s, which it may not open", section)
		}
	}
}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestCallPhoneNeedToKnow: the agent who holds a task sees the customer's
// phone with a tel: link, and the reveal is logged without the number;
// another agent, an operator and the holder once the result is recorded see
// it masked; a customer who opted out of calls since shows no number at all.
func TestCallPhoneNeedToKnow(t *testing.T) {
	s := newShop(t)
	logs := &logBuffer{}
	h := web.New(web.Options{Store: s.st, Insight: s.in, Marketing: s.mk, Recommend: s.rec,
		Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	// the customer with a phone (+86 138 0013 8000), and another with one who opts out of calls
	var optOut int64
	for id := int64(1); id < 2000 && optOut == 0; id++ {
		if ph, err := s.st.AddressesOf(ctx, store.KindPhone, []int64{id}); err == nil && ph[id] != "" && id != s.xssID {
			optOut = id
		}
	}
	if optOut == 0 {
		t.Fatal("no customer of the shop has a phone")
	}
	now := time.Now().UTC()
	tasks := []store.CallTask{
		{Campaign: "phone_test", CustomerID: s.xssID, State: store.CallOpen, CreatedAt: now, UpdatedAt: now},
		{Campaign: "phone_test", CustomerID: optOut, State: store.CallOpen, CreatedAt: now, UpdatedAt: now},
	}
	err := s.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
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
	agent, other, op := newClient(t, srv), newClient(t, srv), newClient(t, srv)
	agent.login(s.keys[store.RoleAgent])
	other.login(s.keys["agent2"])
	op.login(s.keys[store.RoleOperator])
	a, b := "/calls/"+strconv.FormatInt(tasks[0].ID, 10), "/calls/"+strconv.FormatInt(tasks[1].ID, 10)
	phones, err := s.st.AddressesOf(ctx, store.KindPhone, []int64{s.xssID, optOut})
	if err != nil || len(phones) != 2 {
		t.Fatalf("phones %v, %v", phones, err)
	}
	phone := phones[s.xssID] // +86 138 0013 8000 as the identity stores it
	dial := `href="tel:` + phone + `"`
	masked := func(who string, c *client, path string) {
		t.Helper()
		code, body := c.get(path)
		if code != http.StatusOK || strings.Contains(body, phone) || strings.Contains(body, `id="dial"`) || !strings.Contains(body, "•••") {
			t.Errorf("%s sees %s: %d, phone shown %v, want it masked", who, path, code, strings.Contains(body, phone))
		}
	}
	masked("the agent before taking it", agent, a)
	if code, _, _ := agent.post(a+"/take", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("take: %d", code)
	}
	code, body := agent.get(a)
	if code != http.StatusOK || !strings.Contains(body, phone) || !strings.Contains(body, dial) {
		t.Errorf("the holder does not see the number to dial: %d\n%s", code, body[strings.Index(body, `id="call-customer"`):][:600])
	}
	key := keyID(s.keys[store.RoleAgent])
	if line := logs.String(); !strings.Contains(line, `"msg":"call task phone shown","key_id":"`+key+`","task_id":`+strconv.FormatInt(tasks[0].ID, 10)+
		`,"customer_id":`+strconv.FormatInt(s.xssID, 10)) || strings.Contains(line, phone) {
		t.Errorf("the reveal is not logged as it should be:\n%s", line)
	}
	masked("another agent", other, a)
	masked("an operator", op, a)
	if code, _, _ := other.post(a+"/result", url.Values{"result": {"intent"}}); code != http.StatusForbidden {
		t.Errorf("another agent records a result of a task it does not hold: %d, want 403", code)
	}
	if code, _, _ := agent.post(a+"/result", url.Values{"result": {"intent"}}); code != http.StatusSeeOther {
		t.Fatalf("result: %d", code)
	}
	masked("the holder after the result", agent, a)

	// an opt-out after the task was made: no number, and the page says why
	err = s.st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.PutConsent(ctx, store.Consent{CustomerID: optOut, Channel: "call", Status: store.ConsentOptOut, At: now, Source: "hotline"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, _ := agent.post(b+"/take", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("take: %d", code)
	}
	code, body = agent.get(b)
	if code != http.StatusOK || !strings.Contains(body, `id="no-call"`) || strings.Contains(body, `id="dial"`) ||
		strings.Contains(body, phones[optOut]) || strings.Contains(body, "tel:") {
		t.Errorf("a customer who opted out of calls is dialable: %d", code)
	}
}
