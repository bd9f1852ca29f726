package ingest

import (
	"strings"
	"testing"
	"time"
)

// Values that would poison every customer's features are refused: a time
// far in the future (it moves the feature table to that date) and amounts
// whose product overflows.
func TestValidateRefusesPoison(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		name string
		rec  OrderLineRecord
		want string
	}{
		{"far future", OrderLineRecord{Customer: "c", Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Quantity: 1, UnitPrice: 1}, "in the future"},
		{"overflowing product", OrderLineRecord{Customer: "c", Time: now, Quantity: 1e10, UnitPrice: 1e10}, "quantity × unit_price"},
		{"huge price", OrderLineRecord{Customer: "c", Time: now, Quantity: 10, UnitPrice: 1e308}, "unit_price"},
	} {
		err := tt.rec.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error about %s", tt.name, err, tt.want)
		}
	}
	ok := OrderLineRecord{Customer: "c", Time: now.Add(time.Hour), Quantity: 2, UnitPrice: 3.5}
	if err := ok.Validate(); err != nil || ok.Amount != 7 {
		t.Errorf("an hour ahead (clock skew): %v, amount %v", err, ok.Amount)
	}
	ev := EventRecord{Customer: "c", Type: "view", Time: now.AddDate(1, 0, 0)}
	if err := ev.Validate(); err == nil || !strings.Contains(err.Error(), "in the future") {
		t.Errorf("event a year ahead: %v", err)
	}
}
