package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/recommend"
)

type recBody struct {
	Customer *int64                     `json:"customer"`
	Items    []recommend.Recommendation `json:"items"`
}

func TestRecommendations(t *testing.T) {
	svc := recommend.NewService(recommend.ServiceOptions{})
	e := newEnv(t, api.Options{Recommend: svc})
	run(t, e, []scenario{
		{name: "no model yet", req: req{method: "GET", path: "/v1/customers/1/recommendations", role: "analyst"}, status: 503, want: []string{"recommend train"}},
	})

	// 60 customers buy in one of two departments; import through the API.
	var lines []string
	t0 := time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := range 60 {
		for k := range 6 {
			item := (c%2)*10 + (c+k*3)%10
			lines = append(lines, fmt.Sprintf(`{"order":"o%d","customer":"c%d","time":%q,"item":"i%d","quantity":1,"unit_price":2,"amount":2}`,
				c, c, t0.Add(time.Duration(c)*time.Hour).Format(time.RFC3339), item))
		}
	}
	e.mustDo(t, req{method: "POST", path: "/v1/orders?source=shop", role: "admin", body: "[" + strings.Join(lines, ",") + "]"}, 200, nil)
	ctx := context.Background()
	d, _, err := recommend.OrderInteractions(ctx, e.st, time.Time{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := recommend.DefaultConfig()
	c.ALS.Factors = 4
	m, err := recommend.Train(ctx, d, c)
	if err != nil {
		t.Fatal(err)
	}
	svc.Swap(m)

	run(t, e, []scenario{
		{name: "known customer", req: req{method: "GET", path: "/v1/customers/shop:c0/recommendations?n=3", role: "analyst"}, status: 200,
			check: func(t *testing.T, r resp) {
				var b recBody
				if err := json.Unmarshal(r.body, &b); err != nil || b.Customer == nil || len(b.Items) != 3 {
					t.Fatalf("%s: %v", r.body, err)
				}
				for _, it := range b.Items {
					if it.Item == "i0" || it.Item == "i3" { // c0 bought i0, i3, i6, i9
						t.Errorf("bought item %s recommended", it.Item)
					}
				}
			}},
		{name: "unknown customer gets popular items", req: req{method: "GET", path: "/v1/customers/nobody@example.com/recommendations?n=2", role: "analyst"}, status: 200,
			check: func(t *testing.T, r resp) {
				var b recBody
				if err := json.Unmarshal(r.body, &b); err != nil || b.Customer != nil || len(b.Items) != 2 || b.Items[0].Reason != "popular" {
					t.Fatalf("%s: %v", r.body, err)
				}
			}},
		{name: "category filter", req: req{method: "GET", path: "/v1/customers/shop:c0/recommendations?categories=none", role: "analyst"}, status: 200, want: []string{`"items":[]`}},
		{name: "bad n", req: req{method: "GET", path: "/v1/customers/shop:c0/recommendations?n=0", role: "analyst"}, status: 400, want: []string{"n: expected"}},
		{name: "bad flag", req: req{method: "GET", path: "/v1/customers/shop:c0/recommendations?include_seen=maybe", role: "analyst"}, status: 400, want: []string{"include_seen"}},
		{name: "no key", req: req{method: "GET", path: "/v1/customers/shop:c0/recommendations"}, status: 401},
		{name: "cart", req: req{method: "POST", path: "/v1/recommendations/cart", role: "analyst", body: `{"items":["i1","i4","unknown"],"n":4,"filters":{"max_per_category":0}}`}, status: 200,
			check: func(t *testing.T, r resp) {
				var b recBody
				if err := json.Unmarshal(r.body, &b); err != nil || len(b.Items) != 4 {
					t.Fatalf("%s: %v", r.body, err)
				}
				for _, it := range b.Items {
					if it.Item == "i1" || it.Item == "i4" {
						t.Errorf("cart item %s suggested", it.Item)
					}
				}
			}},
		{name: "cart with an unknown field", req: req{method: "POST", path: "/v1/recommendations/cart", role: "analyst", body: `{"itemz":["i1"]}`}, status: 400, want: []string{"itemz"}},
		{name: "cart n too large", req: req{method: "POST", path: "/v1/recommendations/cart", role: "analyst", body: `{"items":["i1"],"n":1000}`}, status: 400},
	})
}
