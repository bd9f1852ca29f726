package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends wrap them; callers test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Identity kinds. An external id lives in the namespace of the source that
// issued it ("crm" customer 17 is not "shop" customer 17); e-mail and phone
// are global and stored normalized.
const (
	KindExternalID = "id"
	KindEmail      = "email"
	KindPhone      = "phone"
)

// Identity links one identifier to one customer.
type Identity struct {
	CustomerID int64
	Kind       string // KindExternalID, KindEmail or KindPhone
	Namespace  string // the source for external ids, "" for e-mail and phone
	Value      string // normalized
	Source     string // the source that first reported it
	FirstSeen  time.Time
}

// Merge records that customer Merged was folded into Survivor because both
// carried the identity (Kind, Namespace, Value).
type Merge struct {
	Survivor  int64
	Merged    int64
	Kind      string
	Namespace string
	Value     string
	Source    string // the source whose record revealed the link
	At        time.Time
}

// Customer is the unified record's header. A customer merged into another
// keeps its row with MergedInto set, so old ids still resolve.
type Customer struct {
	ID         int64
	CreatedAt  time.Time
	MergedInto int64 // 0 when the customer is live
}

// Observation is one source's latest value of one attribute of one customer.
// Invalid values are kept (so they can be reported) but never win.
type Observation struct {
	CustomerID int64
	Name       string
	Value      string
	Source     string
	ObservedAt time.Time
	Valid      bool
	Problem    string // why the value is invalid, "" when valid
}

// Attribute is the value of one field of the unified record, chosen from the
// observations by the field's merge policy, with its provenance.
type Attribute struct {
	CustomerID int64
	Name       string
	Value      string
	Source     string
	ObservedAt time.Time
	Rule       string // the policy that chose it, e.g. "priority", "latest"
}

// Item is a catalogue entry.
type Item struct {
	ID        string
	Title     string
	Category  string // path, "/"-separated, e.g. "home/kitchen/mugs"
	Brand     string
	Price     float64
	Active    bool
	Source    string
	UpdatedAt time.Time
}

// OrderKind tells a sale from a cancellation or a return. Cancellations and
// returns are orders of their own, linked to the order they undo; they are
// never netted into it.
type OrderKind string

const (
	OrderSale   OrderKind = "sale"
	OrderCancel OrderKind = "cancel"
	OrderReturn OrderKind = "return"
)

// Order is an order header. (Source, ExtID) identifies it.
type Order struct {
	ID         int64 // assigned by the store
	Source     string
	ExtID      string
	CustomerID int64 // 0 for a guest (anonymous) order
	PlacedAt   time.Time
	Kind       OrderKind
	RefExtID   string // the order a cancellation or return undoes, when the data says
	RefOrderID int64  // that order's id once linked, 0 when unknown
	Channel    string
	Payment    string
	Currency   string
	Coupon     string
}

// OrderLine is one line of an order; (OrderID, LineNo) identifies it, so
// identical lines within one order stay distinct.
type OrderLine struct {
	OrderID   int64
	LineNo    int
	ItemID    string
	Quantity  float64 // negative on cancellations and returns
	UnitPrice float64
	Amount    float64 // line total before discount: quantity × unit price, or as given
	Discount  float64
	Coupon    string
}

// Event types known to the product. Others are accepted as they come.
const (
	EventView          = "view"
	EventSearch        = "search"
	EventCartAdd       = "cart_add"
	EventCartRemove    = "cart_remove"
	EventFavorite      = "favorite"
	EventLogin         = "login"
	EventReview        = "review"
	EventServiceTicket = "service_ticket"
)

// Event is one behaviour event. ID is a 64-bit key derived by the caller from
// the source and the event's own id (or its content), which makes re-imports
// idempotent.
type Event struct {
	ID         int64
	Source     string
	CustomerID int64 // 0 when the visitor is unknown
	Type       string
	At         time.Time
	ItemID     string
	Value      float64
	Props      string // a JSON object or ""
}

// Consent statuses.
const (
	ConsentOptIn  = "opt_in"
	ConsentOptOut = "opt_out"
)

// Consent is a customer's latest decision for one channel.
type Consent struct {
	CustomerID int64
	Channel    string // email, sms, push, call, store, ...
	Status     string // ConsentOptIn or ConsentOptOut
	At         time.Time
	Source     string
}

// API key roles.
const (
	RoleAdmin    = "admin"
	RoleAnalyst  = "analyst"
	RoleOperator = "operator"
	// RoleAgent is hotline and store staff: the call workbench and the
	// call-task API only, and the phone number of a customer whose task
	// they hold.
	RoleAgent = "agent"
)

// APIKey is stored by the SHA-256 of its secret; the secret itself is never kept.
type APIKey struct {
	ID        string // public prefix shown in lists
	Hash      string // hex SHA-256 of the full key
	Role      string
	Name      string
	CreatedAt time.Time
}

// Stats counts what the store holds. Customers counts live (unmerged)
// customers; Orders counts all orders, sales, cancellations and guest orders
// alike; AnonymousOrders counts the orders without a customer.
type Stats struct {
	Customers       int64 `json:"customers"`
	AnonymousOrders int64 `json:"anonymous_orders"`
	Orders          int64 `json:"orders"`
	OrderLines      int64 `json:"order_lines"`
	Events          int64 `json:"events"`
	Items           int64 `json:"items"`
}

// OrderSummary aggregates a customer's orders up to an instant.
type OrderSummary struct {
	Orders        int64     // sale orders
	Cancellations int64     // cancellation and return orders
	Lines         int64     // lines of sale orders
	Revenue       float64   // sum of line amounts of sale orders
	Refunded      float64   // minus the sum of line amounts of cancellations and returns (positive)
	FirstOrder    time.Time // zero when none
	LastOrder     time.Time
}

// Reader holds the read operations shared by a Store and a Tx.
type Reader interface {
	// FindIdentity returns the live customer holding the identity.
	FindIdentity(ctx context.Context, kind, namespace, value string) (customerID int64, ok bool, err error)
	// FindIdentities looks up many values of one kind and namespace at once
	// and returns the customers of those found (absent values have no entry).
	// Duplicates in values are allowed.
	FindIdentities(ctx context.Context, kind, namespace string, values []string) (map[string]int64, error)
	// Customer returns the header; ErrNotFound when absent. A merged id is
	// returned as is, with MergedInto set.
	Customer(ctx context.Context, id int64) (Customer, error)
	Identities(ctx context.Context, customerID int64) ([]Identity, error)
	// Merges lists the merges whose survivor is customerID, oldest first.
	Merges(ctx context.Context, customerID int64) ([]Merge, error)
	// Observations lists the observations of one attribute, or of all when name is "".
	Observations(ctx context.Context, customerID int64, name string) ([]Observation, error)
	Attributes(ctx context.Context, customerID int64) ([]Attribute, error)
	Consents(ctx context.Context, customerID int64) ([]Consent, error)
	// Orders lists a customer's orders placed at or before asOf (zero = no bound), newest first.
	Orders(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]Order, error)
	OrderLines(ctx context.Context, orderID int64) ([]OrderLine, error)
	OrderSummary(ctx context.Context, customerID int64, asOf time.Time) (OrderSummary, error)
	// Events lists a customer's events at or before asOf (zero = no bound), newest first.
	Events(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]Event, error)
	Item(ctx context.Context, id string) (Item, error)
	Stats(ctx context.Context) (Stats, error)
	// APIKey finds a key by the hash of its secret; ErrNotFound when absent.
	APIKey(ctx context.Context, hash string) (APIKey, error)
	APIKeys(ctx context.Context) ([]APIKey, error)
}

// Tx is one write transaction. All writes are idempotent: writing what is
// already stored changes nothing and reports so.
type Tx interface {
	Reader
	NewCustomer(ctx context.Context, at time.Time) (int64, error)
	// AddIdentity stores the identity; ErrConflict when it already belongs to another customer.
	AddIdentity(ctx context.Context, id Identity) error
	// MergeCustomers moves identities, observations, attributes, consents,
	// orders and events of m.Merged to m.Survivor, marks m.Merged as merged and
	// records m. Attributes are copied as they are; the caller re-resolves them.
	MergeCustomers(ctx context.Context, m Merge) error
	// PutObservation stores o as the latest value from o.Source unless a newer
	// one is stored; changed is false when nothing changed.
	PutObservation(ctx context.Context, o Observation) (changed bool, err error)
	// PutObservations stores many observations as PutObservation would, one
	// by one in order, without reporting which changed.
	PutObservations(ctx context.Context, obs []Observation) error
	PutAttribute(ctx context.Context, a Attribute) error
	// PutAttributes stores many attributes as PutAttribute would.
	PutAttributes(ctx context.Context, attrs []Attribute) error
	DeleteAttribute(ctx context.Context, customerID int64, name string) error
	// PutItem inserts or updates an item; changed is false when identical.
	PutItem(ctx context.Context, it Item) (changed bool, err error)
	// PutOrder inserts the header unless (Source, ExtID) exists, and sets o.ID
	// either way. An existing header is left as it is.
	PutOrder(ctx context.Context, o *Order) (inserted bool, err error)
	// PutOrders is PutOrder for many orders: it sets every ID and returns how
	// many headers were new. The same (Source, ExtID) may appear twice.
	PutOrders(ctx context.Context, orders []*Order) (inserted int, err error)
	// PutOrderLines inserts the lines not yet stored and returns how many were new.
	PutOrderLines(ctx context.Context, lines []OrderLine) (inserted int, err error)
	// PutEvents inserts the events whose ID is not yet stored and returns how many were new.
	PutEvents(ctx context.Context, events []Event) (inserted int, err error)
	// PutConsent stores c unless a decision at least as recent is stored for the channel.
	PutConsent(ctx context.Context, c Consent) (changed bool, err error)
}

// Store is a storage backend. Exactly one Update runs at a time.
type Store interface {
	Reader
	Analytics
	Marketing
	Lifecycle
	// Update runs fn in one transaction, committed when fn returns nil and
	// rolled back otherwise.
	Update(ctx context.Context, fn func(tx Tx) error) error
	CreateAPIKey(ctx context.Context, k APIKey) error
	DeleteAPIKey(ctx context.Context, id string) error
	// LinkOrders links cancellations and returns to the order they undo: by
	// RefExtID when known, otherwise to the customer's latest earlier sale
	// containing the same item. It returns how many orders it linked.
	LinkOrders(ctx context.Context) (linked int, err error)
	Close() error
}
