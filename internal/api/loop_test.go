package api_test

import (
	"context"
	"encoding/json"
	"testing"
)

func TestCampaignReportAndDecisionsAPI(t *testing.T) {
	e, m, _ := newMarketingEnv(t, 120)
	run(t, e, []scenario{
		{"bad holdout", req{method: "POST", path: "/v1/campaigns", role: "operator",
			body: `{"name":"h","rule":"frequency >= 1","channels":["email"],"subject":"s","body":"b","holdout_percent":150}`}, 400, []string{`holdout_percent`}, nil},
		{"create with holdout", req{method: "POST", path: "/v1/campaigns", role: "operator",
			body: `{"name":"h","rule":"frequency >= 0","channels":["email"],"subject":"s","body":"b","holdout_percent":25}`}, 201, nil, nil},
		{"report before launch", req{method: "GET", path: "/v1/campaigns/h/report", role: "analyst"}, 409, []string{"not been launched"}, nil},
		{"preview shows the holdout", req{method: "POST", path: "/v1/campaigns/h/preview", role: "analyst"}, 200,
			[]string{`"holdout":{"percent":25`, `"stratified_by":"value_loyalty_class"`, `"size":30`}, nil},
		{"launch", req{method: "POST", path: "/v1/campaigns/h/launch", role: "operator"}, 200, []string{`"audience":90`}, nil},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Campaigns.Run(ctx); close(done) }()
	if err := m.Campaigns.Wait(context.Background(), "h"); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	run(t, e, []scenario{
		{"report", req{method: "GET", path: "/v1/campaigns/h/report?window=14d&attribution=split", role: "analyst"}, 200, nil, func(t *testing.T, r resp) {
			var v struct {
				Window, Attribution, Verdict string
				Treatment, Holdout           struct{ Customers int64 }
				Uplift                       struct{ Value *float64 }
			}
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			// no orders after the launch: no conversions in either arm, nothing to conclude
			if v.Window != "14d" || v.Attribution != "split" || v.Treatment.Customers != 90 || v.Holdout.Customers != 30 || v.Verdict != "inconclusive" {
				t.Errorf("report: %s", r.body)
			}
		}},
		{"report: bad window", req{method: "GET", path: "/v1/campaigns/h/report?window=soon", role: "analyst"}, 400, []string{"window"}, nil},
		{"report: bad rule", req{method: "GET", path: "/v1/campaigns/h/report?attribution=best", role: "analyst"}, 400, []string{"attribution"}, nil},
		{"report: bad margin", req{method: "GET", path: "/v1/campaigns/h/report?margin=2", role: "analyst"}, 400, []string{"margin"}, nil},
		{"report: unknown campaign", req{method: "GET", path: "/v1/campaigns/nope/report", role: "analyst"}, 404, nil, nil},
		{"decisions", req{method: "GET", path: "/v1/customers/shop:c1/campaign-decisions", role: "analyst"}, 200, []string{`"decisions":[]`}, nil},
		{"decisions: unknown customer", req{method: "GET", path: "/v1/customers/shop:zz/campaign-decisions", role: "analyst"}, 404, nil, nil},
	})
}
