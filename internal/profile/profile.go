package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Sizes of the recent lists.
const (
	RecentOrders = 20
	RecentEvents = 50
)

// Profile is the customer 360 view, ready to be encoded as JSON.
type Profile struct {
	ID            int64          `json:"id"`
	CreatedAt     time.Time      `json:"created_at"`
	AsOf          time.Time      `json:"as_of,omitzero"` // orders and events are those at or before it; zero = all
	MergedFrom    []Merge        `json:"merged_from"`
	Identities    []Identity     `json:"identities"`
	Attributes    []Attribute    `json:"attributes"`
	InvalidValues []InvalidValue `json:"invalid_values"`
	Consent       []Consent      `json:"consent"`
	OrderSummary  OrderSummary   `json:"order_summary"`
	RecentOrders  []Order        `json:"recent_orders"`
	RecentEvents  []Event        `json:"recent_events"`
}

// Merge is a customer folded into this one, directly or through a customer
// that was folded in later.
type Merge struct {
	Merged    int64     `json:"merged"`
	Into      int64     `json:"into"` // this customer, or one merged into it later
	Kind      string    `json:"kind"` // the identity both carried
	Namespace string    `json:"namespace,omitempty"`
	Value     string    `json:"value"`
	Source    string    `json:"source"` // whose record revealed the link
	At        time.Time `json:"at"`
}

// Identity is one identifier of the customer.
type Identity struct {
	Kind      string    `json:"kind"`
	Namespace string    `json:"namespace,omitempty"`
	Value     string    `json:"value"`
	Source    string    `json:"source"`
	FirstSeen time.Time `json:"first_seen"`
}

// Attribute is a field of the unified record with its provenance.
type Attribute struct {
	Name       string    `json:"name"`
	Value      string    `json:"value"`
	Source     string    `json:"source"`
	ObservedAt time.Time `json:"observed_at"`
	Rule       string    `json:"rule"`
}

// InvalidValue is a value a source sent that failed validation and so never
// wins. The caller is authorized to see it; do not log Value.
type InvalidValue struct {
	Name       string    `json:"name"`
	Value      string    `json:"value"`
	Source     string    `json:"source"`
	ObservedAt time.Time `json:"observed_at"`
	Problem    string    `json:"problem"`
}

// Consent is the latest decision for one channel.
type Consent struct {
	Channel string    `json:"channel"`
	Status  string    `json:"status"`
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
}

// OrderSummary aggregates the orders placed at or before AsOf.
type OrderSummary struct {
	Orders        int64     `json:"orders"`
	Cancellations int64     `json:"cancellations"` // cancellations and returns
	Lines         int64     `json:"lines"`
	Revenue       float64   `json:"revenue"`
	Refunded      float64   `json:"refunded"`
	NetRevenue    float64   `json:"net_revenue"`
	FirstOrder    time.Time `json:"first_order,omitzero"`
	LastOrder     time.Time `json:"last_order,omitzero"`
}

// Order is an order with its lines.
type Order struct {
	ID       int64           `json:"id"`
	Source   string          `json:"source"`
	ExtID    string          `json:"order"`
	PlacedAt time.Time       `json:"placed_at"`
	Kind     store.OrderKind `json:"kind"`
	RefOrder string          `json:"ref_order,omitempty"`
	RefID    int64           `json:"ref_order_id,omitempty"`
	Channel  string          `json:"channel,omitempty"`
	Payment  string          `json:"payment,omitempty"`
	Currency string          `json:"currency,omitempty"`
	Coupon   string          `json:"coupon,omitempty"`
	Total    float64         `json:"total"` // sum of line amounts less discounts
	Lines    []OrderLine     `json:"lines"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	Line      int     `json:"line"`
	Item      string  `json:"item,omitempty"`
	Title     string  `json:"title,omitempty"` // from the catalogue
	Quantity  float64 `json:"quantity"`
	UnitPrice float64 `json:"unit_price"`
	Amount    float64 `json:"amount"`
	Discount  float64 `json:"discount,omitempty"`
	Coupon    string  `json:"coupon,omitempty"`
}

// Event is one behaviour event.
type Event struct {
	Type   string          `json:"type"`
	At     time.Time       `json:"time"`
	Source string          `json:"source"`
	Item   string          `json:"item,omitempty"`
	Value  float64         `json:"value,omitempty"`
	Props  json.RawMessage `json:"props,omitempty"`
}

// Build assembles the profile of customer id. An id that was merged is
// followed to the customer that absorbed it. Orders, the order summary and
// events are those at or before asOf (all when asOf is zero); identities,
// attributes and consent are the current ones. It returns an error wrapping
// store.ErrNotFound when the customer does not exist.
func Build(ctx context.Context, r store.Reader, id int64, asOf time.Time) (Profile, error) {
	c, err := live(ctx, r, id)
	if err != nil {
		return Profile{}, err
	}
	id = c.ID
	if !asOf.IsZero() {
		asOf = asOf.UTC()
	}
	p := Profile{ID: c.ID, CreatedAt: c.CreatedAt.UTC(), AsOf: asOf}
	b := builder{ctx: ctx, r: r, id: id, p: &p}
	for _, step := range []func() error{b.merges, b.identities, b.attributes, b.consent, b.summary,
		func() error { return b.orders(asOf) }, func() error { return b.events(asOf) }} {
		if err := step(); err != nil {
			return Profile{}, fmt.Errorf("build profile of customer %d: %w", id, err)
		}
	}
	return p, nil
}

type builder struct {
	ctx context.Context
	r   store.Reader
	id  int64
	p   *Profile
}

// merges lists the customers folded into this one, following earlier merges
// of the customers merged in (their merges keep their original survivor).
func (b *builder) merges() error {
	b.p.MergedFrom = []Merge{}
	queue := []int64{b.id}
	seen := map[int64]bool{b.id: true}
	for len(queue) > 0 {
		into := queue[0]
		queue = queue[1:]
		ms, err := b.r.Merges(b.ctx, into)
		if err != nil {
			return fmt.Errorf("list merges into %d: %w", into, err)
		}
		for _, m := range ms {
			b.p.MergedFrom = append(b.p.MergedFrom, Merge{Merged: m.Merged, Into: m.Survivor, Kind: m.Kind,
				Namespace: m.Namespace, Value: m.Value, Source: m.Source, At: m.At.UTC()})
			if !seen[m.Merged] {
				seen[m.Merged] = true
				queue = append(queue, m.Merged)
			}
		}
	}
	return nil
}

func (b *builder) identities() error {
	ids, err := b.r.Identities(b.ctx, b.id)
	if err != nil {
		return fmt.Errorf("list identities: %w", err)
	}
	b.p.Identities = make([]Identity, 0, len(ids))
	for _, i := range ids {
		b.p.Identities = append(b.p.Identities, Identity{Kind: i.Kind, Namespace: i.Namespace, Value: i.Value,
			Source: i.Source, FirstSeen: i.FirstSeen.UTC()})
	}
	return nil
}

func (b *builder) attributes() error {
	attrs, err := b.r.Attributes(b.ctx, b.id)
	if err != nil {
		return fmt.Errorf("list attributes: %w", err)
	}
	b.p.Attributes = make([]Attribute, 0, len(attrs))
	for _, a := range attrs {
		b.p.Attributes = append(b.p.Attributes, Attribute{Name: a.Name, Value: a.Value, Source: a.Source,
			ObservedAt: a.ObservedAt.UTC(), Rule: a.Rule})
	}
	obs, err := b.r.Observations(b.ctx, b.id, "")
	if err != nil {
		return fmt.Errorf("list observations: %w", err)
	}
	b.p.InvalidValues = []InvalidValue{}
	for _, o := range obs {
		if !o.Valid {
			b.p.InvalidValues = append(b.p.InvalidValues, InvalidValue{Name: o.Name, Value: o.Value, Source: o.Source,
				ObservedAt: o.ObservedAt.UTC(), Problem: o.Problem})
		}
	}
	return nil
}

func (b *builder) consent() error {
	cs, err := b.r.Consents(b.ctx, b.id)
	if err != nil {
		return fmt.Errorf("list consents: %w", err)
	}
	b.p.Consent = make([]Consent, 0, len(cs))
	for _, c := range cs {
		b.p.Consent = append(b.p.Consent, Consent{Channel: c.Channel, Status: c.Status, At: c.At.UTC(), Source: c.Source})
	}
	return nil
}

func (b *builder) summary() error {
	s, err := b.r.OrderSummary(b.ctx, b.id, b.p.AsOf)
	if err != nil {
		return fmt.Errorf("summarize orders: %w", err)
	}
	b.p.OrderSummary = OrderSummary{Orders: s.Orders, Cancellations: s.Cancellations, Lines: s.Lines,
		Revenue: s.Revenue, Refunded: s.Refunded, NetRevenue: s.Revenue - s.Refunded,
		FirstOrder: utcOrZero(s.FirstOrder), LastOrder: utcOrZero(s.LastOrder)}
	return nil
}

func (b *builder) orders(asOf time.Time) error {
	os, err := b.r.Orders(b.ctx, b.id, asOf, RecentOrders)
	if err != nil {
		return fmt.Errorf("list orders: %w", err)
	}
	titles := map[string]string{}
	b.p.RecentOrders = make([]Order, 0, len(os))
	for _, o := range os {
		lines, err := b.r.OrderLines(b.ctx, o.ID)
		if err != nil {
			return fmt.Errorf("list lines of order %d: %w", o.ID, err)
		}
		out := Order{ID: o.ID, Source: o.Source, ExtID: o.ExtID, PlacedAt: o.PlacedAt.UTC(), Kind: o.Kind,
			RefOrder: o.RefExtID, RefID: o.RefOrderID, Channel: o.Channel, Payment: o.Payment, Currency: o.Currency,
			Coupon: o.Coupon, Lines: make([]OrderLine, 0, len(lines))}
		for _, l := range lines {
			title, err := b.title(titles, l.ItemID)
			if err != nil {
				return err
			}
			out.Total += l.Amount - l.Discount
			out.Lines = append(out.Lines, OrderLine{Line: l.LineNo, Item: l.ItemID, Title: title, Quantity: l.Quantity,
				UnitPrice: l.UnitPrice, Amount: l.Amount, Discount: l.Discount, Coupon: l.Coupon})
		}
		b.p.RecentOrders = append(b.p.RecentOrders, out)
	}
	return nil
}

// title returns an item's title from the catalogue, "" when it is unknown.
func (b *builder) title(cache map[string]string, item string) (string, error) {
	if item == "" {
		return "", nil
	}
	if t, ok := cache[item]; ok {
		return t, nil
	}
	it, err := b.r.Item(b.ctx, item)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
	default:
		return "", fmt.Errorf("load item %q: %w", item, err)
	}
	cache[item] = it.Title
	return it.Title, nil
}

func (b *builder) events(asOf time.Time) error {
	es, err := b.r.Events(b.ctx, b.id, asOf, RecentEvents)
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	b.p.RecentEvents = make([]Event, 0, len(es))
	for _, e := range es {
		ev := Event{Type: e.Type, At: e.At.UTC(), Source: e.Source, Item: e.ItemID, Value: e.Value}
		if e.Props != "" && json.Valid([]byte(e.Props)) {
			ev.Props = json.RawMessage(e.Props)
		}
		b.p.RecentEvents = append(b.p.RecentEvents, ev)
	}
	return nil
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}
