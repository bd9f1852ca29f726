package feature

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Errors.
var (
	// ErrNoState: the table has no incremental state (built by hand).
	ErrNoState = errors.New("feature table has no incremental state; compute it")
	// ErrRecompute: an update cannot be applied incrementally.
	ErrRecompute = errors.New("feature table needs a full recompute")
)

// Options configure Compute. Zero values take the defaults.
type Options struct {
	// Location is the shop's time zone: calendar days (recency, windows) and
	// hours of day are counted in it. UTC when nil.
	Location *time.Location
	// Bins is the number of RFM score bins; 5 (quintiles).
	Bins int
	// HalfLife, in days, of the recency weighting of preferences (top
	// category, brand, channel, payment, hour); 90.
	HalfLife float64
	// ViewWeight is what one view adds to a category's or brand's
	// preference weight, in currency units; by default a tenth of the shop's
	// mean sale line amount (ten views weigh like one line bought).
	ViewWeight float64
	// Attributes are customer attributes copied into text columns when any
	// customer has them; default country, region, city, gender, age_group.
	Attributes []string
	Classes    rfm.ClassOptions
	Lifecycle  rfm.LifecycleOptions
	Price      rfm.PriceOptions
	// Logger receives progress at debug level; none when nil.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Bins < 2 {
		o.Bins = rfm.DefaultBins
	}
	if o.HalfLife <= 0 {
		o.HalfLife = 90
	}
	if o.Attributes == nil {
		o.Attributes = []string{"country", "region", "city", "gender", "age_group"}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// chunkLines is the number of lines the scanner buffers before the kernel
// folds them.
const chunkLines = 1 << 14

// Compute computes every customer's features as of asOf from the orders and
// events stored in src: one scan of the order lines, one of the events.
func Compute(ctx context.Context, src store.Analytics, asOf time.Time, opts Options) (*Table, error) {
	if asOf.IsZero() {
		return nil, errors.New("compute features: the as-of instant is zero")
	}
	opts = opts.withDefaults()
	start := time.Now()
	ids, err := src.CustomerIDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	if !slices.IsSorted(ids) {
		return nil, errors.New("list customers: ids are not ascending")
	}
	s := newState(len(ids), asOf, opts)
	dense := denseIndex(ids)

	sc := scanner{s: s, dense: dense, ctx: ctx}
	if err := src.ScanLines(ctx, asOf, sc.row); err != nil {
		return nil, fmt.Errorf("scan order lines: %w", err)
	}
	sc.flush()
	opts.Logger.Debug("order lines folded", "rows", sc.rows, "seconds", time.Since(start).Seconds())

	s.m.ViewWeight = opts.ViewWeight
	if s.m.ViewWeight <= 0 {
		var amount float64
		var lines int64
		for i := range s.k.acc {
			amount += s.k.acc[i].monetary
			lines += int64(s.k.acc[i].lines)
		}
		s.m.ViewWeight = 1
		if lines > 0 && amount > 0 {
			s.m.ViewWeight = amount / float64(lines) / 10
		}
	}
	var events int64
	err = src.ScanEvents(ctx, time.Time{}, asOf, func(e *store.Event) error {
		events++
		if events%(1<<16) == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if c := dense(e.CustomerID); c >= 0 {
			s.event(c, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan events: %w", err)
	}

	t := &Table{AsOf: asOf, IDs: ids, st: s}
	s.bind(t, len(ids))
	t.Cols = schemaCols()
	for _, name := range opts.Attributes {
		vals, err := src.AttributeValues(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("read attribute %q: %w", name, err)
		}
		if len(vals) == 0 {
			continue
		}
		col := make([]string, len(ids))
		for id, v := range vals {
			if c := dense(id); c >= 0 {
				col[c] = v
			}
		}
		colName := name
		if _, clash := t.Column(colName); clash {
			colName = "attr_" + name
		}
		t.Text[colName] = col
		t.Cols = append(t.Cols, Column{Name: colName, Type: Text, TypeName: Text.String(),
			Description: fmt.Sprintf("Customer attribute %q from the unified record.", name)})
	}
	s.recomputeWindows(&s.k.cats)
	s.k.cats.reset()
	s.fit()
	s.deriveAll()
	opts.Logger.Debug("features computed", "customers", len(ids), "rows", sc.rows, "events", events,
		"seconds", time.Since(start).Seconds())
	return t, nil
}

func schemaCols() []Column {
	cols := slices.Clone(schema)
	for i := range cols {
		cols[i].TypeName = cols[i].Type.String()
	}
	return cols
}

// denseIndex maps a customer id to its dense number (-1 when absent) through
// an id-indexed slice; ids are small dense integers from 1. Sparse ids fall
// back to a binary search.
func denseIndex(ids []int64) func(int64) int32 {
	if len(ids) == 0 {
		return func(int64) int32 { return -1 }
	}
	maxID := ids[len(ids)-1]
	if ids[0] < 0 || maxID > 4*int64(len(ids))+1<<20 {
		return func(id int64) int32 {
			if i, ok := slices.BinarySearch(ids, id); ok {
				return int32(i)
			}
			return -1
		}
	}
	ix := make([]int32, maxID+1)
	for i := range ix {
		ix[i] = -1
	}
	for i, id := range ids {
		ix[id] = int32(i)
	}
	return func(id int64) int32 {
		if id < 0 || id > maxID {
			return -1
		}
		return ix[id]
	}
}

// scanner turns the store's rows into the kernel's orders and lines,
// resolving the customer once per order, and folds them chunk by chunk.
type scanner struct {
	s      *state
	dense  func(int64) int32
	ctx    context.Context
	orders []orderRec
	lines  []lineRec
	cur    int64
	open   bool
	rows   int64
}

func (sc *scanner) row(r *store.LineRow) error {
	if !sc.open || r.OrderID != sc.cur {
		if len(sc.lines) >= chunkLines {
			sc.flush()
			if err := sc.ctx.Err(); err != nil {
				return err
			}
		}
		sc.cur, sc.open = r.OrderID, true
		sc.orders = append(sc.orders, sc.s.header(r, sc.dense(r.CustomerID)))
	}
	sc.rows++
	o := &sc.orders[len(sc.orders)-1]
	o.nLines++
	if r.Coupon != "" {
		o.coupon = true
	}
	it := sc.s.item(r.ItemID, r.Category, r.Brand)
	sc.lines = append(sc.lines, lineRec{amount: lineAmount(r), discount: r.Discount, cat: it.cat, brand: it.brand})
	return nil
}

func (sc *scanner) flush() {
	sc.s.k.process(sc.orders, sc.lines)
	sc.orders, sc.lines = sc.orders[:0], sc.lines[:0]
}

func lineAmount(r *store.LineRow) float64 {
	if r.Amount != 0 {
		return r.Amount
	}
	return r.Quantity * r.UnitPrice
}

// header converts an order's header; cust is its dense customer number.
func (s *state) header(r *store.LineRow, cust int32) orderRec {
	day, hour := s.dayHour(r.PlacedAt)
	if r.CustomerID == 0 {
		cust = -1
	}
	return orderRec{sec: r.PlacedAt.Unix(), day: day, hour: hour, cust: cust, sale: r.Kind == store.OrderSale,
		channel: s.channels.id(r.Channel), payment: s.payments.id(r.Payment)}
}

// event folds one event of customer c: activity, view preferences, and the
// window log. It reports whether the event entered the window log.
func (s *state) event(c int32, e *store.Event) (logged bool) {
	day, _ := s.dayHour(e.At)
	a := &s.k.acc[c]
	if day > a.lastEvent {
		a.lastEvent = day
	}
	var cart bool
	switch e.Type {
	case store.EventView:
		if it, ok := s.items[e.ItemID]; ok {
			w := s.k.weight(day) * float32(s.m.ViewWeight)
			if it.cat != 0 {
				a.cat.add(it.cat, w)
			}
			if it.brand != 0 {
				a.brand.add(it.brand, w)
			}
		}
	case store.EventCartAdd:
		cart = true
	default:
		return false
	}
	if age := int(s.k.asOf - day); age >= eventWindow || age < 0 {
		return false
	}
	s.events = append(s.events, eventEntry{sec: e.At.Unix(), cust: c, day: day, cart: cart})
	return true
}

func unixTime(sec int64) time.Time { return time.Unix(sec, 0) }
