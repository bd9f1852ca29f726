package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// valid_until given as a date is the end of that day in the shop's time
// zone (valid through it); a timestamp is kept exactly.
func TestOfferValidUntilDateMeansEndOfDay(t *testing.T) {
	dir := t.TempDir()
	envs := []string{"SAGITTA_DATA_DIR=" + dir + "/data", "SAGITTA_TIMEZONE=Asia/Shanghai"}
	must := func(args ...string) string {
		t.Helper()
		r := runWith(t, envs, args...)
		if r.code != 0 {
			t.Fatalf("sagitta %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	writeFile(t, dir, "offers.yaml", "- {name: day, type: coupon_amount, amount: 5, budget_count: 10, rule: frequency >= 1, valid_from: 2099-12-01, valid_until: 2099-12-31}\n"+
		"- {name: exact, type: coupon_amount, amount: 5, budget_count: 10, rule: frequency >= 1, valid_until: 2099-12-31T12:00:00Z}\n")
	must("offer", "create", dir+"/offers.yaml")
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]time.Time{
		"day":   {time.Date(2099, 12, 1, 0, 0, 0, 0, shanghai), time.Date(2100, 1, 1, 0, 0, 0, 0, shanghai)},
		"exact": {{}, time.Date(2099, 12, 31, 12, 0, 0, 0, time.UTC)},
	} {
		var got struct {
			Offer struct {
				ValidFrom  time.Time `json:"valid_from"`
				ValidUntil time.Time `json:"valid_until"`
			} `json:"offer"`
		}
		if err := json.Unmarshal([]byte(must("offer", "show", name, "--json")), &got); err != nil {
			t.Fatal(err)
		}
		if !got.Offer.ValidFrom.Equal(want[0]) || !got.Offer.ValidUntil.Equal(want[1]) {
			t.Errorf("offer %s: valid from %v until %v, want %v until %v", name, got.Offer.ValidFrom, got.Offer.ValidUntil, want[0], want[1])
		}
	}
	if out := must("offer", "list"); !strings.Contains(out, "2099-12-31") || strings.Contains(out, "2100-01-01") {
		t.Errorf("offer list shows the last valid day:\n%s", out)
	}
	// a typo in a field name is still refused
	writeFile(t, dir, "typo.yaml", "name: typo\ntype: coupon_amount\namount: 5\nbudget_count: 10\nrule: frequency >= 1\nvalid_untill: 2099-12-31\n")
	if r := runWith(t, envs, "offer", "create", dir+"/typo.yaml"); r.code != 1 || !strings.Contains(r.stderr, "valid_untill") {
		t.Errorf("unknown field: exit %d, %s", r.code, r.stderr)
	}
}
