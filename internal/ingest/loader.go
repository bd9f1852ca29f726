package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Batch is a set of records written in one transaction.
type Batch struct {
	Customers []CustomerRecord
	Items     []ItemRecord
	Lines     []OrderLineRecord
	Events    []EventRecord
}

// Len counts the records of the batch.
func (b *Batch) Len() int { return len(b.Customers) + len(b.Items) + len(b.Lines) + len(b.Events) }

// Reject is one record that was refused, by position.
type Reject struct {
	Pos    int64  `json:"pos"`
	Reason string `json:"reason"`
}

// Counts adds up what loading did. Every record is exactly one of imported
// (stored for the first time), updated (changed a customer or an item already
// stored), duplicate (already stored, nothing changed) or rejected.
type Counts struct {
	Imported         int64 `json:"imported"`
	Updated          int64 `json:"updated"`
	Duplicates       int64 `json:"duplicates"`
	Rejected         int64 `json:"rejected"`
	CustomersCreated int64 `json:"customers_created"`
	Merged           int64 `json:"customers_merged"`
	InvalidValues    int64 `json:"invalid_values"`
}

func (c *Counts) add(o Counts) {
	c.Imported += o.Imported
	c.Updated += o.Updated
	c.Duplicates += o.Duplicates
	c.Rejected += o.Rejected
	c.CustomersCreated += o.CustomersCreated
	c.Merged += o.Merged
	c.InvalidValues += o.InvalidValues
}

// Result is the outcome of loading one batch.
type Result struct {
	Counts
	Rejects  []Reject
	Problems []Reject // values refused inside records that were still imported

	// With Loader.Collect: the order lines and events this batch stored for
	// the first time, for incremental feature updates. A statement that met
	// duplicates is left out whole (which of its rows were new is unknown)
	// and counted in Uncollected: the features need a full compute then.
	Lines       []store.LineRow
	Events      []store.Event
	Uncollected int
}

// Loader writes batches of records through identity resolution into a store.
// It remembers, across batches of one run, which customer each external id
// resolved to and the position of the last line of each order, so a file can
// be loaded in many transactions. A Loader is not safe for concurrent use.
type Loader struct {
	// Collect asks Load to return the rows it stored (Result.Lines, Result.Events).
	Collect bool

	st       store.Store
	resolver *identity.Resolver

	customers map[sourceID]int64          // external id -> customer
	orders    map[sourceID]int64          // order -> order id, recent orders only
	lines     map[sourceID]int            // order -> last line position seen
	occur     map[uint64]int              // content hash -> occurrences, for records without an id
	items     map[string]bool             // items known to exist
	attrs     map[int64]map[string]string // customer -> attributes last written from order lines

	lastKey      sourceID // the external id resolved last, and its customer
	lastCustomer int64
}

// NewLoader returns a Loader writing to st.
func NewLoader(st store.Store, r *identity.Resolver) *Loader {
	l := &Loader{st: st, resolver: r}
	l.reset()
	return l
}

// prefetch fills the transaction's identity cache for the batch, skipping
// the external ids this run already knows.
func (l *Loader) prefetch(ctx context.Context, tx *cachedTx, b *Batch) error {
	return tx.prefetch(ctx, b, func(source, id string) bool {
		_, ok := l.customers[sourceID{source, id}]
		return ok
	})
}

// forget drops the cached customers of external ids.
func (l *Loader) forget() {
	clear(l.customers)
	l.lastKey, l.lastCustomer = sourceID{}, 0
}

// sourceID is an id in the namespace of a source.
type sourceID struct{ source, id string }

// clone copies the id out of the row it was cut from, so that a cache does
// not keep whole rows alive.
func (k sourceID) clone() sourceID { return sourceID{k.source, strings.Clone(k.id)} }

func (l *Loader) reset() {
	l.lastKey, l.lastCustomer = sourceID{}, 0
	l.customers = make(map[sourceID]int64)
	l.orders = make(map[sourceID]int64)
	l.items = make(map[string]bool)
	l.attrs = make(map[int64]map[string]string)
}

// maxCache bounds each cache of a Loader; a full cache is emptied.
const maxCache = 1 << 18

// Load validates nothing (callers do, per record, so that they can report
// positions in their own terms) and writes b in one transaction. A store
// error fails the whole batch and nothing of it is kept.
func (l *Loader) Load(ctx context.Context, b *Batch) (Result, error) {
	if l.lines == nil {
		l.lines = make(map[sourceID]int)
		l.occur = make(map[uint64]int)
	}
	// positions are assigned outside the transaction so that a retried batch
	// gets the same ones
	linePos := l.positions(b)
	var res Result
	err := l.st.Update(ctx, func(stx store.Tx) error {
		res = Result{}
		tx := newCachedTx(stx)
		if err := l.prefetch(ctx, tx, b); err != nil {
			return err
		}
		for i := range b.Customers {
			if err := l.customer(ctx, tx, &b.Customers[i], &res); err != nil {
				return err
			}
		}
		for i := range b.Items {
			if err := l.item(ctx, tx, &b.Items[i], &res); err != nil {
				return err
			}
		}
		if err := l.orderLines(ctx, tx, b.Lines, linePos, &res); err != nil {
			return err
		}
		if err := l.events(ctx, tx, b.Events, &res); err != nil {
			return err
		}
		return tx.flush(ctx)
	})
	if err != nil {
		l.reset() // ids cached inside the failed transaction no longer exist
		return Result{}, err
	}
	if len(l.customers) > maxCache {
		l.forget()
	}
	if len(l.orders) > maxCache {
		clear(l.orders)
	}
	if len(l.attrs) > maxCache {
		clear(l.attrs)
	}
	if len(l.items) > maxCache {
		clear(l.items)
	}
	return res, nil
}

type linePosition struct {
	order string
	line  int
}

// positions fixes the order id and line number of every line: lines without
// an order id become orders of their own, identified by their content and its
// occurrence; lines without a number get their position in the order. It
// also fixes event ids.
func (l *Loader) positions(b *Batch) []linePosition {
	pos := make([]linePosition, len(b.Lines))
	for i := range b.Lines {
		r := &b.Lines[i]
		order := r.Order
		if order == "" {
			h := hashStrings("line", r.Source, r.Customer, r.Email, r.Phone, r.Time.UTC().Format(time.RFC3339Nano),
				r.Item, ftoa(r.Quantity), ftoa(r.UnitPrice), ftoa(r.Amount), ftoa(r.Discount), r.Coupon, r.Channel)
			l.occur[h]++
			order = "~" + strconv.FormatUint(h, 36) + "." + strconv.Itoa(l.occur[h])
		}
		line := r.Line
		if line == 0 {
			k := sourceID{r.Source, order}
			l.lines[k]++
			line = l.lines[k]
		}
		pos[i] = linePosition{order, line}
	}
	for i := range b.Events {
		r := &b.Events[i]
		if r.ID == "" {
			h := hashStrings("event", r.Source, r.Customer, r.Email, r.Phone, r.Type,
				r.Time.UTC().Format(time.RFC3339Nano), r.Item, ftoa(r.Value), string(r.Props))
			l.occur[h]++
			r.ID = "~" + strconv.FormatUint(h, 36) + "." + strconv.Itoa(l.occur[h])
		}
	}
	return pos
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func hashStrings(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// EventID is the stored key of an event: a 64-bit hash of its source and id.
func EventID(source, id string) int64 {
	return int64(hashStrings(source, id) & math.MaxInt64)
}

func (l *Loader) customer(ctx context.Context, tx store.Tx, r *CustomerRecord, res *Result) error {
	out, err := l.resolver.Resolve(ctx, tx, identity.Record{Source: r.Source, ExternalID: r.ID,
		Email: r.Email, Phone: r.Phone, At: r.Updated, Attrs: r.Attrs})
	if errors.Is(err, identity.ErrNoIdentity) {
		res.Rejected++
		res.Rejects = append(res.Rejects, Reject{r.Pos, err.Error() + problemsSuffix(out.Problems)})
		return nil
	}
	if err != nil {
		return fmt.Errorf("customer at %d: %w", r.Pos, err)
	}
	changed := out.Changed
	at := r.Updated
	if at.IsZero() {
		at = l.resolver.Now()
	}
	for ch, status := range r.Consent {
		if status == "" {
			continue
		}
		c, err := tx.PutConsent(ctx, store.Consent{CustomerID: out.CustomerID, Channel: ch, Status: status,
			At: at.UTC(), Source: r.Source})
		if err != nil {
			return fmt.Errorf("consent at %d: %w", r.Pos, err)
		}
		changed = changed || c
	}
	switch {
	case out.Created:
		res.Imported++
	case changed:
		res.Updated++
	default:
		res.Duplicates++
	}
	if out.Created {
		res.CustomersCreated++
	}
	if len(out.Merges) > 0 {
		res.Merged += int64(len(out.Merges))
		l.forget() // merged-away ids may be cached
	}
	for _, p := range out.Problems {
		res.InvalidValues++
		res.Problems = append(res.Problems, Reject{r.Pos, p.String()})
	}
	if r.ID != "" {
		l.customers[sourceID{r.Source, strings.Clone(r.ID)}] = out.CustomerID
	}
	return nil
}

func problemsSuffix(ps []identity.Problem) string {
	if len(ps) == 0 {
		return ""
	}
	s := " ("
	for i, p := range ps {
		if i > 0 {
			s += "; "
		}
		s += p.String()
	}
	return s + ")"
}

// customerOf resolves the customer a line or event refers to, creating it
// when it is new; 0 means anonymous.
func (l *Loader) customerOf(ctx context.Context, tx store.Tx, source, id, email, phone string, at time.Time, res *Result) (int64, error) {
	if id == "" && email == "" && phone == "" {
		return 0, nil
	}
	k := sourceID{source, id}
	if email == "" && phone == "" {
		if k == l.lastKey {
			return l.lastCustomer, nil // lines of one order come together
		}
		if c, ok := l.customers[k]; ok {
			l.lastKey, l.lastCustomer = k, c
			return c, nil
		}
		c, ok, err := tx.FindIdentity(ctx, store.KindExternalID, source, id)
		if err != nil {
			return 0, err
		}
		if ok {
			l.customers[k.clone()] = c
			return c, nil
		}
	}
	out, err := l.resolver.Resolve(ctx, tx, identity.Record{Source: source, ExternalID: id, Email: email, Phone: phone, At: at})
	if errors.Is(err, identity.ErrNoIdentity) {
		return 0, nil // only invalid e-mail/phone: treat as a guest
	}
	if err != nil {
		return 0, err
	}
	if out.Created {
		res.CustomersCreated++
	}
	if len(out.Merges) > 0 {
		res.Merged += int64(len(out.Merges))
		l.forget()
	}
	if id != "" {
		l.customers[k.clone()] = out.CustomerID
	}
	return out.CustomerID, nil
}

// item stores a catalogue row: new, it is imported; stored with other
// values, updated; stored as it is, a duplicate and not written (a write
// would only move its update time, and a re-import must change nothing).
func (l *Loader) item(ctx context.Context, tx store.Tx, r *ItemRecord, res *Result) error {
	it := store.Item{ID: r.ID, Title: r.Title, Category: r.Category, Brand: r.Brand,
		Price: r.Price, Active: r.Active == nil || *r.Active, Source: r.Source}
	old, err := tx.Item(ctx, r.ID)
	stored := err == nil
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("item at %d: %w", r.Pos, err)
	case sameItem(old, it):
		l.items[strings.Clone(r.ID)] = true
		res.Duplicates++
		return nil
	}
	it.UpdatedAt = l.resolver.Now().UTC()
	changed, err := tx.PutItem(ctx, it)
	if err != nil {
		return fmt.Errorf("item at %d: %w", r.Pos, err)
	}
	l.items[strings.Clone(r.ID)] = true
	switch {
	case !changed:
		res.Duplicates++
	case stored:
		res.Updated++
	default:
		res.Imported++
	}
	return nil
}

// sameItem reports whether two catalogue rows hold the same values, update
// times aside.
func sameItem(a, b store.Item) bool {
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	return a == b
}

func (l *Loader) orderLines(ctx context.Context, tx store.Tx, recs []OrderLineRecord, pos []linePosition, res *Result) error {
	var rows []store.LineRow // with Collect: the LineRow of each pending line
	out := newBulk(len(recs), "order lines", res, func(lines []store.OrderLine) (int, error) {
		n, err := tx.PutOrderLines(ctx, lines)
		if l.Collect && err == nil {
			if n == len(lines) {
				res.Lines = append(res.Lines, rows[len(rows)-len(lines):]...)
			} else {
				res.Uncollected += n
			}
		}
		return n, err
	})
	// First the customers and the order headers, the new headers in bulk...
	custs := make([]int64, len(recs))
	var fresh []*store.Order
	batchOrders := make(map[sourceID]*store.Order)
	for i := range recs {
		r := &recs[i]
		cust, err := l.customerOf(ctx, tx, r.Source, r.Customer, r.Email, r.Phone, r.Time, res)
		if err != nil {
			return fmt.Errorf("order line at %d: customer: %w", r.Pos, err)
		}
		custs[i] = cust
		if cust != 0 && len(r.Attrs) > 0 {
			if err := l.lineAttrs(ctx, tx, cust, r); err != nil {
				return err
			}
		}
		if r.Item != "" && !l.items[r.Item] {
			if err := l.lineItem(ctx, tx, r); err != nil {
				return err
			}
		}
		k := sourceID{r.Source, pos[i].order}
		if _, ok := l.orders[k]; ok {
			continue
		}
		if _, ok := batchOrders[k]; ok {
			continue
		}
		o := &store.Order{Source: r.Source, ExtID: pos[i].order, CustomerID: cust, PlacedAt: r.Time.UTC(),
			Kind: r.Kind, RefExtID: r.RefOrder, Channel: r.Channel, Payment: r.Payment, Currency: r.Currency,
			Coupon: r.Coupon}
		batchOrders[k] = o
		fresh = append(fresh, o)
	}
	if len(fresh) > 0 {
		if _, err := tx.PutOrders(ctx, fresh); err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		for k, o := range batchOrders {
			l.orders[k.clone()] = o.ID
		}
	}
	// ...then the lines.
	for i := range recs {
		r := &recs[i]
		orderID := l.orders[sourceID{r.Source, pos[i].order}]
		if l.Collect {
			rows = append(rows, store.LineRow{OrderID: orderID, CustomerID: custs[i], PlacedAt: r.Time.UTC(),
				Kind: r.Kind, Channel: r.Channel, Payment: r.Payment, Coupon: r.Coupon, ItemID: r.Item,
				Quantity: r.Quantity, UnitPrice: r.UnitPrice, Amount: r.Amount, Discount: r.Discount})
		}
		err := out.add(store.OrderLine{OrderID: orderID, LineNo: pos[i].line, ItemID: r.Item,
			Quantity: r.Quantity, UnitPrice: r.UnitPrice, Amount: r.Amount, Discount: r.Discount, Coupon: r.Coupon})
		if err != nil {
			return err
		}
	}
	return out.flush()
}

// lineItem adds an item first seen on an order line to the catalogue, unless
// the catalogue already has it (an items import is authoritative).
func (l *Loader) lineItem(ctx context.Context, tx store.Tx, r *OrderLineRecord) error {
	_, err := tx.Item(ctx, r.Item)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound):
		price := r.UnitPrice
		if price < 0 {
			price = 0
		}
		if _, err := tx.PutItem(ctx, store.Item{ID: r.Item, Title: r.ItemTitle, Price: price, Active: true,
			Source: r.Source, UpdatedAt: r.Time.UTC()}); err != nil {
			return fmt.Errorf("item %q at %d: %w", r.Item, r.Pos, err)
		}
	default:
		return fmt.Errorf("item %q at %d: %w", r.Item, r.Pos, err)
	}
	l.items[strings.Clone(r.Item)] = true
	return nil
}

// lineAttrs records customer attributes carried by order lines (a country
// column, say), writing only when they differ from the last written.
func (l *Loader) lineAttrs(ctx context.Context, tx store.Tx, cust int64, r *OrderLineRecord) error {
	if maps.Equal(l.attrs[cust], r.Attrs) {
		return nil // the reader sends only changes; this catches a repeat across files
	}
	if _, _, err := l.resolver.Observe(ctx, tx, cust, r.Source, r.Time, r.Attrs); err != nil {
		return fmt.Errorf("order line at %d: customer attributes: %w", r.Pos, err)
	}
	l.attrs[cust] = r.Attrs
	return nil
}

func (l *Loader) events(ctx context.Context, tx store.Tx, recs []EventRecord, res *Result) error {
	out := newBulk(len(recs), "events", res, func(rows []store.Event) (int, error) {
		n, err := tx.PutEvents(ctx, rows)
		if l.Collect && err == nil {
			if n == len(rows) {
				res.Events = append(res.Events, rows...)
			} else {
				res.Uncollected += n
			}
		}
		return n, err
	})
	for i := range recs {
		r := &recs[i]
		cust, err := l.customerOf(ctx, tx, r.Source, r.Customer, r.Email, r.Phone, r.Time, res)
		if err != nil {
			return fmt.Errorf("event at %d: customer: %w", r.Pos, err)
		}
		err = out.add(store.Event{ID: EventID(r.Source, r.ID), Source: r.Source, CustomerID: cust,
			Type: r.Type, At: r.Time.UTC(), ItemID: r.Item, Value: r.Value, Props: string(r.Props)})
		if err != nil {
			return err
		}
	}
	return out.flush()
}

// rowsPerStatement is how many lines or events one bulk write sends.
const rowsPerStatement = 1000

// bulk collects rows and writes them rowsPerStatement at a time, counting
// the new rows as imported and the others as duplicates.
type bulk[T any] struct {
	rows  []T
	what  string
	res   *Result
	write func([]T) (inserted int, err error)
}

func newBulk[T any](n int, what string, res *Result, write func([]T) (int, error)) *bulk[T] {
	return &bulk[T]{rows: make([]T, 0, min(n, rowsPerStatement)), what: what, res: res, write: write}
}

func (b *bulk[T]) add(row T) error {
	b.rows = append(b.rows, row)
	if len(b.rows) == rowsPerStatement {
		return b.flush()
	}
	return nil
}

func (b *bulk[T]) flush() error {
	if len(b.rows) == 0 {
		return nil
	}
	n, err := b.write(b.rows)
	if err != nil {
		return fmt.Errorf("%s: %w", b.what, err)
	}
	b.res.Imported += int64(n)
	b.res.Duplicates += int64(len(b.rows) - n)
	b.rows = b.rows[:0]
	return nil
}
