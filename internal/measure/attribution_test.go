package measure

import (
	"math"
	"testing"
	"time"
)

func TestAttribute(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	touches := []Touch{
		{Customer: 1, Campaign: "spring", At: t0},
		{Customer: 1, Campaign: "winback", At: t0.Add(2 * day)},
		{Customer: 1, Campaign: "spring", At: t0.Add(3 * day)}, // second touch of spring
		{Customer: 2, Campaign: "spring", At: t0, Holdout: true},
		{Customer: 3, Campaign: "spring", At: t0},
	}
	orders := []Order{
		{Customer: 1, ID: "a", At: t0.Add(4 * day), Revenue: 90},
		{Customer: 1, ID: "b", At: t0.Add(-day), Revenue: 50},    // before any touch
		{Customer: 2, ID: "c", At: t0.Add(6 * day), Revenue: 30}, // holdout, in window
		{Customer: 3, ID: "d", At: t0.Add(7 * day), Revenue: 40}, // exactly at window end: out
		{Customer: 4, ID: "e", At: t0, Revenue: 10},              // never touched
		{Customer: 1, ID: "f", At: t0.Add(2 * day), Revenue: 12}, // same instant as winback touch
	}
	type got struct {
		order    string
		campaign string
		share    float64
	}
	tests := []struct {
		rule Rule
		want []got
	}{
		{LastTouch, []got{{"f", "winback", 1}, {"a", "spring", 1}, {"c", "spring", 1}}},
		{FirstTouch, []got{{"f", "spring", 1}, {"a", "spring", 1}, {"c", "spring", 1}}},
		{Split, []got{{"f", "spring", 0.5}, {"f", "winback", 0.5}, {"a", "spring", 0.5}, {"a", "winback", 0.5}, {"c", "spring", 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.rule.String(), func(t *testing.T) {
			cs := Attribute(touches, orders, Attribution{Window: 7 * day, Rule: tc.rule})
			if len(cs) != len(tc.want) {
				t.Fatalf("got %d credits %+v, want %d", len(cs), cs, len(tc.want))
			}
			for i, c := range cs {
				w := tc.want[i]
				o := orders[c.Order]
				if o.ID != w.order || c.Campaign != w.campaign || c.Share != w.share || math.Abs(c.Revenue-w.share*o.Revenue) > 1e-12 {
					t.Errorf("credit %d: %+v (order %s), want %+v", i, c, o.ID, w)
				}
			}
		})
	}
	cs := Attribute(touches, orders, Attribution{Window: 7 * day, Rule: Split})
	outs := CampaignOutcomes("spring", touches, cs, func(_ int64, converted bool) float64 {
		if converted {
			return 5
		}
		return 0.1
	})
	want := []Outcome{
		{Customer: 1, Converted: true, Revenue: 51, Cost: 5},
		{Customer: 2, Holdout: true, Converted: true, Revenue: 30},
		{Customer: 3, Cost: 0.1},
	}
	if len(outs) != len(want) {
		t.Fatalf("outcomes %+v", outs)
	}
	for i := range want {
		if outs[i] != want[i] {
			t.Errorf("outcome %d = %+v, want %+v", i, outs[i], want[i])
		}
	}
}

func TestParseRule(t *testing.T) {
	for s, want := range map[string]Rule{"last": LastTouch, "": LastTouch, "first": FirstTouch, "split": Split} {
		if r, err := ParseRule(s); err != nil || r != want {
			t.Errorf("ParseRule(%q) = %v, %v", s, r, err)
		}
	}
	if _, err := ParseRule("linear"); err == nil {
		t.Error("unknown rule accepted")
	}
}
