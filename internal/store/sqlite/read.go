package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// reader implements store.Reader over a querier: the read pool for the
// Store, the write transaction for a Tx.
type reader struct{ q querier }

var (
	sqlFindIdentity = rq(`SELECT i.customer_id, COALESCE(c.merged_into, 0)
FROM identities i LEFT JOIN customers c ON c.id = i.customer_id
WHERE i.kind = ? AND i.namespace = ? AND i.value = ?`)
	sqlCustomer   = rq(`SELECT created_at, merged_into FROM customers WHERE id = ?`)
	sqlIdentities = rq(`SELECT kind, namespace, value, source, first_seen FROM identities
WHERE customer_id = ? ORDER BY kind, namespace, value`)
	sqlMerges = rq(`SELECT survivor, merged, kind, namespace, value, source, at FROM merges
WHERE survivor = ? ORDER BY at, id`)
	sqlObservations = rq(`SELECT name, value, source, observed_at, valid, problem FROM observations
WHERE customer_id = ? ORDER BY name, source`)
	sqlObservationsNamed = rq(`SELECT name, value, source, observed_at, valid, problem FROM observations
WHERE customer_id = ? AND name = ? ORDER BY source`)
	sqlAttributes = rq(`SELECT name, value, source, observed_at, rule FROM attributes
WHERE customer_id = ? ORDER BY name`)
	sqlConsents = rq(`SELECT channel, status, at, source FROM consents
WHERE customer_id = ? ORDER BY channel`)
	sqlOrders = rq(`SELECT id, source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id,
	channel, payment, currency, coupon
FROM orders WHERE customer_id = ? AND placed_at <= ? ORDER BY placed_at DESC, id DESC LIMIT ?`)
	sqlOrderLines = rq(`SELECT line_no, item_id, quantity, unit_price, amount, discount, coupon
FROM order_lines WHERE order_id = ? ORDER BY line_no`)
	sqlOrderSummary = rq(`SELECT
	(SELECT COUNT(*) FROM orders WHERE customer_id = ?1 AND placed_at <= ?2 AND kind = 'sale'),
	(SELECT COUNT(*) FROM orders WHERE customer_id = ?1 AND placed_at <= ?2 AND kind IN ('cancel', 'return')),
	(SELECT MIN(placed_at) FROM orders WHERE customer_id = ?1 AND placed_at <= ?2 AND kind = 'sale'),
	(SELECT MAX(placed_at) FROM orders WHERE customer_id = ?1 AND placed_at <= ?2 AND kind = 'sale'),
	COUNT(l.order_id) FILTER (WHERE o.kind = 'sale'),
	COALESCE(SUM(l.amount) FILTER (WHERE o.kind = 'sale'), 0.0),
	COALESCE(0.0 - SUM(l.amount) FILTER (WHERE o.kind IN ('cancel', 'return')), 0.0)
FROM orders o JOIN order_lines l ON l.order_id = o.id
WHERE o.customer_id = ?1 AND o.placed_at <= ?2`)
	sqlEvents = rq(`SELECT id, source, customer_id, type, at, item_id, value, props
FROM events WHERE customer_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT ?`)
	sqlItem    = rq(`SELECT title, category, brand, price, active, source, updated_at FROM items WHERE id = ?`)
	sqlStats   = rq(`SELECT customers, anonymous_orders, orders, order_lines, events, items FROM counters WHERE id = 1`)
	sqlAPIKey  = rq(`SELECT id, hash, role, name, created_at FROM api_keys WHERE hash = ?`)
	sqlAPIKeys = rq(`SELECT id, hash, role, name, created_at FROM api_keys ORDER BY created_at, id`)
)

func (r reader) FindIdentity(ctx context.Context, kind, namespace, value string) (int64, bool, error) {
	var id, mergedInto int64
	err := r.q.QueryRowContext(ctx, sqlFindIdentity, kind, namespace, value).Scan(&id, &mergedInto)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("find %s: %w", identityName(kind, namespace), err) // never the value
	case mergedInto != 0: // identities move on merge; this is a safety net
		return mergedInto, true, nil
	}
	return id, true, nil
}

func (r reader) Customer(ctx context.Context, id int64) (store.Customer, error) {
	c := store.Customer{ID: id}
	var created int64
	err := r.q.QueryRowContext(ctx, sqlCustomer, id).Scan(&created, &c.MergedInto)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Customer{}, fmt.Errorf("customer %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Customer{}, fmt.Errorf("read customer %d: %w", id, err)
	}
	c.CreatedAt = fromMicro(created)
	return c, nil
}

func (r reader) Identities(ctx context.Context, customerID int64) ([]store.Identity, error) {
	return list(ctx, r.q, "identities", sqlIdentities, func(rows *sql.Rows) (store.Identity, error) {
		id := store.Identity{CustomerID: customerID}
		var first int64
		err := rows.Scan(&id.Kind, &id.Namespace, &id.Value, &id.Source, &first)
		id.FirstSeen = fromMicro(first)
		return id, err
	}, customerID)
}

func (r reader) Merges(ctx context.Context, customerID int64) ([]store.Merge, error) {
	return list(ctx, r.q, "merges", sqlMerges, func(rows *sql.Rows) (store.Merge, error) {
		var m store.Merge
		var at int64
		err := rows.Scan(&m.Survivor, &m.Merged, &m.Kind, &m.Namespace, &m.Value, &m.Source, &at)
		m.At = fromMicro(at)
		return m, err
	}, customerID)
}

func (r reader) Observations(ctx context.Context, customerID int64, name string) ([]store.Observation, error) {
	scan := func(rows *sql.Rows) (store.Observation, error) {
		o := store.Observation{CustomerID: customerID}
		var at int64
		err := rows.Scan(&o.Name, &o.Value, &o.Source, &at, &o.Valid, &o.Problem)
		o.ObservedAt = fromMicro(at)
		return o, err
	}
	if name == "" {
		return list(ctx, r.q, "observations", sqlObservations, scan, customerID)
	}
	return list(ctx, r.q, "observations", sqlObservationsNamed, scan, customerID, name)
}

func (r reader) Attributes(ctx context.Context, customerID int64) ([]store.Attribute, error) {
	return list(ctx, r.q, "attributes", sqlAttributes, func(rows *sql.Rows) (store.Attribute, error) {
		a := store.Attribute{CustomerID: customerID}
		var at int64
		err := rows.Scan(&a.Name, &a.Value, &a.Source, &at, &a.Rule)
		a.ObservedAt = fromMicro(at)
		return a, err
	}, customerID)
}

func (r reader) Consents(ctx context.Context, customerID int64) ([]store.Consent, error) {
	return list(ctx, r.q, "consents", sqlConsents, func(rows *sql.Rows) (store.Consent, error) {
		c := store.Consent{CustomerID: customerID}
		var at int64
		err := rows.Scan(&c.Channel, &c.Status, &at, &c.Source)
		c.At = fromMicro(at)
		return c, err
	}, customerID)
}

func (r reader) Orders(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]store.Order, error) {
	return list(ctx, r.q, "orders", sqlOrders, func(rows *sql.Rows) (store.Order, error) {
		var o store.Order
		var at int64
		var kind string
		err := rows.Scan(&o.ID, &o.Source, &o.ExtID, &o.CustomerID, &at, &kind, &o.RefExtID, &o.RefOrderID,
			&o.Channel, &o.Payment, &o.Currency, &o.Coupon)
		o.PlacedAt, o.Kind = fromMicro(at), store.OrderKind(kind)
		return o, err
	}, customerID, bound(asOf), sqlLimit(limit))
}

func (r reader) OrderLines(ctx context.Context, orderID int64) ([]store.OrderLine, error) {
	return list(ctx, r.q, "order lines", sqlOrderLines, func(rows *sql.Rows) (store.OrderLine, error) {
		l := store.OrderLine{OrderID: orderID}
		err := rows.Scan(&l.LineNo, &l.ItemID, &l.Quantity, &l.UnitPrice, &l.Amount, &l.Discount, &l.Coupon)
		return l, err
	}, orderID)
}

func (r reader) OrderSummary(ctx context.Context, customerID int64, asOf time.Time) (store.OrderSummary, error) {
	var s store.OrderSummary
	var first, last sql.NullInt64
	err := r.q.QueryRowContext(ctx, sqlOrderSummary, customerID, bound(asOf)).Scan(
		&s.Orders, &s.Cancellations, &first, &last, &s.Lines, &s.Revenue, &s.Refunded)
	if err != nil {
		return store.OrderSummary{}, fmt.Errorf("summarize orders of customer %d: %w", customerID, err)
	}
	if first.Valid {
		s.FirstOrder, s.LastOrder = fromMicro(first.Int64), fromMicro(last.Int64)
	}
	return s, nil
}

func (r reader) Events(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]store.Event, error) {
	return list(ctx, r.q, "events", sqlEvents, func(rows *sql.Rows) (store.Event, error) {
		var e store.Event
		var at int64
		err := rows.Scan(&e.ID, &e.Source, &e.CustomerID, &e.Type, &at, &e.ItemID, &e.Value, &e.Props)
		e.At = fromMicro(at)
		return e, err
	}, customerID, bound(asOf), sqlLimit(limit))
}

func (r reader) Item(ctx context.Context, id string) (store.Item, error) {
	it := store.Item{ID: id}
	var at int64
	err := r.q.QueryRowContext(ctx, sqlItem, id).Scan(&it.Title, &it.Category, &it.Brand, &it.Price, &it.Active, &it.Source, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Item{}, fmt.Errorf("item %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return store.Item{}, fmt.Errorf("read item %q: %w", id, err)
	}
	it.UpdatedAt = fromMicro(at)
	return it, nil
}

// Stats reads the counters the writes keep up to date (see tx.flush), so
// it costs the same on an empty and on a huge store.
func (r reader) Stats(ctx context.Context) (store.Stats, error) {
	var s store.Stats
	err := r.q.QueryRowContext(ctx, sqlStats).Scan(&s.Customers, &s.AnonymousOrders, &s.Orders, &s.OrderLines, &s.Events, &s.Items)
	if err != nil {
		return store.Stats{}, fmt.Errorf("read stats: %w", err)
	}
	return s, nil
}

func (r reader) APIKey(ctx context.Context, hash string) (store.APIKey, error) {
	k, err := scanAPIKey(r.q.QueryRowContext(ctx, sqlAPIKey, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return store.APIKey{}, fmt.Errorf("api key: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.APIKey{}, fmt.Errorf("read api key: %w", err)
	}
	return k, nil
}

func (r reader) APIKeys(ctx context.Context) ([]store.APIKey, error) {
	return list(ctx, r.q, "api keys", sqlAPIKeys, func(rows *sql.Rows) (store.APIKey, error) {
		return scanAPIKey(rows)
	})
}

func scanAPIKey(row interface{ Scan(...any) error }) (store.APIKey, error) {
	var k store.APIKey
	var at int64
	err := row.Scan(&k.ID, &k.Hash, &k.Role, &k.Name, &at)
	k.CreatedAt = fromMicro(at)
	return k, err
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, q querier, what, query string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}
