package recommend

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// OrderBaskets reads the sale orders placed at or before asOf (zero: all)
// as baskets, one per order, of the items on lines with a positive
// quantity. Cancellations and returns are left out.
func OrderBaskets(ctx context.Context, src store.Analytics, asOf time.Time) (*rules.Baskets, error) {
	b := rules.NewBaskets()
	var cur int64 = -1
	var set []int32
	flush := func() {
		if cur >= 0 {
			b.AddIDs(set)
			set = nil
		}
	}
	err := src.ScanLines(ctx, asOf, func(row *store.LineRow) error {
		if row.Kind != store.OrderSale {
			return nil
		}
		if row.OrderID != cur {
			flush()
			cur = row.OrderID
		}
		if row.Quantity > 0 && row.ItemID != "" {
			set = append(set, b.ID(row.ItemID))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan order lines: %w", err)
	}
	flush()
	return b, nil
}

// Catalogue is what the store tells about items while interactions are read.
type Catalogue struct {
	Category map[string]string
	Price    map[string]float64
}

// OrderInteractions reads the sale lines (positive quantity, known
// customer) placed at or before asOf as interactions of weight 1: user =
// the customer id in decimal, item = the item id. Item events of the types
// in eventWeights (cart_add, favorite, view, ...) are added with their
// type's weight. It also returns the items' categories and latest unit
// prices.
func OrderInteractions(ctx context.Context, src store.Analytics, asOf time.Time, eventWeights map[string]float32) (*Dataset, Catalogue, error) {
	d := NewDataset()
	cat := Catalogue{Category: map[string]string{}, Price: map[string]float64{}}
	err := src.ScanLines(ctx, asOf, func(row *store.LineRow) error {
		if row.Kind != store.OrderSale || row.CustomerID == 0 || row.Quantity <= 0 || row.ItemID == "" {
			return nil
		}
		d.Add(CustomerName(row.CustomerID), row.ItemID, row.PlacedAt.Unix())
		if row.Category != "" {
			cat.Category[row.ItemID] = row.Category
		}
		if row.UnitPrice > 0 {
			cat.Price[row.ItemID] = row.UnitPrice
		}
		return nil
	})
	if err != nil {
		return nil, cat, fmt.Errorf("scan order lines: %w", err)
	}
	if len(eventWeights) > 0 {
		err = src.ScanEvents(ctx, time.Time{}, asOf, func(e *store.Event) error {
			if w := eventWeights[e.Type]; w > 0 && e.CustomerID != 0 && e.ItemID != "" {
				d.AddWeighted(CustomerName(e.CustomerID), e.ItemID, e.At.Unix(), w)
			}
			return nil
		})
		if err != nil {
			return nil, cat, fmt.Errorf("scan events: %w", err)
		}
	}
	return d, cat, nil
}

// SetCatalogue records the items' categories and prices in the model.
func (m *Model) SetCatalogue(c Catalogue) {
	m.Category = make([]string, len(m.Items))
	m.Price = make([]float64, len(m.Items))
	for i, it := range m.Items {
		m.Category[i] = c.Category[it]
		m.Price[i] = c.Price[it]
	}
}

// StoreHistory reads customers' histories from the store: the items of
// their latest orders (sales) and of their item events, newest first.
type StoreHistory struct {
	Store store.Reader
}

// CustomerItems implements HistoryLookup. A customer name that is not a
// store id has no history.
func (h StoreHistory) CustomerItems(ctx context.Context, customer string, limit int) ([]string, error) {
	id, err := strconv.ParseInt(customer, 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	orders, err := h.Store.Orders(ctx, id, time.Time{}, 20)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	var out []string
	for _, o := range orders {
		if o.Kind != store.OrderSale {
			continue
		}
		lines, err := h.Store.OrderLines(ctx, o.ID)
		if err != nil {
			return nil, fmt.Errorf("read order lines: %w", err)
		}
		for _, l := range lines {
			if l.Quantity > 0 && l.ItemID != "" {
				out = append(out, l.ItemID)
			}
		}
		if len(out) >= limit {
			return out[:limit], nil
		}
	}
	events, err := h.Store.Events(ctx, id, time.Time{}, limit)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	for _, e := range events {
		if e.ItemID != "" && len(out) < limit {
			out = append(out, e.ItemID)
		}
	}
	return out, nil
}

// SetSegments records every user's value of a customer attribute (e.g.
// country) as its segment; users are store customer ids in decimal.
func (m *Model) SetSegments(attr string, values map[int64]string) {
	m.SegmentAttr = attr
	m.Segment = make([]string, len(m.Users))
	for u, name := range m.Users {
		if id, err := strconv.ParseInt(name, 10, 64); err == nil {
			m.Segment[u] = values[id]
		}
	}
}

// CustomerSegment implements SegmentLookup: the customer's value of attr.
func (h StoreHistory) CustomerSegment(ctx context.Context, customer, attr string) (string, error) {
	id, err := strconv.ParseInt(customer, 10, 64)
	if err != nil || id <= 0 || attr == "" {
		return "", nil
	}
	attrs, err := h.Store.Attributes(ctx, id)
	if err != nil {
		return "", fmt.Errorf("read attributes: %w", err)
	}
	for _, a := range attrs {
		if a.Name == attr {
			return a.Value, nil
		}
	}
	return "", nil
}
