package store

import (
	"context"
	"time"
)

// Contact kinds: what happened on a channel, in one shared history.
const (
	ContactSent          = "sent"
	ContactDelivered     = "delivered"
	ContactOpened        = "opened"
	ContactClicked       = "clicked"
	ContactConverted     = "converted"
	ContactIntent        = "intent"
	ContactNotInterested = "not_interested"
	ContactCallBack      = "call_back"
	ContactBounced       = "bounced"
	ContactUnsubscribed  = "unsubscribed"
)

// ContactKinds lists the known contact kinds.
var ContactKinds = []string{ContactSent, ContactDelivered, ContactOpened, ContactClicked, ContactConverted,
	ContactIntent, ContactNotInterested, ContactCallBack, ContactBounced, ContactUnsubscribed}

// Contact is one contact with a customer or one response of theirs, on any
// channel (email, sms, push, call, store, hotline, ...).
type Contact struct {
	Seq        int64 // assigned by the store, ascending in insertion order
	CustomerID int64
	Channel    string
	Kind       string // a Contact* constant
	Campaign   string // "" when not part of a campaign
	Step       string
	Offer      string
	At         time.Time
	Detail     string // free text (a call note, a bounce reason); never the address
}

// Touch is one send that counts for frequency caps: a contact of kind
// "sent", or a delivery reserved and not yet sent.
type Touch struct {
	CustomerID int64
	Channel    string
	At         time.Time
}

// Delivery states.
const (
	DeliveryPending = "pending" // reserved: the intent is recorded, the send may or may not have happened
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"  // given up after retries
	DeliveryDropped = "dropped" // not sent at send time (consent withdrawn, suppressed, cap)
)

// Delivery is the outbox row of one message: exactly one per (Campaign,
// CustomerID, Step). It is written before the message is sent; its key is
// the idempotency key channels pass on.
type Delivery struct {
	Campaign   string
	CustomerID int64
	Step       string
	Channel    string
	Offer      string
	Code       string
	State      string // a Delivery* constant
	Attempts   int
	Reason     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Suppression stops every message of a channel ("*": all channels) to a customer.
type Suppression struct {
	CustomerID int64
	Channel    string
	Reason     string // "bounced", "unsubscribed", "complaint", ...
	At         time.Time
}

// Issue records one offer issued to a customer: it counts for the offer's
// budget and the customer's limit.
type Issue struct {
	Offer      string
	CustomerID int64
	Campaign   string
	Step       string
	Code       string
	Cost       float64
	At         time.Time
}

// OfferUse is how much of an offer has been issued.
type OfferUse struct {
	Count int64
	Cost  float64
}

// Campaign run states.
const (
	RunRunning = "running"
	RunPaused  = "paused"
	RunDone    = "done"
)

// CampaignRun is a launched campaign: its frozen audience (customer ids,
// serialized by the caller) and its state.
type CampaignRun struct {
	Campaign   string
	State      string // a Run* constant
	Audience   []byte
	Size       int64
	LaunchedAt time.Time
	UpdatedAt  time.Time
}

// Call task states and results.
const (
	CallOpen     = "open"
	CallAssigned = "assigned"
	CallDone     = "done"
)

// CallTask is one outbound call to make. (Campaign, CustomerID) is unique.
type CallTask struct {
	ID         int64 // assigned by the store
	Campaign   string
	CustomerID int64
	Offer      string
	Script     string
	Assignee   string
	State      string // a Call* constant
	Result     string // "", ContactIntent, ContactNotInterested or ContactCallBack
	CallbackAt time.Time
	Note       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MarketingReader holds the reads of offers and campaigns, shared by a
// Store and a MarketingTx.
type MarketingReader interface {
	// Contacts lists a customer's contacts at or after since (zero: all), newest first.
	Contacts(ctx context.Context, customerID int64, since time.Time, limit int) ([]Contact, error)
	// Touches lists the sends of the customers at or after since: contacts
	// of kind sent and pending deliveries, in no particular order.
	Touches(ctx context.Context, customerIDs []int64, since time.Time) ([]Touch, error)
	// ConsentsOf returns the consent of each customer that has one for the channel.
	ConsentsOf(ctx context.Context, channel string, customerIDs []int64) (map[int64]Consent, error)
	// AddressesOf returns, for each customer that has one, an identity value
	// of the kind (KindEmail or KindPhone): the first seen, the smallest on a tie.
	AddressesOf(ctx context.Context, kind string, customerIDs []int64) (map[int64]string, error)
	// AttributeOf returns the value of one attribute for each customer that has it.
	AttributeOf(ctx context.Context, name string, customerIDs []int64) (map[int64]string, error)
	// SuppressionsOf lists the suppressions of the customers.
	SuppressionsOf(ctx context.Context, customerIDs []int64) ([]Suppression, error)
	// Deliveries lists a campaign's deliveries in a state ("": all), by customer then step.
	Deliveries(ctx context.Context, campaign, state string) ([]Delivery, error)
	// DeliveriesOf returns the deliveries of a campaign's step to the
	// customers that have one, by customer id.
	DeliveriesOf(ctx context.Context, campaign, step string, customerIDs []int64) (map[int64]Delivery, error)
	// DeliveryCounts counts a campaign's deliveries by state.
	DeliveryCounts(ctx context.Context, campaign string) (map[string]int64, error)
	// DeliveredCustomers lists, ascending, the customers that have a
	// delivery (any state) of the campaign's step.
	DeliveredCustomers(ctx context.Context, campaign, step string) ([]int64, error)
	// OfferUse is what has been issued of an offer.
	OfferUse(ctx context.Context, offer string) (OfferUse, error)
	// OfferUses is OfferUse of every offer issued at least once.
	OfferUses(ctx context.Context) (map[string]OfferUse, error)
	// IssuesOf counts, by offer, how often each offer was issued to one customer.
	IssuesOf(ctx context.Context, customerID int64) (map[string]int, error)
	// IssuedTo counts how often the offer was issued to each customer that has it.
	IssuedTo(ctx context.Context, offer string, customerIDs []int64) (map[int64]int, error)
	// CampaignRun returns a launched campaign; ErrNotFound when not launched.
	CampaignRun(ctx context.Context, campaign string) (CampaignRun, error)
	// CallTasks lists a campaign's call tasks ("": all campaigns) in a state ("": all), by id.
	CallTasks(ctx context.Context, campaign, state string) ([]CallTask, error)
	// CallTask returns one task; ErrNotFound when absent.
	CallTask(ctx context.Context, id int64) (CallTask, error)
}

// MarketingTx is a write transaction that also writes what offers and
// campaigns keep.
type MarketingTx interface {
	Tx
	MarketingReader
	// AddContacts appends to the contact history and sets each Seq.
	AddContacts(ctx context.Context, contacts []Contact) error
	// PutDeliveries inserts the deliveries whose key is not yet stored and
	// returns how many were new.
	PutDeliveries(ctx context.Context, ds []Delivery) (inserted int, err error)
	// UpdateDeliveries sets State, Attempts, Reason and UpdatedAt of stored
	// deliveries by key; unknown keys are ErrNotFound.
	UpdateDeliveries(ctx context.Context, ds []Delivery) error
	// PutSuppressions adds or replaces suppressions (one per customer and channel).
	PutSuppressions(ctx context.Context, ss []Suppression) error
	// AddIssues records issued offers.
	AddIssues(ctx context.Context, is []Issue) error
	// PutCampaignRun inserts or replaces a run.
	PutCampaignRun(ctx context.Context, r CampaignRun) error
	// PutCallTask inserts a task (t.ID 0; an existing (Campaign,
	// CustomerID) is left as it is and its ID returned) or updates one by ID.
	PutCallTask(ctx context.Context, t *CallTask) (inserted bool, err error)
}

// Marketing is the part of a Store that offers and campaigns use.
type Marketing interface {
	MarketingReader
	CallQueue
	// UpdateMarketing runs fn in one write transaction, as Update does
	// (the two wait for each other).
	UpdateMarketing(ctx context.Context, fn func(tx MarketingTx) error) error
}
