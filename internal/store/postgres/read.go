package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// querier is what the reads need; *pgxpool.Pool and pgx.Tx both have it.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// reader implements store.Reader once, for the pool and for transactions.
type reader struct {
	q querier
}

var _ store.Reader = reader{}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, scan func(pgx.Rows, *T) error) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// bound turns a zero asOf into "no bound" and a limit of 0 or less into
// "no limit" (LIMIT NULL).
func bound(asOf time.Time, limit int) (any, any) {
	var at, lim any
	if !asOf.IsZero() {
		at = asOf
	}
	if limit > 0 {
		lim = limit
	}
	return at, lim
}

// findIdentity follows merged_into from the identity's holder to the live customer.
const findIdentity = `
WITH RECURSIVE chain (id, merged_into, depth) AS (
    SELECT c.id, c.merged_into, 0
    FROM identities i JOIN customers c ON c.id = i.customer_id
    WHERE i.kind = $1 AND i.namespace = $2 AND i.value = $3
  UNION ALL
    SELECT c.id, c.merged_into, chain.depth + 1
    FROM chain JOIN customers c ON c.id = chain.merged_into
    WHERE chain.merged_into <> 0 AND chain.depth < 100
)
SELECT id FROM chain WHERE merged_into = 0 LIMIT 1`

func (r reader) FindIdentity(ctx context.Context, kind, namespace, value string) (int64, bool, error) {
	var id int64
	err := r.q.QueryRow(ctx, findIdentity, kind, namespace, value).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("find %s: %w", identityName(kind, namespace), err)
	}
	return id, true, nil
}

func (r reader) Customer(ctx context.Context, id int64) (store.Customer, error) {
	c := store.Customer{ID: id}
	err := r.q.QueryRow(ctx, `SELECT created_at, merged_into FROM customers WHERE id = $1`, id).
		Scan(&c.CreatedAt, &c.MergedInto)
	if err != nil {
		return store.Customer{}, fmt.Errorf("load customer %d: %w", id, mapErr(err))
	}
	c.CreatedAt = utc(c.CreatedAt)
	return c, nil
}

func (r reader) Identities(ctx context.Context, customerID int64) ([]store.Identity, error) {
	rows, err := r.q.Query(ctx, `
		SELECT customer_id, kind, namespace, value, source, first_seen FROM identities
		WHERE customer_id = $1 ORDER BY first_seen, kind, namespace, value`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list identities of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, v *store.Identity) error {
		err := rows.Scan(&v.CustomerID, &v.Kind, &v.Namespace, &v.Value, &v.Source, &v.FirstSeen)
		v.FirstSeen = utc(v.FirstSeen)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list identities of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Merges(ctx context.Context, customerID int64) ([]store.Merge, error) {
	rows, err := r.q.Query(ctx, `
		SELECT survivor, merged, kind, namespace, value, source, at FROM merges
		WHERE survivor = $1 ORDER BY at, id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list merges of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, v *store.Merge) error {
		err := rows.Scan(&v.Survivor, &v.Merged, &v.Kind, &v.Namespace, &v.Value, &v.Source, &v.At)
		v.At = utc(v.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list merges of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Observations(ctx context.Context, customerID int64, name string) ([]store.Observation, error) {
	rows, err := r.q.Query(ctx, `
		SELECT customer_id, name, value, source, observed_at, valid, problem FROM observations
		WHERE customer_id = $1 AND ($2 = '' OR name = $2)
		ORDER BY name, observed_at, source`, customerID, name)
	if err != nil {
		return nil, fmt.Errorf("list observations of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, v *store.Observation) error {
		err := rows.Scan(&v.CustomerID, &v.Name, &v.Value, &v.Source, &v.ObservedAt, &v.Valid, &v.Problem)
		v.ObservedAt = utc(v.ObservedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list observations of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Attributes(ctx context.Context, customerID int64) ([]store.Attribute, error) {
	rows, err := r.q.Query(ctx, `
		SELECT customer_id, name, value, source, observed_at, rule FROM attributes
		WHERE customer_id = $1 ORDER BY name`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list attributes of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, v *store.Attribute) error {
		err := rows.Scan(&v.CustomerID, &v.Name, &v.Value, &v.Source, &v.ObservedAt, &v.Rule)
		v.ObservedAt = utc(v.ObservedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list attributes of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Consents(ctx context.Context, customerID int64) ([]store.Consent, error) {
	rows, err := r.q.Query(ctx, `
		SELECT customer_id, channel, status, at, source FROM consents
		WHERE customer_id = $1 ORDER BY channel`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list consents of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, v *store.Consent) error {
		err := rows.Scan(&v.CustomerID, &v.Channel, &v.Status, &v.At, &v.Source)
		v.At = utc(v.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list consents of customer %d: %w", customerID, err)
	}
	return out, nil
}

const orderColumns = `id, source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon`

func scanOrder(row pgx.Row, o *store.Order) error {
	var kind string
	err := row.Scan(&o.ID, &o.Source, &o.ExtID, &o.CustomerID, &o.PlacedAt, &kind, &o.RefExtID,
		&o.RefOrderID, &o.Channel, &o.Payment, &o.Currency, &o.Coupon)
	o.Kind = store.OrderKind(kind)
	o.PlacedAt = utc(o.PlacedAt)
	return err
}

func (r reader) Orders(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]store.Order, error) {
	at, lim := bound(asOf, limit)
	rows, err := r.q.Query(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR placed_at <= $2)
		ORDER BY placed_at DESC, id DESC LIMIT $3`, customerID, at, lim)
	if err != nil {
		return nil, fmt.Errorf("list orders of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, o *store.Order) error { return scanOrder(rows, o) })
	if err != nil {
		return nil, fmt.Errorf("list orders of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) OrderLines(ctx context.Context, orderID int64) ([]store.OrderLine, error) {
	rows, err := r.q.Query(ctx, `
		SELECT order_id, line_no, item_id, quantity, unit_price, amount, discount, coupon FROM order_lines
		WHERE order_id = $1 ORDER BY line_no`, orderID)
	if err != nil {
		return nil, fmt.Errorf("list lines of order %d: %w", orderID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, l *store.OrderLine) error {
		var lineNo int32
		err := rows.Scan(&l.OrderID, &lineNo, &l.ItemID, &l.Quantity, &l.UnitPrice, &l.Amount, &l.Discount, &l.Coupon)
		l.LineNo = int(lineNo)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list lines of order %d: %w", orderID, err)
	}
	return out, nil
}

// orderSummary aggregates per order first, so an order without lines still counts.
const orderSummary = `
WITH o AS (
    SELECT o.kind, o.placed_at,
           (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id) AS lines,
           (SELECT coalesce(sum(l.amount), 0) FROM order_lines l WHERE l.order_id = o.id) AS amount
    FROM orders o
    WHERE o.customer_id = $1 AND ($2::timestamptz IS NULL OR o.placed_at <= $2)
)
SELECT
    count(*) FILTER (WHERE kind = 'sale'),
    count(*) FILTER (WHERE kind <> 'sale'),
    coalesce(sum(lines) FILTER (WHERE kind = 'sale'), 0)::bigint,
    coalesce(sum(amount) FILTER (WHERE kind = 'sale'), 0),
    coalesce(-sum(amount) FILTER (WHERE kind <> 'sale'), 0),
    min(placed_at) FILTER (WHERE kind = 'sale'),
    max(placed_at) FILTER (WHERE kind = 'sale')
FROM o`

func (r reader) OrderSummary(ctx context.Context, customerID int64, asOf time.Time) (store.OrderSummary, error) {
	at, _ := bound(asOf, 0)
	var s store.OrderSummary
	var first, last *time.Time
	err := r.q.QueryRow(ctx, orderSummary, customerID, at).
		Scan(&s.Orders, &s.Cancellations, &s.Lines, &s.Revenue, &s.Refunded, &first, &last)
	if err != nil {
		return store.OrderSummary{}, fmt.Errorf("summarize orders of customer %d: %w", customerID, err)
	}
	if first != nil {
		s.FirstOrder = utc(*first)
	}
	if last != nil {
		s.LastOrder = utc(*last)
	}
	if s.Refunded == 0 {
		s.Refunded = 0 // no -0
	}
	return s, nil
}

func (r reader) Events(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]store.Event, error) {
	at, lim := bound(asOf, limit)
	rows, err := r.q.Query(ctx, `
		SELECT id, source, customer_id, type, at, item_id, value, props FROM events
		WHERE customer_id = $1 AND ($2::timestamptz IS NULL OR at <= $2)
		ORDER BY at DESC, id DESC LIMIT $3`, customerID, at, lim)
	if err != nil {
		return nil, fmt.Errorf("list events of customer %d: %w", customerID, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, e *store.Event) error {
		err := rows.Scan(&e.ID, &e.Source, &e.CustomerID, &e.Type, &e.At, &e.ItemID, &e.Value, &e.Props)
		e.At = utc(e.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list events of customer %d: %w", customerID, err)
	}
	return out, nil
}

func (r reader) Item(ctx context.Context, id string) (store.Item, error) {
	it := store.Item{ID: id}
	err := r.q.QueryRow(ctx, `
		SELECT title, category, brand, price, active, source, updated_at FROM items WHERE id = $1`, id).
		Scan(&it.Title, &it.Category, &it.Brand, &it.Price, &it.Active, &it.Source, &it.UpdatedAt)
	if err != nil {
		return store.Item{}, fmt.Errorf("load item %q: %w", id, mapErr(err))
	}
	it.UpdatedAt = utc(it.UpdatedAt)
	return it, nil
}

// Stats counts with count(*), which scans the tables; fine up to tens of
// millions of rows, to be replaced by maintained counters beyond.
func (r reader) Stats(ctx context.Context) (store.Stats, error) {
	var s store.Stats
	err := r.q.QueryRow(ctx, `
		SELECT
		    (SELECT count(*) FROM customers WHERE merged_into = 0),
		    (SELECT count(*) FROM orders WHERE customer_id = 0),
		    (SELECT count(*) FROM orders),
		    (SELECT count(*) FROM order_lines),
		    (SELECT count(*) FROM events),
		    (SELECT count(*) FROM items)`).
		Scan(&s.Customers, &s.AnonymousOrders, &s.Orders, &s.OrderLines, &s.Events, &s.Items)
	if err != nil {
		return store.Stats{}, fmt.Errorf("count stored records: %w", err)
	}
	return s, nil
}

func (r reader) APIKey(ctx context.Context, hash string) (store.APIKey, error) {
	k := store.APIKey{Hash: hash}
	err := r.q.QueryRow(ctx, `SELECT id, role, name, created_at FROM api_keys WHERE hash = $1`, hash).
		Scan(&k.ID, &k.Role, &k.Name, &k.CreatedAt)
	if err != nil {
		return store.APIKey{}, fmt.Errorf("load api key: %w", mapErr(err))
	}
	k.CreatedAt = utc(k.CreatedAt)
	return k, nil
}

func (r reader) APIKeys(ctx context.Context) ([]store.APIKey, error) {
	rows, err := r.q.Query(ctx, `SELECT id, hash, role, name, created_at FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	out, err := collect(rows, func(rows pgx.Rows, k *store.APIKey) error {
		err := rows.Scan(&k.ID, &k.Hash, &k.Role, &k.Name, &k.CreatedAt)
		k.CreatedAt = utc(k.CreatedAt)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}
