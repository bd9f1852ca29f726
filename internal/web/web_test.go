package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func server(t *testing.T) (*shop, *httptest.Server) {
	t.Helper()
	s := newShop(t)
	srv := httptest.NewServer(s.handler)
	t.Cleanup(srv.Close)
	return s, srv
}

func loggedIn(t *testing.T, srv *httptest.Server, s *shop, role string) *client {
	c := newClient(t, srv)
	c.login(s.keys[role])
	return c
}

func TestPagesRender(t *testing.T) {
	s, srv := server(t)
	xss := strconv.FormatInt(s.xssID, 10)
	classy := strconv.FormatInt(s.classy(t), 10)
	tests := []struct {
		path string
		code int
		want []string // substrings of the page
	}{
		{"/", 200, []string{"Value × loyalty", `id="value-loyalty"`, `id="rfm-heat"`, `id="lifecycle"`, "RFM segments", `id="chart-data"`,
			`data-chart="churn_hist"`, `data-chart="clv_hist"`, "customers scored by the model", "<td>high churn risk</td>"}},
		{"/customers", 200, []string{`id="customer-list"`, `rel="next"`}},
		{"/customers?page=2", 200, []string{`rel="prev"`}},
		{"/customers?segment=nope", 404, []string{"There is no segment named"}},
		{"/customers?q=crm:xss-1", 303, nil},
		{"/customers?q=nobody:here", 200, []string{"No customer matches"}},
		{"/customers?q=%3F%3F", 200, []string{"Use an id"}},
		{"/customers/" + xss, 200, []string{`id="identities"`, `id="attributes"`, "Merges", "Consent", `id="features"`}},
		{"/customers/" + classy, 200, []string{`id="tags"`, "Values that made it true", `id="class"`, `id="predictions"`, `id="churn-probability"`,
			`id="offers"`, "<strong>vip10</strong>", "Offer &lt;b&gt;10%&lt;/b&gt; off", `id="recommendations"`, `id="timeline"`, "&lt;i&gt;wants&lt;/i&gt; the blue one",
			`<a href="/campaigns/spring">spring</a>`, `id="channels"`}},
		{"/customers/999999999", 404, []string{"There is no customer"}},
		{"/customers/abc", 404, nil},
		{"/tags", 200, []string{`id="tag-list"`}},
		{"/tags/new", 200, []string{`data-live-count`, "What a rule may use"}},
		{"/tags/churned", 200, []string{"Versions"}},
		{"/tags/nope", 404, nil},
		{"/segments", 200, nil},
		{"/segments/new", 200, []string{`data-live-count`}},
		{"/segments/new?rule=class_b", 200, []string{">class_b</textarea>"}},
		{"/segments/nope", 404, nil},
		{"/admission", 200, []string{"Rule-based lists", "Put a customer on a list"}},
		{"/admission?list=white", 200, []string{`aria-current="page" class="list-white"`}},
		{"/models", 200, []string{`id="clv-by-x"`, `data-chart="clv"`, `id="churn-metrics"`, `data-chart="roc"`, `id="calibration"`, "cart-completion rules"}},
		{"/import", 200, []string{`id="import-form"`, `name="kind"`}},
		{"/offers", 200, []string{`id="offer-list"`, `href="/offers/new"`}},
		{"/offers/new", 200, []string{`id="offer-form"`, `name="valid_until"`}},
		{"/offers/vip10", 200, []string{`value="vip10"`, `value="VIP"`}},
		{"/offers/nope", 404, []string{"There is no offer named"}},
		{"/campaigns", 200, []string{`href="/campaigns/new"`}},
		{"/campaigns/new?segment=vip", 200, []string{`id="campaign-form"`, `<option value="vip" selected>`}},
		{"/campaigns/nope", 404, []string{"There is no campaign named"}},
		{"/campaigns/nope/preview", 404, nil},
		{"/calls", 200, []string{`id="my-calls"`, `id="open-calls"`}},
		{"/calls/999999", 404, []string{"There is no call task"}},
		{"/calls/abc", 404, nil},
		{"/nope", 404, []string{"There is no such page."}},
	}
	c := loggedIn(t, srv, s, store.RoleAdmin)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			code, body := c.get(tt.path)
			if code != tt.code {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, code, tt.code, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("GET %s: no %q in the page", tt.path, w)
				}
			}
		})
	}
}

func TestLoginRequired(t *testing.T) {
	_, srv := server(t)
	c := newClient(t, srv)
	for _, p := range []string{"/", "/customers/1", "/segments", "/admission"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		code, _, h := c.do(req)
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without a session: %d %s, want a redirect to /login", p, code, h.Get("Location"))
		}
	}
	if code, _ := c.get("/login"); code != 200 {
		t.Fatalf("GET /login: %d", code)
	}
	tests := []struct {
		key, want string
		code      int
	}{
		{"", "Enter an API key", 400},
		{"not-a-key", "That is not an API key", 401},
		{"sgt_aaaaaaaa_" + strings.Repeat("a", 52), "No such API key", 401},
	}
	for _, tt := range tests {
		code, body, _ := c.post("/login", url.Values{"key": {tt.key}})
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("login with %q: %d, want %d and %q", tt.key, code, tt.code, tt.want)
		}
	}
	// an open redirect through next is refused
	s := newShop(t)
	c.get("/login")
	code, _, h := c.post("/login", url.Values{"key": {s.keys[store.RoleAnalyst]}, "next": {"//evil.example/x"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Errorf("login with next=//evil.example: %d %q, want a redirect to /", code, h.Get("Location"))
	}
}

func TestSessionCookieAndLogout(t *testing.T) {
	s, srv := server(t)
	c := newClient(t, srv)
	c.get("/login")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(url.Values{"key": {s.keys[store.RoleAdmin]}, "csrf": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var found bool
	for _, ck := range res.Cookies() {
		if ck.Name == "sagitta_session" && ck.Value != "" {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || len(ck.Value) < 40 {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax and a long random value", ck)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie after login")
	}
	c.get("/")
	if code, _, h := c.post("/logout", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", code, h.Get("Location"))
	}
	if code, _ := c.get("/"); code != http.StatusSeeOther {
		t.Fatalf("GET / after logout: %d, want a redirect to the login", code)
	}
}

func TestCSRFRejected(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAdmin)
	good := c.csrf
	posts := []struct {
		path string
		form url.Values
	}{
		{"/segments", url.Values{"name": {"csrf_probe"}, "rule": {"class_a"}, "new": {"1"}}},
		{"/tags", url.Values{"name": {"csrf_probe"}, "kind": {"behaviour"}, "rule": {"class_a"}, "new": {"1"}}},
		{"/admission/add", url.Values{"list": {"black"}, "customer": {"1"}, "reason": {"probe"}}},
		{"/admission/remove", url.Values{"list": {"black"}, "customer": {"1"}}},
		{"/admission/rule", url.Values{"name": {"probe"}, "list": {"grey"}, "rule": {"class_a"}, "reason": {"probe"}}},
		{"/offers", url.Values{"name": {"csrf_probe"}, "type": {"content"}, "content": {"x"}, "code": {"none"}, "valid_until": {"2099-01-01"}, "budget_count": {"1"}, "new": {"1"}}},
		{"/campaigns", url.Values{"name": {"csrf_probe"}, "segment": {"vip"}, "ch_call": {"1"}, "script": {"x"}, "new": {"1"}}},
		{"/campaigns/csrf_probe/launch", url.Values{}},
		{"/calls/1/take", url.Values{}},
		{"/calls/1/result", url.Values{"result": {"intent"}}},
		{"/logout", url.Values{}},
	}
	for _, p := range posts {
		for _, token := range []string{"", "wrong-" + good} {
			f := url.Values{}
			for k, v := range p.form {
				f[k] = v
			}
			f.Set("csrf", token)
			code, body, _ := c.post(p.path, f)
			if code != http.StatusForbidden || !strings.Contains(body, "did not come from this console") {
				t.Errorf("POST %s with csrf %q: %d, want 403", p.path, token, code)
			}
		}
	}
	// the live count needs the token in its header
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/rule/count", strings.NewReader(`{"rule":"class_a"}`))
	req.Header.Set("Accept", "application/json")
	if code, _, _ := c.do(req); code != http.StatusForbidden {
		t.Errorf("POST /rule/count without a token: %d, want 403", code)
	}
	// a cross-origin post with the right token is refused too
	f := url.Values{"name": {"csrf_probe"}, "rule": {"class_a"}, "new": {"1"}, "csrf": {good}}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/segments", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	if code, _, _ := c.do(req); code != http.StatusForbidden {
		t.Errorf("cross-origin POST: %d, want 403", code)
	}
	if _, err := s.in.Segs.Get("csrf_probe"); err == nil {
		t.Error("a POST without a valid token saved a segment")
	}
	// the login form has its own token
	anon := newClient(t, srv)
	anon.get("/login")
	if code, _, _ := anon.post("/login", url.Values{"key": {s.keys[store.RoleAdmin]}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("login with a forged token: %d, want 403", code)
	}
}

func TestUserInputIsEscaped(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAdmin)
	const evil = `<script>alert("seg")</script>`
	// a description with markup is saved and shown escaped
	code, body, h := c.post("/segments", url.Values{"new": {"1"}, "name": {"xss_probe"}, "description": {evil}, "rule": {"class_a"}})
	if code != http.StatusSeeOther {
		t.Fatalf("save segment: %d %s\n%s", code, h.Get("Location"), body)
	}
	for _, p := range []string{"/segments", "/segments/xss_probe"} {
		_, body := c.get(p)
		if strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;alert(&#34;seg&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the description is not escaped", p)
		}
	}
	// a bad name and a rule with markup come back escaped, with the error at the field
	code, body, _ = c.post("/segments", url.Values{"new": {"1"}, "name": {`"><img src=x onerror=alert(1)>`}, "rule": {`class_a and "</textarea><script>alert(1)</script>" == 1`}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad segment: %d, want 422", code)
	}
	if strings.Contains(body, "<img src=x") || strings.Contains(body, "</textarea><script>") {
		t.Error("a rejected form echoes markup unescaped")
	}
	if !strings.Contains(body, "must be lower_snake_case") {
		t.Error("no name error next to the field")
	}
	// a customer's attributes with markup
	_, body = c.get("/customers/" + strconv.FormatInt(s.xssID, 10))
	if strings.Contains(body, "<script>alert('name')") || strings.Contains(body, "<img src=x onerror") {
		t.Error("customer attributes reach the page unescaped")
	}
	if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the city attribute is not shown escaped")
	}
	// the search box echoes its query escaped
	_, body = c.get("/customers?q=" + url.QueryEscape(`"><script>alert(2)</script>`))
	if strings.Contains(body, "<script>alert(2)") {
		t.Error("the search query is echoed unescaped")
	}
	// a saved rule holding markup in a string
	code, _, _ = c.post("/segments", url.Values{"new": {"1"}, "name": {"xss_rule"}, "rule": {`class_a or top_category == "<script>alert(3)</script>"`}})
	if code != http.StatusSeeOther {
		t.Fatalf("save a rule with markup: %d", code)
	}
	for _, p := range []string{"/segments", "/segments/xss_rule", "/"} {
		_, body := c.get(p)
		if strings.Contains(body, "<script>alert(3)") {
			t.Errorf("%s: the saved rule reaches the page unescaped", p)
		}
		if p != "/" && !strings.Contains(body, "&lt;script&gt;alert(3)&lt;/script&gt;") {
			t.Errorf("%s: the saved rule is not shown (escaped)", p)
		}
	}
	for _, n := range []string{"xss_probe", "xss_rule"} {
		if err := s.in.Segs.Delete(t.Context(), n, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPIIMaskedByRole(t *testing.T) {
	s, srv := server(t)
	path := "/customers/" + strconv.FormatInt(s.xssID, 10)
	plain := []string{"ann.lee@example.com", "8613800138000"}
	tests := []struct {
		role   string
		masked bool
	}{
		{store.RoleAdmin, false},
		{store.RoleAnalyst, true},
		{store.RoleOperator, true},
	}
	for _, tt := range tests {
		t.Run(tt.role, func(t *testing.T) {
			c := loggedIn(t, srv, s, tt.role)
			code, body := c.get(path)
			if code != 200 {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, p := range plain {
				if got := strings.Contains(body, p); got == tt.masked {
					t.Errorf("%s sees %q: %v, want %v", tt.role, p, got, !tt.masked)
				}
			}
			if tt.masked {
				for _, m := range []string{"a•••@e•••.com", strings.Repeat("•", 11) + "00", "PII masked"} {
					if !strings.Contains(body, m) {
						t.Errorf("%s: no masked %q in the page", tt.role, m)
					}
				}
				if strings.Contains(body, "alert(&#39;name&#39;)") {
					t.Errorf("%s sees the name", tt.role)
				}
			}
		})
	}
}

func TestRolesMayNotChange(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAnalyst)
	_, body := c.get("/segments/new")
	if strings.Contains(body, `id="save"`) || !strings.Contains(body, "Your role may count and look") {
		t.Error("an analyst is offered a save button")
	}
	code, body, _ := c.post("/segments", url.Values{"new": {"1"}, "name": {"analyst_probe"}, "rule": {"class_a"}})
	if code != http.StatusForbidden || !strings.Contains(body, "analyst") {
		t.Errorf("analyst saves a segment: %d, want 403", code)
	}
	// the live count is open to every role
	if n, _ := liveCount(t, c, "class_a"); n < 0 {
		t.Error("analyst cannot count")
	}
}

// liveCount calls the builder's count endpoint: the count, or -1 and the error.
func liveCount(t *testing.T, c *client, rule string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"rule": rule})
	req, _ := http.NewRequest(http.MethodPost, c.base+"/rule/count", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	code, body, _ := c.do(req)
	var out struct {
		Count  int              `json:"count"`
		Total  int              `json:"total"`
		Sample []map[string]any `json:"sample"`
		Error  map[string]any   `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("count %q: %d %s", rule, code, body)
	}
	if code != 200 {
		return -1, out.Error
	}
	if out.Total != newShop(t).in.Table().Len() || len(out.Sample) > 10 || (out.Count > 0 && len(out.Sample) == 0) {
		t.Errorf("count %q: total %d, %d sampled of %d", rule, out.Total, len(out.Sample), out.Count)
	}
	return out.Count, nil
}

func TestLiveCount(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	for _, rule := range []string{"class_a", "class_b and at_risk", "monetary > 100 and not in_list(\"black\")", `value_level == "high" and loyalty_level == "medium"`} {
		want, err := s.in.Count(t.Context(), rule)
		if err != nil {
			t.Fatal(err)
		}
		if got, e := liveCount(t, c, rule); got != int(want) {
			t.Errorf("count %q: %d (%v), want %d", rule, got, e, want)
		}
	}
	tests := []struct {
		rule      string
		line, col float64
	}{
		{"class_a and monetry > 5", 1, 13},
		{"class_a and\n  frequency >", 2, 13},
		{"class_a )", 1, 9},
	}
	for _, tt := range tests {
		n, e := liveCount(t, c, tt.rule)
		if n != -1 || e["line"] != tt.line || e["column"] != tt.col || e["message"] == "" {
			t.Errorf("count %q: %d %v, want an error at line %v column %v", tt.rule, n, e, tt.line, tt.col)
		}
	}
}

func TestSaveSegmentAndExport(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	// a broken rule: 422, the error next to the rule with the position marked
	code, body, _ := c.post("/segments", url.Values{"new": {"1"}, "name": {"web_probe"}, "rule": {"class_b and monetry > 5"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `<pre class="rule-echo"`) ||
		!strings.Contains(body, "class_b and <mark>m</mark>onetry &gt; 5") || !strings.Contains(body, "line 1, column 13") {
		t.Fatalf("broken rule: %d\n%s", code, body)
	}
	code, _, h := c.post("/segments", url.Values{"new": {"1"}, "name": {"web_probe"}, "description": {"from the test"}, "rule": {"class_b or class_a"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/segments/web_probe?done=segment_saved" {
		t.Fatalf("save: %d %s", code, h.Get("Location"))
	}
	want, _ := s.in.Count(t.Context(), "class_b or class_a")
	_, body = c.get("/segments/web_probe?done=segment_saved")
	if !strings.Contains(body, "Segment saved.") {
		t.Error("no confirmation after saving")
	}
	// saving the same name as new again is refused at the name
	code, body, _ = c.post("/segments", url.Values{"new": {"1"}, "name": {"web_probe"}, "rule": {"class_a"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "This name is taken") {
		t.Errorf("a second new segment of the same name: %d", code)
	}
	code, csv := c.get("/segments/web_probe/export.csv")
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if code != 200 || lines[0] != "customer_id" || uint64(len(lines)-1) != want {
		t.Errorf("export: %d, %d lines, want %d ids", code, len(lines)-1, want)
	}
	_, body = c.get("/customers?segment=web_probe")
	if !strings.Contains(body, formatThousands(want)+" customers") {
		t.Errorf("members page does not say %d customers", want)
	}
	c.get("/segments/web_probe")
	if code, _, h := c.post("/segments/web_probe/delete", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/segments?done=segment_deleted" {
		t.Errorf("delete: %d %s", code, h.Get("Location"))
	}
}

func formatThousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func TestSaveTag(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAdmin)
	c.get("/tags/new")
	code, body, _ := c.post("/tags", url.Values{"new": {"1"}, "name": {"web_tag"}, "kind": {"nonsense"}, "rule": {"frequency >= 3"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose one of the kinds") {
		t.Errorf("bad kind: %d", code)
	}
	code, body, _ = c.post("/tags", url.Values{"new": {"1"}, "name": {"web_tag"}, "kind": {"behaviour"}, "rule": {"frequency >= "}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rule-echo") {
		t.Errorf("bad rule: %d\n%s", code, body)
	}
	code, _, h := c.post("/tags", url.Values{"new": {"1"}, "name": {"web_tag"}, "kind": {"behaviour"}, "rule": {"frequency >= 3"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/tags/web_tag?done=tag_saved" {
		t.Fatalf("save tag: %d %s", code, h.Get("Location"))
	}
	info, err := s.in.Tags.Get("web_tag")
	want, _ := s.in.Count(t.Context(), "frequency >= 3")
	if err != nil || uint64(info.Count) != want {
		t.Errorf("saved tag: %+v %v, want %d members", info, err, want)
	}
	c.get("/tags/web_tag")
	if code, _, _ := c.post("/tags/web_tag/delete", url.Values{}); code != http.StatusSeeOther {
		t.Errorf("delete tag: %d", code)
	}
}

func TestAdmissionForms(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	c.get("/admission")
	tests := []struct {
		form url.Values
		want string
	}{
		{url.Values{"list": {"purple"}, "customer": {"1"}, "reason": {"x"}}, "Choose black, grey or white"},
		{url.Values{"list": {"black"}, "customer": {""}, "reason": {"x"}}, "Required."},
		{url.Values{"list": {"black"}, "customer": {"nobody:here"}, "reason": {"x"}}, "No customer matches"},
		{url.Values{"list": {"black"}, "customer": {"1"}, "reason": {""}}, "Required."},
		{url.Values{"list": {"black"}, "customer": {"1"}, "reason": {"x"}, "expires": {"31/12/2030"}}, "Use a date like"},
		{url.Values{"list": {"black"}, "customer": {"1"}, "reason": {"x"}, "expires": {"2001-01-01"}}, "must be in the future"},
	}
	for _, tt := range tests {
		code, body, _ := c.post("/admission/add", tt.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("add %v: %d, want 422 and %q", tt.form, code, tt.want)
		}
	}
	code, _, h := c.post("/admission/add", url.Values{"list": {"black"}, "customer": {"crm:xss-1"}, "reason": {"asked <not> to be contacted"}})
	if code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	_, body := c.get(h.Get("Location"))
	if !strings.Contains(body, "asked &lt;not&gt; to be contacted") || !strings.Contains(body, "Customer added to the list") {
		t.Error("the new entry is not listed")
	}
	if d, ok := s.in.Lists.Check(s.xssID); !ok || d.List != "black" {
		t.Errorf("customer not on the black list: %+v", d)
	}
	code, body, _ = c.post("/admission/rule", url.Values{"name": {"web_rule"}, "list": {"grey"}, "rule": {"return_rate >"}, "reason": {"review"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rule-echo") {
		t.Errorf("bad admission rule: %d", code)
	}
	if code, _, _ := c.post("/admission/remove", url.Values{"list": {"black"}, "customer": {strconv.FormatInt(s.xssID, 10)}}); code != http.StatusSeeOther {
		t.Errorf("remove: %d", code)
	}
	if _, ok := s.in.Lists.Check(s.xssID); ok {
		t.Error("customer still on a list after removal")
	}
}

func TestChineseConsole(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAdmin)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/lang?to=zh&next=/segments", nil)
	code, _, h := c.do(req)
	if code != http.StatusSeeOther || h.Get("Location") != "/segments" {
		t.Fatalf("switch language: %d %s", code, h.Get("Location"))
	}
	for p, want := range map[string]string{"/": "价值 × 忠诚度", "/segments": "新建人群", "/admission": "准入名单", "/customers/1": "身份标识"} {
		_, body := c.get(p)
		if !strings.Contains(body, want) || !strings.Contains(body, `lang="zh-Hans"`) {
			t.Errorf("%s in Chinese: no %q", p, want)
		}
	}
	// errors are translated too
	_, body, _ := c.post("/segments", url.Values{"new": {"1"}, "name": {"Bad Name"}, "rule": {"class_a"}})
	if !strings.Contains(body, "名称须为小写加下划线") {
		t.Error("the form error is not in Chinese")
	}
	// and a browser asking for Chinese gets it before choosing
	anon := newClient(t, srv)
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/login", nil)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	if _, body, _ := anon.do(req); !strings.Contains(body, "使用 Sagitta API 密钥登录") {
		t.Error("Accept-Language zh-CN does not give the Chinese login")
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL+"/lang?to=fr", nil)
	if code, _, _ := anon.do(req); code != http.StatusBadRequest {
		t.Errorf("unknown language: %d, want 400", code)
	}
}

func TestDeletedKeyEndsSession(t *testing.T) {
	s, srv := server(t)
	secret, k := newKey(t, s, store.RoleOperator)
	c := newClient(t, srv)
	c.login(secret)
	if err := s.st.DeleteAPIKey(t.Context(), k.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.get("/"); code != http.StatusSeeOther {
		t.Errorf("GET / after the key was deleted: %d, want a redirect to the login", code)
	}
}

func TestAssets(t *testing.T) {
	_, srv := server(t)
	c := newClient(t, srv)
	_, body := c.get("/login")
	for _, name := range []string{"app.css", "app.js"} {
		i := strings.Index(body, "/assets/"+name+"?v=")
		if i < 0 {
			t.Fatalf("the page does not link %s with a version", name)
		}
		link := body[i : i+strings.IndexByte(body[i:], '"')]
		req, _ := http.NewRequest(http.MethodGet, srv.URL+link, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, encoding %q, cache %q", link, res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Cache-Control"))
		}
	}
	if code, _ := c.get("/assets/nope.js"); code != 404 {
		t.Errorf("unknown asset: %d", code)
	}
	// the API is still served beside the console
	if code, body := c.get("/v1/health"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("/v1/health: %d %s", code, body)
	}
}
