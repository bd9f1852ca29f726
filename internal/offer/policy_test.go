package offer_test

import (
	"math"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/offer"
)

func TestDefaultPolicy(t *testing.T) {
	p := offer.DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	for _, tc := range []struct {
		pr   offer.Profile
		want string
	}{
		{offer.Profile{Class: "A", PriceSensitivity: 0.9, ChurnProbability: nan}, "class_a"},
		{offer.Profile{Class: "A", PriceSensitivity: 0.1, ChurnProbability: 0.8}, "win_back"},
		{offer.Profile{Class: "A", Lifecycle: "churned", PriceSensitivity: nan, ChurnProbability: nan}, "win_back"}, // no churn model: the stage decides
		{offer.Profile{Class: "B", Lifecycle: "churned", PriceSensitivity: 0.7, ChurnProbability: 0.1}, "class_b"},  // the model says low risk
		{offer.Profile{Class: "B", PriceSensitivity: 0.2, ChurnProbability: nan}, "full_price"},
		{offer.Profile{Class: "B", PriceSensitivity: 0.6, ChurnProbability: nan}, "class_b"},
		{offer.Profile{Class: "B", PriceSensitivity: nan, ChurnProbability: nan}, "class_b"},
		{offer.Profile{Class: "C", PriceSensitivity: 0.8, ChurnProbability: nan}, "class_c"},
		{offer.Profile{PriceSensitivity: nan, ChurnProbability: nan}, "default"},
	} {
		row, ok := p.Match(tc.pr)
		if !ok || row.Name != tc.want {
			t.Errorf("Match(%+v) = %q, %v; want %q", tc.pr, row.Name, ok, tc.want)
		}
	}
	rows := map[string]offer.PolicyRow{}
	for _, r := range p.Rows {
		rows[r.Name] = r
	}
	for _, tc := range []struct {
		row string
		o   offer.Offer
		ok  bool
	}{
		{"class_a", offer.Offer{Type: offer.CouponAmount, Amount: 10}, false},
		{"class_a", offer.Offer{Type: offer.Content, Content: "new"}, true},
		{"class_b", offer.Offer{Type: offer.CouponAmount, Amount: 10}, true},
		{"class_b", offer.Offer{Type: offer.Threshold, Threshold: 200, Amount: 20}, true},  // 10%
		{"class_b", offer.Offer{Type: offer.Threshold, Threshold: 100, Amount: 30}, false}, // 30% > 15%
		{"class_c", offer.Offer{Type: offer.CouponPercent, Percent: 25}, true},
		{"full_price", offer.Offer{Type: offer.CouponPercent, Percent: 5}, false},
	} {
		ok, why := rows[tc.row].Allows(&tc.o)
		if ok != tc.ok {
			t.Errorf("%s allows %s %+v = %v (%s); want %v", tc.row, tc.o.Type, tc.o, ok, why, tc.ok)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	p, err := offer.ParsePolicy(offer.DefaultPolicy().YAML())
	if err != nil || len(p.Rows) != len(offer.DefaultPolicy().Rows) {
		t.Fatalf("round trip of the default YAML: %v", err)
	}
	if _, err := offer.ParsePolicy([]byte(`{"rows":[{"name":"all","offer_types":["content"],"max_depth":0}]}`)); err != nil {
		t.Errorf("JSON: %v", err)
	}
	for _, tc := range []struct{ in, want string }{
		{"rows:\n  - name: x\n    class: D\n    offer_types: [content]\n", `row 1 ("x"): field "class"`},
		{"rows:\n  - name: x\n    offer_types: [cashback]\n", `field "offer_types"`},
		{"rows:\n  - name: x\n    offer_types: [content]\n    max_depth: 1.5\n", `field "max_depth"`},
		{"rows:\n  - name: x\n    colour: red\n", "line 3"},
		{"rows: []\n", "no rows"},
		{"rows:\n  - offer_types: [content]\n", `field "name"`},
	} {
		_, err := offer.ParsePolicy([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParsePolicy(%q): %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
}
