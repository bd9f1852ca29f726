package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/profile"
)

// seedCustomers loads a customer known to crm and online-retail, with
// orders, events and an invalid value, and two customers that a later
// record merges. It returns the id the merged customer had.
func seedCustomers(t *testing.T, e *env) (merged int64) {
	t.Helper()
	post := func(path, body string) ingestResult {
		t.Helper()
		var res ingestResult
		e.mustDo(t, req{method: "POST", path: path, role: "admin", body: body}, 200, &res)
		if res.Rejected != 0 {
			t.Fatalf("POST %s: %s rejected: %+v", path, body, res.Errors)
		}
		return res
	}
	post("/v1/customers?source=crm", `[
		{"customer":"c1","email":"Ann@Example.com","phone":"+44 7700 900123","updated":"2011-01-01T00:00:00Z",
		 "attributes":{"country":"United Kingdom","birth_date":"2999-01-01"},"consent":{"email":"yes","sms":"no"}},
		{"customer":"c2","email":"bob@example.com","updated":"2011-01-01T00:00:00Z"}]`)
	post("/v1/customers?source=online-retail", `[{"customer":"17850","email":"ann@example.com","updated":"2011-02-01T00:00:00Z"}]`)
	post("/v1/customers?source=shop", `[{"customer":"s2","phone":"+1 555 010 0200","updated":"2011-01-02T00:00:00Z"}]`)
	post("/v1/orders?source=online-retail", `[
		{"order":"536365","time":"2010-12-01T08:26:00Z","customer":"17850","item":"85123A","item_title":"WHITE HANGING HEART T-LIGHT HOLDER","quantity":6,"unit_price":2.55},
		{"order":"536365","time":"2010-12-01T08:26:00Z","customer":"17850","item":"71053","quantity":6,"unit_price":3.39},
		{"order":"C536379","kind":"cancel","ref_order":"536365","time":"2010-12-01T09:41:00Z","customer":"17850","item":"85123A","quantity":-1,"unit_price":2.55},
		{"order":"562000","time":"2011-08-01T10:00:00Z","customer":"17850","item":"22423","quantity":1,"unit_price":12.75}]`)
	post("/v1/events?source=web", `[
		{"event":"v1","type":"view","time":"2011-01-05T10:00:00Z","email":"ann@example.com","item":"22423"},
		{"event":"v2","type":"cart_add","time":"2011-09-05T10:00:00Z","email":"ann@example.com","item":"22423","props":{"qty":1}}]`)

	var before profile.Profile
	e.mustDo(t, req{method: "GET", path: "/v1/customers/shop:s2", role: "analyst"}, 200, &before)
	// shop learns that s2 is bob: the two customers become one
	res := post("/v1/customers?source=shop", `[{"customer":"s2","email":"bob@example.com","updated":"2011-03-01T00:00:00Z"}]`)
	if res.CustomersMerged != 1 {
		t.Fatalf("merge record merged %d customers, want 1", res.CustomersMerged)
	}
	return before.ID
}

func TestCustomer(t *testing.T) {
	e := newEnv(t, api.Options{})
	merged := seedCustomers(t, e)
	var ann profile.Profile
	e.mustDo(t, req{method: "GET", path: "/v1/customers/crm:c1", role: "analyst"}, 200, &ann)
	var bob profile.Profile
	e.mustDo(t, req{method: "GET", path: "/v1/customers/bob@example.com", role: "analyst"}, 200, &bob)
	if bob.ID == merged {
		t.Fatalf("survivor %d is the merged id", bob.ID)
	}

	isAnn := func(t *testing.T, r resp) {
		t.Helper()
		var p profile.Profile
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != ann.ID {
			t.Errorf("id %d, want %d", p.ID, ann.ID)
		}
	}
	path := func(ref string) string { return "/v1/customers/" + url.PathEscape(ref) }
	run(t, e, []scenario{
		{name: "by id", req: req{method: "GET", path: path(fmt.Sprint(ann.ID)), role: "analyst"}, status: 200, check: isAnn},
		{name: "by email prefix", req: req{method: "GET", path: path("email:ANN@example.com "), role: "analyst"}, status: 200, check: isAnn},
		{name: "by bare email", req: req{method: "GET", path: path("ann@example.com"), role: "operator"}, status: 200, check: isAnn},
		{name: "by phone", req: req{method: "GET", path: path("phone:+44 7700 900123"), role: "analyst"}, status: 200, check: isAnn},
		{name: "by phone, other spelling", req: req{method: "GET", path: path("phone:0044-7700-900123"), role: "analyst"}, status: 200, check: isAnn},
		{name: "by bare phone", req: req{method: "GET", path: path("+447700900123"), role: "analyst"}, status: 200, check: isAnn},
		{name: "by source id", req: req{method: "GET", path: path("online-retail:17850"), role: "analyst"}, status: 200, check: isAnn},
		{name: "merged id resolves to the survivor", req: req{method: "GET", path: path(fmt.Sprint(merged)), role: "analyst"}, status: 200,
			want: []string{fmt.Sprintf(`"merged_from":[{"merged":%d,"into":%d,"kind":"id","namespace":"shop","value":"s2","source":"shop","at":"2011-03-01T00:00:00Z"}]`, merged, bob.ID)},
			check: func(t *testing.T, r resp) {
				if got, want := r.header.Get("Content-Location"), fmt.Sprintf("/v1/customers/%d", bob.ID); got != want {
					t.Errorf("Content-Location = %q, want %q", got, want)
				}
			}},
		{name: "merged source id resolves to the survivor", req: req{method: "GET", path: path("shop:s2"), role: "admin"}, status: 200,
			want: []string{fmt.Sprintf(`"id":%d,`, bob.ID), `"kind":"phone","value":"15550100200","source":"shop"`}},
		{name: "unknown id", req: req{method: "GET", path: path("999999"), role: "analyst"}, status: 404, want: []string{`no customer matches \"999999\"`}},
		{name: "unknown email", req: req{method: "GET", path: path("nobody@example.com"), role: "analyst"}, status: 404},
		{name: "unknown source id", req: req{method: "GET", path: path("crm:c404"), role: "analyst"}, status: 404},
		{name: "unknown source", req: req{method: "GET", path: path("erp:c1"), role: "analyst"}, status: 404},
		{name: "invalid email", req: req{method: "GET", path: path("email:ann"), role: "analyst"}, status: 400, want: []string{"not a valid e-mail"}},
		{name: "invalid phone", req: req{method: "GET", path: path("phone:12"), role: "analyst"}, status: 400, want: []string{"not a valid phone"}},
		{name: "not a reference", req: req{method: "GET", path: path("ann"), role: "analyst"}, status: 400, want: []string{"not a customer reference"}},
		{name: "bad as_of", req: req{method: "GET", path: path("crm:c1") + "?as_of=2011-13-01", role: "analyst"}, status: 400, want: []string{"as_of"}},
	})

	t.Run("profile", func(t *testing.T) {
		want := []string{
			`"identities":[`, `{"kind":"email","value":"ann@example.com","source":"crm","first_seen":"2011-01-01T00:00:00Z"}`,
			`{"kind":"id","namespace":"online-retail","value":"17850","source":"online-retail"`,
			`{"kind":"phone","value":"447700900123","source":"crm"`,
			`{"name":"country","value":"United Kingdom","source":"crm","observed_at":"2011-01-01T00:00:00Z","rule":"latest"}`,
			`"invalid_values":[{"name":"birth_date","value":"2999-01-01","source":"crm","observed_at":"2011-01-01T00:00:00Z","problem":"date is in the future"}]`,
			`{"channel":"email","status":"opt_in"`, `{"channel":"sms","status":"opt_out"`,
			`"order_summary":{"orders":2,"cancellations":1,"lines":3,"revenue":48.39,"refunded":2.55,"net_revenue":45.84,"first_order":"2010-12-01T08:26:00Z","last_order":"2011-08-01T10:00:00Z"}`,
			`{"line":1,"item":"85123A","title":"WHITE HANGING HEART T-LIGHT HOLDER","quantity":6,"unit_price":2.55,"amount":15.299999999999999}`,
			`"kind":"cancel","ref_order":"536365"`,
			`"recent_events":[{"type":"cart_add","time":"2011-09-05T10:00:00Z","source":"web","item":"22423","props":{"qty":1}}`,
		}
		r := e.mustDo(t, req{method: "GET", path: path("crm:c1"), role: "admin"}, 200, nil)
		for _, w := range want {
			if !strings.Contains(string(r.body), w) {
				t.Errorf("profile lacks %s\n%s", w, r.body)
			}
		}
		// other roles see personal data masked, as in the console
		for _, role := range []string{"analyst", "operator"} {
			r := e.mustDo(t, req{method: "GET", path: path("crm:c1"), role: role}, 200, nil)
			for _, secret := range []string{"ann@example.com", "447700900123", "2999-01-01"} {
				if strings.Contains(string(r.body), secret) {
					t.Errorf("%s sees %s unmasked", role, secret)
				}
			}
			for _, w := range []string{`"value":"a•••@e•••.com"`, `"value":"••••••••••23"`, `"United Kingdom"`, `"17850"`} {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("%s: profile lacks %s", role, w)
				}
			}
		}
		if len(ann.RecentOrders) != 3 || ann.RecentOrders[0].ExtID != "562000" || len(ann.RecentOrders[2].Lines) != 2 {
			t.Errorf("recent orders %+v, want 562000, C536379, 536365 (2 lines)", ann.RecentOrders)
		}
	})

	t.Run("as_of", func(t *testing.T) {
		for _, asOf := range []string{"2011-06-30", "2011-06-30T23:00:00Z", "2011-07-01T00:00:00+01:00"} {
			var p profile.Profile
			e.mustDo(t, req{method: "GET", path: path("crm:c1") + "?as_of=" + url.QueryEscape(asOf), role: "analyst"}, 200, &p)
			s := p.OrderSummary
			if s.Orders != 1 || s.Cancellations != 1 || s.LastOrder.Format("2006-01-02") != "2010-12-01" {
				t.Errorf("as_of %s: summary %+v, want 1 order and 1 cancellation up to 2010-12-01", asOf, s)
			}
			if len(p.RecentOrders) != 2 || len(p.RecentEvents) != 1 || p.RecentEvents[0].Type != "view" {
				t.Errorf("as_of %s: %d orders, events %+v; want 2 orders and the view", asOf, len(p.RecentOrders), p.RecentEvents)
			}
		}
	})
}
