package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// fieldErr finds the error shown next to a field: the field (marked
// invalid) followed by its message.
func fieldErr(t *testing.T, body, field, want string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)id="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true".*?class="field-error" role="alert">([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Errorf("no error next to the field %q", field)
		return
	}
	if !strings.Contains(m[1], want) {
		t.Errorf("error next to %q: %q, want %q", field, m[1], want)
	}
}

// formCase is a form with a mistake and the error it must show next to a field.
type formCase struct {
	name         string
	form         url.Values
	field, error string
}

// postFormCases posts each form, expects a 422 with the error next to its
// field, and returns the pages.
func postFormCases(t *testing.T, c *client, path string, cases []formCase) []string {
	t.Helper()
	var pages []string
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := c.post(path, tt.form)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("POST %s: %d, want 422", path, code)
			}
			fieldErr(t, body, tt.field, tt.error)
			pages = append(pages, body)
		})
	}
	return pages
}

// with returns a copy of base with k set to v ("": removed).
func with(base url.Values, k, v string) url.Values {
	f := url.Values{}
	for kk, vv := range base {
		f[kk] = vv
	}
	if v == "" {
		f.Del(k)
	} else {
		f.Set(k, v)
	}
	return f
}

func TestOfferForm(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	if code, body := c.get("/offers"); code != 200 || !strings.Contains(body, `href="/offers/vip10"`) {
		t.Fatalf("GET /offers: %d, no vip10", code)
	}
	c.get("/offers/new")
	good := url.Values{"new": {"1"}, "name": {"spring_gift"}, "type": {"coupon_amount"}, "amount": {"5"}, "code": {"shared"},
		"shared_code": {"SPRING5"}, "valid_until": {"2099-06-30"}, "budget_count": {"100"}, "rule": {"frequency >= 2"},
		"description": {`<script>alert("d")</script>`}}
	tests := []formCase{
		{"bad name", with(good, "name", "Spring Gift"), "name", "1–64 of a-z"},
		{"amount not a number", with(good, "amount", "five"), "amount", "Enter a number"},
		{"no end date", with(good, "valid_until", ""), "valid_until", "Required."},
		{"bad date", with(good, "valid_until", "30/06/2099"), "valid_until", "Use a date like"},
		{"engine: amount needed", with(good, "amount", "0"), "amount", "needs an amount &gt; 0"},
		{"engine: shared code needed", with(good, "shared_code", ""), "shared_code", "shared code needs its value"},
		{"engine: rule error", with(good, "rule", "frequncy >= 2"), "rule", "frequncy"},
		{"taken", with(good, "name", "vip10"), "name", "This name is taken"},
	}
	for _, body := range postFormCases(t, c, "/offers", tests) {
		if strings.Contains(body, `<script>alert("d")`) {
			t.Error("the description reached the page unescaped")
		}
	}
	code, _, h := c.post("/offers", good)
	if code != http.StatusSeeOther || h.Get("Location") != "/offers/spring_gift?done=offer_saved" {
		t.Fatalf("POST a good offer: %d %s", code, h.Get("Location"))
	}
	o, err := s.mk.Offers.Get("spring_gift")
	if err != nil || o.Amount != 5 || o.SharedCode != "SPRING5" || !o.ValidUntil.Equal(time.Date(2099, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("saved offer %+v, %v", o, err)
	}
	code, body := c.get("/offers/spring_gift?done=offer_saved")
	if code != 200 || !strings.Contains(body, "Offer saved.") || !strings.Contains(body, `value="2099-06-30"`) ||
		!strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("GET the saved offer: %d", code)
	}
	// an analyst may look, not save
	a := loggedIn(t, srv, s, store.RoleAnalyst)
	if code, body := a.get("/offers/spring_gift"); code != 200 || strings.Contains(body, `id="save"`) {
		t.Errorf("analyst GET offer: %d (save button shown: %v)", code, strings.Contains(body, `id="save"`))
	}
	if code, _, _ := a.post("/offers", with(good, "name", "analyst_offer")); code != http.StatusForbidden {
		t.Errorf("analyst POST /offers: %d, want 403", code)
	}
}

// TestCampaignFlow creates a call campaign, previews, launches it, works its
// call tasks and reads its report, as an operator does in the console.
func TestCampaignFlow(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleOperator)
	c.get("/campaigns/new")
	good := url.Values{"new": {"1"}, "name": {"vip_calls"}, "segment": {"vip"}, "offer": {"vip10"}, "ch_call": {"1"},
		"script": {"Hello {{.Name}}, your code is {{.Code}}."}, "description": {"<b>VIP</b> calls"}}
	tests := []formCase{
		{"no channel", with(good, "ch_call", ""), "channels", "Choose at least one channel"},
		{"no audience", with(good, "segment", ""), "segment", "Choose a segment or write a rule"},
		{"e-mail without a body", with(good, "ch_email", "1"), "body", "a message needs a body"},
		{"e-mail without a subject", with(with(good, "ch_email", "1"), "body", "Hi"), "subject", "an e-mail needs a subject"},
		{"template field unknown", with(good, "script", "Hello {{.Nmae}}"), "script", "Nmae"},
		{"rule error", with(good, "rule", "class_z and"), "rule", "line 1, column 11"},
		{"start in the past", with(good, "start_at", "2001-01-01T10:00"), "start_at", "in the future"},
		{"bad name", with(good, "name", "VIP calls"), "name", "1–64 of a-z"},
		{"holdout of all", with(good, "holdout_percent", "100"), "holdout_percent", "from 0 to under 100"},
		{"holdout not a number", with(good, "holdout_percent", "ten"), "holdout_percent", "from 0 to under 100"},
	}
	postFormCases(t, c, "/campaigns", tests)
	// a holdout share set in the form is the campaign's
	held := with(good, "holdout_percent", "15")
	held.Set("name", "vip_held")
	if code, _, _ := c.post("/campaigns", held); code != http.StatusSeeOther {
		t.Fatalf("POST a campaign with a holdout: %d", code)
	}
	if got, err := s.mk.Campaigns.Get("vip_held"); err != nil || got.HoldoutPercent == nil || *got.HoldoutPercent != 15 {
		t.Errorf("saved holdout: %+v %v, want 15", got.HoldoutPercent, err)
	}
	code, _, h := c.post("/campaigns", good)
	if code != http.StatusSeeOther || h.Get("Location") != "/campaigns/vip_calls?done=campaign_saved" {
		t.Fatalf("POST a good campaign: %d %s", code, h.Get("Location"))
	}
	// a channel this server has no sender for is refused at launch
	mail := with(good, "ch_email", "1")
	mail.Set("name", "vip_mail")
	mail.Set("subject", "Hi")
	mail.Set("body", "Hi {{.Name}}")
	if code, _, _ := c.post("/campaigns", mail); code != http.StatusSeeOther {
		t.Fatalf("POST an e-mail campaign: %d", code)
	}
	c.get("/campaigns/vip_mail")
	if code, body, _ := c.post("/campaigns/vip_mail/launch", url.Values{}); code != http.StatusConflict ||
		!strings.Contains(body, "is not configured here") {
		t.Errorf("launch without an e-mail sender: %d, want 409 and the reason", code)
	}
	code, body := c.get("/campaigns/vip_calls")
	if code != 200 || !strings.Contains(body, `id="launch"`) || !strings.Contains(body, "&lt;b&gt;VIP&lt;/b&gt; calls") {
		t.Fatalf("GET the campaign: %d", code)
	}

	// the preview: counts as the service computes them, names masked for an operator
	want, err := s.mk.Campaigns.Preview(t.Context(), "vip_calls", 3)
	if err != nil {
		t.Fatal(err)
	}
	code, body = c.get("/campaigns/vip_calls/preview")
	if code != 200 {
		t.Fatalf("GET preview: %d", code)
	}
	for id, n := range map[string]int64{"pv-selected": want.Selected, "pv-audience": want.Audience, "pv-sendable": want.Sendable} {
		if !strings.Contains(body, `id="`+id+`">`+formatThousands(uint64(n))+"<") {
			t.Errorf("preview %s: want %d", id, n)
		}
	}
	if want.Selected == 0 || len(want.Sample) == 0 {
		t.Fatalf("the vip campaign selects %d customers and renders %d samples: the test needs some (%+v)", want.Selected, len(want.Sample), want)
	}
	if strings.Contains(body, "Hello "+want.Sample[0].Script[len("Hello "):strings.Index(want.Sample[0].Script, ",")]+",") &&
		!strings.Contains(want.Sample[0].Script, "Hello customer,") {
		t.Errorf("an operator sees the customer's name in a sample: %q", want.Sample[0].Script)
	}
	if !strings.Contains(body, "•••") {
		t.Error("no masked name in the operator's samples")
	}
	admin := loggedIn(t, srv, s, store.RoleAdmin)
	if _, body := admin.get("/campaigns/vip_calls/preview"); !strings.Contains(body, want.Sample[0].Script[:12]) {
		t.Errorf("an admin does not see the rendered script %q", want.Sample[0].Script)
	}

	// launch: the call tasks appear, an agent takes one and records results
	c.get("/campaigns/vip_calls")
	code, _, h = c.post("/campaigns/vip_calls/launch", url.Values{})
	if code != http.StatusSeeOther || h.Get("Location") != "/campaigns/vip_calls?done=campaign_launch" {
		t.Fatalf("launch: %d %s", code, h.Get("Location"))
	}
	if code, _, _ := c.post("/campaigns/vip_calls/launch", url.Values{}); code != http.StatusConflict {
		t.Errorf("second launch: %d, want 409", code)
	}
	var tasks []store.CallTask
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if tasks, err = call.List(t.Context(), s.st, "vip_calls", ""); err != nil {
			t.Fatal(err)
		}
		if len(tasks) >= 2 {
			break
		}
	}
	if len(tasks) < 2 {
		t.Fatalf("%d call tasks after the launch, want at least 2", len(tasks))
	}
	code, body = c.get("/calls?campaign=vip_calls")
	if code != 200 || !strings.Contains(body, `id="open-calls"`) || !strings.Contains(body, `action="/calls/`+strconv.FormatInt(tasks[0].ID, 10)+`/take"`) {
		t.Fatalf("GET /calls: %d, task %d not offered", code, tasks[0].ID)
	}
	id := strconv.FormatInt(tasks[0].ID, 10)
	if code, _, h := c.post("/calls/"+id+"/take", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/calls/"+id {
		t.Fatalf("take: %d %s", code, h.Get("Location"))
	}
	code, body = c.get("/calls/" + id)
	if code != 200 || !strings.Contains(body, `id="script"`) || !strings.Contains(body, "<strong>vip10</strong>") || !strings.Contains(body, `id="r-intent"`) {
		t.Fatalf("GET the task: %d", code)
	}
	code, body, _ = c.post("/calls/"+id+"/result", url.Values{"result": {"call_back"}, "callback_at": {""}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("call back without a time: %d, want 422", code)
	}
	fieldErr(t, body, "callback_at", "Use a date and time")
	code, _, h = c.post("/calls/"+id+"/result", url.Values{"result": {"intent"}, "note": {"<i>yes</i> please"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/calls?done=call_intent" {
		t.Fatalf("intent: %d %s", code, h.Get("Location"))
	}
	got, err := s.st.CallTask(t.Context(), tasks[0].ID)
	if err != nil || got.State != store.CallDone || got.Result != store.ContactIntent || got.Note != "<i>yes</i> please" {
		t.Errorf("task after the result: %+v, %v", got, err)
	}
	if code, _, _ := c.post("/calls/"+id+"/result", url.Values{"result": {"not_interested"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("a second result: %d, want 422", code)
	}
	code, body = c.get("/customers/" + strconv.FormatInt(tasks[0].CustomerID, 10))
	if code != 200 || !strings.Contains(body, "&lt;i&gt;yes&lt;/i&gt; please") {
		t.Errorf("the customer's timeline lacks the call: %d", code)
	}

	// report and status
	code, body = c.get("/campaigns/vip_calls/report")
	if code != 200 || !strings.Contains(body, `id="call-results"`) || !strings.Contains(body, `id="uplift"`) {
		t.Fatalf("GET report: %d", code)
	}
	// the test shop holds nobody out, so the report can never call it a win
	rep, err := s.mk.Campaigns.Report(t.Context(), "vip_calls", campaign.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `id="up-t-customers">` + formatThousands(uint64(rep.Treatment.Customers)) + `<`; !strings.Contains(body, want) || rep.Verdict == "win" {
		t.Errorf("report page lacks %s (verdict %s)", want, rep.Verdict)
	}
	if !regexp.MustCompile(`<td>intent</td><td class="num">1</td>`).MatchString(body) {
		t.Error("the report does not count the intent")
	}
	// pausing a running campaign pauses it; a finished one cannot be paused
	before, err := s.mk.Campaigns.Status(t.Context(), "vip_calls")
	if err != nil {
		t.Fatal(err)
	}
	c.get("/campaigns/vip_calls")
	code, body, _ = c.post("/campaigns/vip_calls/pause", url.Values{})
	switch before.State {
	case "running":
		if st, err := s.mk.Campaigns.Status(t.Context(), "vip_calls"); code != http.StatusSeeOther || err != nil || st.State != "paused" {
			t.Errorf("pause a running campaign: %d, state %q, %v", code, st.State, err)
		}
	default:
		if code != http.StatusConflict || !strings.Contains(body, "Not done:") {
			t.Errorf("pause a %s campaign: %d, want 409", before.State, code)
		}
	}
	if code, body := c.get("/campaigns"); code != 200 || !strings.Contains(body, `href="/campaigns/vip_calls"`) {
		t.Errorf("GET /campaigns: %d", code)
	}
}
