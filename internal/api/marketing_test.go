package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// newMarketingEnv is an API over the markettest shop with offers and
// campaigns, e-mail to an in-process SMTP server.
func newMarketingEnv(t testing.TB, n int) (*env, *marketing.Service, *markettest.Mailbox) {
	t.Helper()
	st, in := markettest.Shop(t, t.TempDir(), n)
	mb, _ := markettest.NewMailbox(t, "", "", false)
	clock := func() time.Time { return markettest.AsOf }
	m, err := marketing.Open(context.Background(), st, in, marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "shop@example.org", SMTPTLS: "none",
		PublicURL: "https://shop.example", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, keys: map[string]string{}, log: &syncBuffer{}}
	for _, role := range apikey.Roles {
		secret, k, err := apikey.Generate(role, role+" key", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIKey(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		e.keys[role] = secret
	}
	e.h = api.New(api.Options{Store: st, Insight: in, Marketing: m, Now: clock,
		Logger: slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return e, m, mb
}

const offerJSON = `{"name":"ten","type":"coupon_amount","amount":10,"budget_count":500,"valid_until":"2025-07-01T00:00:00Z",
	"rule":"frequency >= 1","script":"Offer 10 off to thank them"}`

func TestMarketingAPI(t *testing.T) {
	e, m, mb := newMarketingEnv(t, 60)
	// the customers who opted out of e-mail (index i%10 == 9) opted in to calls
	ids, _ := e.st.CustomerIDs(context.Background())
	err := e.st.Update(context.Background(), func(tx store.Tx) error {
		for i := 9; i < len(ids); i += 10 {
			if _, err := tx.PutConsent(context.Background(), store.Consent{CustomerID: ids[i], Channel: "call", Status: store.ConsentOptIn, At: markettest.AsOf}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, e, []scenario{
		{"offer without budget", req{method: "POST", path: "/v1/offers", role: "operator",
			body: `{"name":"x","type":"gift","gift":"i1","valid_until":"2025-07-01T00:00:00Z","rule":"frequency >= 1"}`}, 400, []string{`field \"budget_count\"`}, nil},
		{"offer without eligibility", req{method: "POST", path: "/v1/offers", role: "operator",
			body: `{"name":"x","type":"gift","gift":"i1","valid_until":"2025-07-01T00:00:00Z","budget_count":5}`}, 400, []string{`field \"rule\"`}, nil},
		{"analyst may not create offers", req{method: "POST", path: "/v1/offers", role: "analyst", body: offerJSON}, 403, nil, nil},
		{"create offer", req{method: "POST", path: "/v1/offers", role: "operator", body: offerJSON}, 201, []string{`"version":1`}, nil},
		{"content offer", req{method: "POST", path: "/v1/offers", role: "operator", body: `{"name":"news","type":"content","content":"New autumn range",
			"budget_count":10000,"valid_until":"2025-07-01T00:00:00Z","rule":"frequency >= 0"}`}, 201, nil, nil},
		{"list offers", req{method: "GET", path: "/v1/offers", role: "analyst"}, 200, []string{`"name":"news"`, `"name":"ten"`}, nil},
		{"one offer", req{method: "GET", path: "/v1/offers/ten", role: "analyst"}, 200, []string{`"issued":0`, `"remaining":500`}, nil},
		{"unknown offer", req{method: "GET", path: "/v1/offers/nope", role: "analyst"}, 404, nil, nil},
		{"why: eligible", req{method: "GET", path: "/v1/offers/ten/why/shop:c1", role: "analyst"}, 200, []string{`"eligible":true`, `"check":"budget"`}, nil},
		{"why: rule fails", req{method: "GET", path: "/v1/offers/ten/why/shop:c0", role: "analyst"}, 200,
			[]string{`"eligible":false`, `"reason":"rule: the eligibility rule does not hold"`, `"name":"frequency"`}, nil},
		{"why: unknown customer", req{method: "GET", path: "/v1/offers/ten/why/shop:zz", role: "analyst"}, 404, nil, nil},
		{"policy", req{method: "GET", path: "/v1/policy", role: "analyst"}, 200, []string{`"name":"class_a"`, `"name":"win_back"`}, nil},
		{"bad policy", req{method: "PUT", path: "/v1/policy", role: "operator", body: "rows:\n  - name: x\n    class: Z\n"}, 400, []string{`field \"class\"`}, nil},
		{"policy in YAML", req{method: "PUT", path: "/v1/policy", role: "operator",
			body: "rows:\n  - name: everyone\n    offer_types: [coupon_amount, content]\n    max_depth: 0.2\n    treatment: all the same\n"}, 200, []string{`"version":1`}, nil},
		{"contact rules", req{method: "GET", path: "/v1/contact-rules", role: "analyst"}, 200, []string{`"quiet_start":"21:00"`}, nil},
		{"next best offers", req{method: "GET", path: "/v1/customers/shop:c1/next-best-offers", role: "analyst"}, 200, nil, func(t *testing.T, r resp) {
			var v struct {
				Policy struct{ Name string }
				Offers []struct {
					Offer  struct{ Name string }
					Script string
				}
				Contacts []store.Contact `json:"recent_contacts"`
			}
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			// the policy prefers coupon_amount to content
			if v.Policy.Name != "everyone" || len(v.Offers) != 2 || v.Offers[0].Offer.Name != "ten" || v.Offers[0].Script == "" || v.Contacts == nil {
				t.Errorf("next best offers: %s", r.body)
			}
		}},
		{"campaign with a missing field", req{method: "POST", path: "/v1/campaigns", role: "operator",
			body: `{"name":"c1","rule":"frequency >= 1","offer":"ten","channels":["email"],"subject":"hi","body":"{{.Voucher}}"}`}, 400, []string{"Voucher"}, nil},
		{"create campaign", req{method: "POST", path: "/v1/campaigns", role: "operator",
			body: `{"name":"c1","rule":"frequency >= 1","offer":"ten","channels":["email","call"],"subject":"hi {{.Name}}","body":"{{.Code}} {{.Unsubscribe}}","script":"Call {{.Name}} about {{.Offer.Summary}}"}`}, 201, nil, nil},
		{"preview", req{method: "POST", path: "/v1/campaigns/c1/preview?sample=2", role: "analyst"}, 200,
			[]string{`"selected":40`, `"sendable":40`, `"email":36`, `"call":4`, `"sample":[`, `"To":"c***@example.org"`}, nil},
		{"status before launch", req{method: "GET", path: "/v1/campaigns/c1", role: "analyst"}, 200, []string{`"state":"draft"`}, nil},
		{"pause before launch", req{method: "POST", path: "/v1/campaigns/c1/pause", role: "operator"}, 409, nil, nil},
		{"bad action", req{method: "POST", path: "/v1/campaigns/c1/explode", role: "operator"}, 404, nil, nil},
		{"launch", req{method: "POST", path: "/v1/campaigns/c1/launch", role: "operator"}, 200, []string{`"state":"running"`, `"audience":40`}, nil},
		{"launch twice", req{method: "POST", path: "/v1/campaigns/c1/launch", role: "operator"}, 409, nil, nil},
	})
	// dispatch what was launched
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Campaigns.Run(ctx); close(done) }()
	if err := m.Campaigns.Wait(context.Background(), "c1"); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if mb.Count() != 36 {
		t.Fatalf("%d mails; want 36 (40 buyers, 4 opted out of e-mail)", mb.Count())
	}
	var tok string
	for _, ml := range mb.Mails() {
		if ml.To == "c1@example.org" {
			lu := strings.Trim(ml.Header.Get("List-Unsubscribe"), "<>")
			u, _ := url.Parse(lu)
			tok = u.Query().Get("t")
		}
	}
	var tasks []store.CallTask
	e.mustDo(t, req{method: "GET", path: "/v1/calls?campaign=c1", role: "analyst"}, 200, &tasks)
	if len(tasks) != 4 || !strings.HasPrefix(tasks[0].Script, "Call Customer ") {
		t.Fatalf("call tasks: %+v", tasks)
	}
	id := tasks[0].ID
	run(t, e, []scenario{
		{"status done", req{method: "GET", path: "/v1/campaigns/c1", role: "analyst"}, 200, []string{`"state":"done"`, `"sent":40`}, nil},
		{"assign call", req{method: "POST", path: fmt.Sprintf("/v1/calls/%d/assign", id), role: "operator", body: `{"assignee":"ann"}`}, 200,
			[]string{`"State":"assigned"`, `"Assignee":"ann"`}, nil},
		{"bad result", req{method: "POST", path: fmt.Sprintf("/v1/calls/%d/result", id), role: "operator", body: `{"result":"maybe"}`}, 400, nil, nil},
		{"call back in the past", req{method: "POST", path: fmt.Sprintf("/v1/calls/%d/result", id), role: "operator",
			body: `{"result":"call_back","callback_at":"2020-01-01T00:00:00Z"}`}, 400, nil, nil},
		{"capture intent", req{method: "POST", path: fmt.Sprintf("/v1/calls/%d/result", id), role: "operator", body: `{"result":"intent","note":"wants it"}`}, 200,
			[]string{`"State":"done"`, `"Result":"intent"`}, nil},
		{"record responses", req{method: "POST", path: "/v1/contacts", role: "operator", body: `[{"customer":"shop:c1","channel":"email","kind":"opened","campaign":"c1"},
			{"customer":"shop:c1","channel":"store","kind":"converted","detail":"bought at the Berlin store"}]`}, 200, []string{`"recorded":2`}, nil},
		{"bad contact kind", req{method: "POST", path: "/v1/contacts", role: "operator", body: `[{"customer":"shop:c1","channel":"email","kind":"teleported"}]`}, 400, []string{"record 0"}, nil},
		{"contacts", req{method: "GET", path: "/v1/customers/shop:c1/contacts", role: "analyst"}, 200, []string{`"Kind":"converted"`, `"Kind":"opened"`, `"Kind":"sent"`}, nil},
		{"forged unsubscribe", req{method: "POST", path: "/v1/unsubscribe?t=abc.def"}, 403, nil, nil},
		{"one-click unsubscribe", req{method: "POST", path: "/v1/unsubscribe?t=" + url.QueryEscape(tok), body: "List-Unsubscribe=One-Click",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 200, []string{"unsubscribed"}, nil},
		{"consent withdrawn", req{method: "GET", path: "/v1/customers/shop:c1/contacts", role: "analyst"}, 200, []string{`"Kind":"unsubscribed"`}, nil},
	})
	// the GET of the link shows a form and changes nothing
	hr := httptest.NewRequest("GET", "/v1/unsubscribe?t="+url.QueryEscape(tok), nil)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `method="post"`) {
		t.Errorf("GET unsubscribe: %d %s", w.Code, w.Body.String())
	}
	cs, _ := e.st.ConsentsOf(context.Background(), "email", ids[1:2])
	if cs[ids[1]].Status != store.ConsentOptOut {
		t.Errorf("consent of c1 after the one-click unsubscribe: %+v", cs)
	}
	if strings.Contains(e.log.String(), "@example.org") {
		t.Errorf("the request log holds an e-mail address")
	}
	_ = campaign.Email
}
