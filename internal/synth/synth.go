package synth

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Defaults applied by Generate to zero Options fields.
const (
	DefaultCustomers         = 50_000
	DefaultEventsPerCustomer = 10
	// MaxCustomers keeps phone numbers and customer numbers unique.
	MaxCustomers = 100_000_000
	// MaxEventsPerCustomer bounds the event ids reserved for each chunk.
	MaxEventsPerCustomer = 10_000
)

// DefaultEnd is the end of the default history window, fixed so that outputs
// are reproducible; the default window is the two years before it.
var DefaultEnd = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)

// ErrInvalidOptions is returned (wrapped) for options Generate cannot honour.
var ErrInvalidOptions = errors.New("invalid options")

// Options controls Generate. Zero fields take their defaults.
type Options struct {
	Customers         int       // number of real people (default 50,000)
	Seed              int64     // the same seed gives the same bytes
	Start, End        time.Time // history window, End exclusive (default: two years before DefaultEnd)
	EventsPerCustomer float64   // mean behaviour events per person, anonymous traffic included (default 10)
	// Progress, when set, is called from Generate's goroutine now and then
	// with the number of people written so far and the total.
	Progress func(done, total int64)
}

// File describes one data file written by Generate.
type File struct {
	Kind    string   `json:"kind"`   // customers, items, orders or events
	Source  string   `json:"source"` // crm, shop or pos
	Path    string   `json:"path"`   // absolute; ReadManifest re-bases it on the directory read
	Format  string   `json:"format"` // csv, tsv or jsonl
	Rows    int64    `json:"rows"`   // data rows, header excluded
	Columns []string `json:"columns"`
}

// Manifest describes a generated data set. Generate writes it as
// manifest.json, last, so its presence marks a complete data set.
type Manifest struct {
	Files             []File    `json:"files"`
	Customers         int       `json:"customers"` // people, as in Options.Customers
	Seed              int64     `json:"seed"`
	Start             time.Time `json:"start"`
	End               time.Time `json:"end"`
	EventsPerCustomer float64   `json:"events_per_customer"`
	Truth             Truth     `json:"truth"`
}

// Truth is what the generator knows and the data only implies: the hidden
// per-person parameters (in Path, one row per person) and totals a correct
// importer and identity unification must reproduce.
type Truth struct {
	Path    string   `json:"path"` // absolute path of truth.csv
	Rows    int64    `json:"rows"`
	Columns []string `json:"columns"`

	People int64 `json:"people"`
	InCRM  int64 `json:"in_crm"`
	InShop int64 `json:"in_shop"`
	InPOS  int64 `json:"in_pos"`
	// ExpectedCustomers is the number of unified customers a perfect
	// identity unification yields: one per person, except for people known
	// to the shop and the POS but not the CRM, whose two records share no
	// identifier and stay apart.
	ExpectedCustomers int64 `json:"expected_customers"`
	// SharedEmails counts people whose crm and shop records carry the same
	// e-mail address (up to case and surrounding white space).
	SharedEmails int64 `json:"shared_emails"`
	// SharedPhones counts people whose crm and pos records carry the same
	// phone number (same digits after stripping non-digits and a leading 00).
	SharedPhones int64 `json:"shared_phones"`
	// Unlinkable counts people present in the shop and the POS only.
	Unlinkable int64 `json:"unlinkable"`
	// Invalid values, planted only where they break no link.
	InvalidEmails     int64 `json:"invalid_emails"`
	InvalidPhones     int64 `json:"invalid_phones"`
	InvalidBirthDates int64 `json:"invalid_birth_dates"`
	// Movers changed city; the record updated last has the new city.
	Movers int64 `json:"movers"`

	Buyers          int64 `json:"buyers"`       // people with at least one purchase
	AliveAtEnd      int64 `json:"alive_at_end"` // buyers who have not dropped out by End
	Orders          int64 `json:"orders"`       // all orders, both sources, sales, cancellations and returns
	OrderLines      int64 `json:"order_lines"`
	AnonymousOrders int64 `json:"anonymous_orders"` // POS orders without a loyalty card
	Cancellations   int64 `json:"cancellations"`
	Returns         int64 `json:"returns"`
	RevenueCents    int64 `json:"revenue_cents"` // Σ quantity × unit_price − discount over all lines
	Events          int64 `json:"events"`
	AnonymousEvents int64 `json:"anonymous_events"`
}

// Column names of every file; they are the importer's field names.
var (
	itemColumns         = []string{"item", "title", "category", "brand", "price", "active"}
	crmColumns          = []string{"customer", "email", "phone", "name", "gender", "birth_date", "city", "country", "signup_time", "updated", "consent_email", "consent_sms"}
	shopCustomerColumns = []string{"customer", "email", "name", "city", "country", "updated"}
	posCustomerColumns  = []string{"customer", "phone", "name", "city", "updated"}
	shopOrderColumns    = []string{"order", "line", "customer", "time", "item", "quantity", "unit_price", "discount", "coupon", "channel", "payment", "currency", "kind", "ref_order"}
	posOrderColumns     = []string{"order", "line", "customer", "time", "item", "quantity", "unit_price", "discount", "channel", "payment", "currency"}
	eventColumns        = []string{"event", "customer", "type", "time", "item", "value"}
	truthColumns        = []string{"person", "crm_id", "shop_id", "pos_id", "lambda", "p_dropout", "spend_mean", "price_sensitivity", "alive_at_end", "acquired", "dropped"}
)

// ManifestName is the file name of the manifest in the output directory.
const ManifestName = "manifest.json"

// ReadManifest reads dir/manifest.json and points the paths in it at the
// files in dir, so a data set can be moved as a whole.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("parse %s: %w", filepath.Join(dir, ManifestName), err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	for i := range m.Files {
		m.Files[i].Path = filepath.Join(abs, filepath.Base(m.Files[i].Path))
	}
	m.Truth.Path = filepath.Join(abs, filepath.Base(m.Truth.Path))
	return m, nil
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	if o.EventsPerCustomer == 0 {
		o.EventsPerCustomer = DefaultEventsPerCustomer
	}
	if o.End.IsZero() {
		o.End = DefaultEnd
	}
	if o.Start.IsZero() {
		o.Start = o.End.AddDate(-2, 0, 0)
	}
	o.Start, o.End = o.Start.UTC().Truncate(time.Second), o.End.UTC().Truncate(time.Second)
	switch {
	case o.Customers < 0 || o.Customers > MaxCustomers:
		return o, fmt.Errorf("%w: customers %d not in 1..%d", ErrInvalidOptions, o.Customers, MaxCustomers)
	case o.EventsPerCustomer < 0 || o.EventsPerCustomer > MaxEventsPerCustomer:
		return o, fmt.Errorf("%w: events per customer %g not in 0..%d", ErrInvalidOptions, o.EventsPerCustomer, MaxEventsPerCustomer)
	case !o.Start.Before(o.End.Add(-24 * time.Hour)):
		return o, fmt.Errorf("%w: window %s..%s shorter than a day", ErrInvalidOptions, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
	case o.Start.Year() < 1970 || o.End.Year() > 9999:
		return o, fmt.Errorf("%w: window %s..%s outside 1970..9999", ErrInvalidOptions, o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
	}
	return o, nil
}
