package store

import (
	"context"
	"time"
)

// LineRow is one order line with its order's header, as analytics read them.
type LineRow struct {
	OrderID    int64
	CustomerID int64 // 0 for guest orders
	PlacedAt   time.Time
	Kind       OrderKind
	Channel    string
	Payment    string
	Coupon     string // the order's coupon, or the line's when the order has none
	ItemID     string
	Category   string // the item's category path, "" when unknown
	Brand      string
	Quantity   float64
	UnitPrice  float64
	Amount     float64
	Discount   float64
}

// Definition is one version of a named definition (a tag, a segment, an
// admission list's rule, a policy table ...) stored as JSON.
type Definition struct {
	Kind      string // "tag", "segment", "admission", ...
	Name      string
	Version   int // 1, 2, ... per (Kind, Name)
	Body      []byte
	Deleted   bool // a deletion is a version too
	CreatedAt time.Time
	Author    string // API key id or "cli"
}

// Admission list kinds.
const (
	ListBlack = "black"
	ListWhite = "white"
	ListGrey  = "grey"
)

// AdmissionEntry puts a customer on a black, white or grey list.
type AdmissionEntry struct {
	List       string    `json:"list"` // ListBlack, ListWhite or ListGrey
	CustomerID int64     `json:"customer_id"`
	Reason     string    `json:"reason"`
	Source     string    `json:"source"` // "upload", "rule:NAME", "api", ...
	AddedAt    time.Time `json:"added_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"` // zero: never
}

// SegmentSize is the size of a segment at an instant.
type SegmentSize struct {
	Segment string
	At      time.Time
	Count   int64
}

// Analytics is what the analytics packages read and keep. Both backends
// implement it; it is part of Store.
type Analytics interface {
	// CustomerIDs returns the ids of all live customers, ascending.
	CustomerIDs(ctx context.Context) ([]int64, error)
	// ScanLines calls fn for every order line of orders placed at or before
	// asOf (zero: all), in order id then line order. fn must not keep row.
	ScanLines(ctx context.Context, asOf time.Time, fn func(row *LineRow) error) error
	// ScanEvents calls fn for every event with from <= At <= to (zero bounds:
	// open), in insertion order. fn must not keep e.
	ScanEvents(ctx context.Context, from, to time.Time, fn func(e *Event) error) error
	// Attribute values of one name for all customers that have it.
	AttributeValues(ctx context.Context, name string) (map[int64]string, error)

	// PutDefinition stores d as the next version of (d.Kind, d.Name) and
	// returns that version.
	PutDefinition(ctx context.Context, d Definition) (version int, err error)
	// Definitions returns the latest version of every live definition of a kind, by name.
	Definitions(ctx context.Context, kind string) ([]Definition, error)
	// DefinitionHistory returns every version of one definition, oldest first;
	// ErrNotFound when there is none.
	DefinitionHistory(ctx context.Context, kind, name string) ([]Definition, error)

	// PutAdmission adds or replaces entries (one per list and customer).
	PutAdmission(ctx context.Context, entries []AdmissionEntry) error
	// RemoveAdmission removes a customer from a list; ErrNotFound when absent.
	RemoveAdmission(ctx context.Context, list string, customerID int64) error
	// Admission returns the entries of a list (all lists when list is "")
	// not expired at the instant at (zero: all).
	Admission(ctx context.Context, list string, at time.Time) ([]AdmissionEntry, error)

	// AddSegmentSizes records segment sizes; SegmentSizes lists one
	// segment's history, oldest first.
	AddSegmentSizes(ctx context.Context, sizes []SegmentSize) error
	SegmentSizes(ctx context.Context, segment string, from, to time.Time) ([]SegmentSize, error)
}
