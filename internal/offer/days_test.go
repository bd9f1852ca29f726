package offer

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// JSON (the API) takes a date-only validity too; ResolveDays makes it whole
// days in the shop's zone, and a timestamp stays as given.
func TestDateOnlyValidityFromJSON(t *testing.T) {
	var o Offer
	if err := json.Unmarshal([]byte(`{"name":"a","valid_from":"2099-03-01","valid_until":"2099-03-31"}`), &o); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if err := o.ResolveDays(ny); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2099, 3, 1, 0, 0, 0, 0, ny); !o.ValidFrom.Equal(want) {
		t.Errorf("valid_from %v, want %v", o.ValidFrom, want)
	}
	if want := time.Date(2099, 4, 1, 0, 0, 0, 0, ny); !o.ValidUntil.Equal(want) {
		t.Errorf("valid_until %v, want %v (the end of March 31st there)", o.ValidUntil, want)
	}
	if got := o.LastDay(ny); got != "2099-03-31" {
		t.Errorf("last day %s", got)
	}
	var exact Offer
	if err := json.Unmarshal([]byte(`{"name":"b","valid_until":"2099-03-31T10:00:00Z"}`), &exact); err != nil {
		t.Fatal(err)
	}
	exact.ResolveDays(ny)
	if want := time.Date(2099, 3, 31, 10, 0, 0, 0, time.UTC); !exact.ValidUntil.Equal(want) {
		t.Errorf("timestamp changed: %v", exact.ValidUntil)
	}
	if err := json.Unmarshal([]byte(`{"name":"c","valid_untill":"2099-03-31"}`), &exact); err == nil || !strings.Contains(err.Error(), "valid_untill") {
		t.Errorf("unknown field: %v", err)
	}
}
