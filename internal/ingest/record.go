package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// CustomerRecord is what one source says about one customer.
type CustomerRecord struct {
	Pos     int64             `json:"-"` // line in the file or index in the request
	Source  string            `json:"source,omitempty"`
	ID      string            `json:"customer,omitempty"` // the source's own customer id
	Email   string            `json:"email,omitempty"`
	Phone   string            `json:"phone,omitempty"`
	Updated time.Time         `json:"updated,omitzero"` // when the source last changed the record; import time when zero
	Attrs   map[string]string `json:"attributes,omitempty"`
	Consent map[string]string `json:"consent,omitempty"` // channel -> opt_in | opt_out
}

// ItemRecord is one catalogue entry.
type ItemRecord struct {
	Pos      int64   `json:"-"`
	Source   string  `json:"source,omitempty"`
	ID       string  `json:"item"`
	Title    string  `json:"title,omitempty"`
	Category string  `json:"category,omitempty"`
	Brand    string  `json:"brand,omitempty"`
	Price    float64 `json:"price,omitempty"`
	Active   *bool   `json:"active,omitempty"` // true when absent
}

// OrderLineRecord is one line of an order, with the order's header fields
// repeated (as in most exports). A line without an order id is an order of
// its own; a line without a line number gets its position in the order.
type OrderLineRecord struct {
	Pos       int64             `json:"-"`
	Source    string            `json:"source,omitempty"`
	Order     string            `json:"order,omitempty"`
	Line      int               `json:"line,omitempty"`
	Customer  string            `json:"customer,omitempty"`
	Email     string            `json:"email,omitempty"`
	Phone     string            `json:"phone,omitempty"`
	Time      time.Time         `json:"time"`
	Item      string            `json:"item,omitempty"`
	ItemTitle string            `json:"item_title,omitempty"`
	Quantity  float64           `json:"quantity,omitempty"`
	UnitPrice float64           `json:"unit_price,omitempty"`
	Amount    float64           `json:"amount,omitempty"`
	Discount  float64           `json:"discount,omitempty"`
	Coupon    string            `json:"coupon,omitempty"`
	Channel   string            `json:"channel,omitempty"`
	Payment   string            `json:"payment,omitempty"`
	Currency  string            `json:"currency,omitempty"`
	Kind      store.OrderKind   `json:"kind,omitempty"`
	RefOrder  string            `json:"ref_order,omitempty"`
	Attrs     map[string]string `json:"customer_attributes,omitempty"` // customer attributes carried by the line, e.g. country
}

// EventRecord is one behaviour event.
type EventRecord struct {
	Pos      int64           `json:"-"`
	Source   string          `json:"source,omitempty"`
	ID       string          `json:"event,omitempty"` // the source's event id; content-derived when empty
	Customer string          `json:"customer,omitempty"`
	Email    string          `json:"email,omitempty"`
	Phone    string          `json:"phone,omitempty"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	Item     string          `json:"item,omitempty"`
	Value    float64         `json:"value,omitempty"`
	Props    json.RawMessage `json:"props,omitempty"`
}

// Limits on field sizes, so one bad row cannot bloat the store.
const (
	maxIDLen    = 256
	maxTextLen  = 4096
	maxPropsLen = 16 << 10
)

var errNoTime = errors.New("time: missing")

// MaxFuture is how far after the present an order line or event may be
// dated (clocks differ); a later one is refused, since it would move every
// customer's features to that date.
const MaxFuture = 48 * time.Hour

// MaxMagnitude bounds quantities, prices and amounts (a trillion): beyond
// it a value is a unit or parsing mistake, and sums of such values would
// overflow to infinity.
const MaxMagnitude = 1e12

func checkTime(t time.Time) error {
	if t.IsZero() {
		return errNoTime
	}
	if limit := time.Now().Add(MaxFuture); t.After(limit) {
		return fmt.Errorf("time: %s is in the future (more than %s after now)", t.Format(time.RFC3339), MaxFuture)
	}
	return nil
}

func checkText(field, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%s: longer than %d bytes", field, max)
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s: invalid UTF-8", field)
	}
	return nil
}

func checkNumber(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: not a finite number", field)
	}
	if math.Abs(v) > MaxMagnitude {
		return fmt.Errorf("%s: %g is beyond %g", field, v, MaxMagnitude)
	}
	return nil
}

// Validate checks a customer record; it returns the first problem found.
func (r *CustomerRecord) Validate() error {
	if r.ID == "" && strings.TrimSpace(r.Email) == "" && strings.TrimSpace(r.Phone) == "" {
		return errors.New("customer: no identifier (customer id, email or phone)")
	}
	for _, f := range [][2]string{{"customer", r.ID}, {"email", r.Email}, {"phone", r.Phone}} {
		if err := checkText(f[0], f[1], maxIDLen); err != nil {
			return err
		}
	}
	for k, v := range r.Attrs {
		if err := checkText(k, v, maxTextLen); err != nil {
			return err
		}
	}
	for ch, v := range r.Consent {
		s, err := ParseConsent(v)
		if err != nil {
			return fmt.Errorf("consent_%s: %w", ch, err)
		}
		r.Consent[ch] = s
	}
	return nil
}

// ParseConsent reads opt_in / opt_out and their usual spellings; "" means no decision.
func ParseConsent(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "opt_in", "optin", "opt-in", "in", "yes", "y", "true", "1", "granted", "subscribed":
		return store.ConsentOptIn, nil
	case "opt_out", "optout", "opt-out", "out", "no", "n", "false", "0", "denied", "unsubscribed":
		return store.ConsentOptOut, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%q is not opt_in or opt_out", v)
}

// Validate checks an item record.
func (r *ItemRecord) Validate() error {
	if r.ID == "" {
		return errors.New("item: missing")
	}
	if err := checkText("item", r.ID, maxIDLen); err != nil {
		return err
	}
	for _, f := range [][2]string{{"title", r.Title}, {"category", r.Category}, {"brand", r.Brand}} {
		if err := checkText(f[0], f[1], maxTextLen); err != nil {
			return err
		}
	}
	if err := checkNumber("price", r.Price); err != nil {
		return err
	}
	if r.Price < 0 {
		return fmt.Errorf("price: negative (%g)", r.Price)
	}
	return nil
}

// Validate checks an order line and completes its derived fields: kind
// (sale by default), amount from quantity × unit price or unit price from
// amount ÷ quantity.
func (r *OrderLineRecord) Validate() error {
	if err := checkTime(r.Time); err != nil {
		return err
	}
	for _, f := range [][2]string{{"order", r.Order}, {"customer", r.Customer}, {"email", r.Email},
		{"phone", r.Phone}, {"item", r.Item}, {"coupon", r.Coupon}, {"channel", r.Channel},
		{"payment", r.Payment}, {"currency", r.Currency}, {"ref_order", r.RefOrder}} {
		if err := checkText(f[0], f[1], maxIDLen); err != nil {
			return err
		}
	}
	if err := checkText("item_title", r.ItemTitle, maxTextLen); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"quantity", r.Quantity}, {"unit_price", r.UnitPrice}, {"amount", r.Amount}, {"discount", r.Discount}} {
		if err := checkNumber(f.name, f.v); err != nil {
			return err
		}
	}
	switch r.Kind {
	case "":
		r.Kind = store.OrderSale
	case store.OrderSale, store.OrderCancel, store.OrderReturn:
	default:
		return fmt.Errorf("kind: %q is not sale, cancel or return", r.Kind)
	}
	if r.Line < 0 {
		return fmt.Errorf("line: negative (%d)", r.Line)
	}
	if r.Quantity == 0 && r.UnitPrice == 0 && r.Amount != 0 {
		r.Quantity = 1 // a plain transaction log: one purchase of the amount
	}
	if r.UnitPrice < 0 {
		return fmt.Errorf("unit_price: negative (%g)", r.UnitPrice)
	}
	if r.Kind == store.OrderSale && (r.Quantity < 0 || r.Amount < 0) {
		return fmt.Errorf("quantity: negative (%g) on a sale; cancellations and returns need kind cancel or return", r.Quantity)
	}
	if r.Kind == store.OrderSale && r.Discount < 0 {
		return fmt.Errorf("discount: negative (%g) on a sale", r.Discount)
	}
	switch {
	case r.Amount == 0:
		r.Amount = r.Quantity * r.UnitPrice
		if err := checkNumber("quantity × unit_price", r.Amount); err != nil {
			return err
		}
	case r.UnitPrice == 0 && r.Quantity != 0:
		r.UnitPrice = r.Amount / r.Quantity
	}
	if r.Kind != store.OrderSale && r.Quantity > 0 {
		// cancellations and returns carry negative quantities and amounts
		r.Quantity, r.Amount = -r.Quantity, -math.Abs(r.Amount)
	}
	if r.Kind != store.OrderSale {
		// a cancellation or return gives the discount back: negative, like its amount
		r.Discount = -math.Abs(r.Discount)
	}
	return nil
}

// Validate checks an event record.
func (r *EventRecord) Validate() error {
	if r.Type == "" {
		return errors.New("type: missing")
	}
	if err := checkTime(r.Time); err != nil {
		return err
	}
	for _, f := range [][2]string{{"event", r.ID}, {"customer", r.Customer}, {"email", r.Email},
		{"phone", r.Phone}, {"type", r.Type}, {"item", r.Item}} {
		if err := checkText(f[0], f[1], maxIDLen); err != nil {
			return err
		}
	}
	if err := checkNumber("value", r.Value); err != nil {
		return err
	}
	if len(r.Props) > 0 {
		if len(r.Props) > maxPropsLen {
			return fmt.Errorf("props: longer than %d bytes", maxPropsLen)
		}
		var obj map[string]any
		if err := json.Unmarshal(r.Props, &obj); err != nil || obj == nil {
			return errors.New("props: not a JSON object")
		}
	}
	return nil
}

// CheckSource accepts a source name: 1 to 64 bytes of printable UTF-8
// without ':' (which separates source and id in a customer reference).
func CheckSource(s string) error {
	switch {
	case s == "":
		return errors.New("source: empty")
	case len(s) > 64:
		return errors.New("source: longer than 64 bytes")
	case !utf8.ValidString(s):
		return errors.New("source: invalid UTF-8")
	case strings.Contains(s, ":"):
		return errors.New("source: must not contain ':' (it separates source and id in SOURCE:ID)")
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return errors.New("source: must not contain control characters")
	}
	return nil
}
