package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// tx is one Update's transaction. Like pgx.Tx it is not safe for concurrent use.
type tx struct {
	reader
	tx pgx.Tx
}

var _ store.Tx = (*tx)(nil)

// batchRows bounds the rows sent in one statement by PutOrderLines and
// PutEvents, so a huge slice does not become one huge message.
const batchRows = 5000

func (t *tx) NewCustomer(ctx context.Context, at time.Time) (int64, error) {
	var id int64
	if err := t.tx.QueryRow(ctx, `INSERT INTO customers (created_at) VALUES ($1) RETURNING id`, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("create customer: %w", err)
	}
	return id, nil
}

func (t *tx) AddIdentity(ctx context.Context, id store.Identity) error {
	tag, err := t.tx.Exec(ctx, `
		INSERT INTO identities (kind, namespace, value, customer_id, source, first_seen)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (kind, namespace, value) DO NOTHING`,
		id.Kind, id.Namespace, id.Value, id.CustomerID, id.Source, id.FirstSeen)
	// Errors name the kind and namespace, never the value (see identityName).
	if err != nil {
		return fmt.Errorf("add %s to customer %d: %w", identityName(id.Kind, id.Namespace), id.CustomerID, mapErr(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var holder int64
	err = t.tx.QueryRow(ctx, `SELECT customer_id FROM identities WHERE kind = $1 AND namespace = $2 AND value = $3`,
		id.Kind, id.Namespace, id.Value).Scan(&holder)
	if err != nil {
		return fmt.Errorf("add %s to customer %d: %w", identityName(id.Kind, id.Namespace), id.CustomerID, mapErr(err))
	}
	if holder != id.CustomerID {
		return fmt.Errorf("add %s to customer %d: held by customer %d: %w",
			identityName(id.Kind, id.Namespace), id.CustomerID, holder, store.ErrConflict)
	}
	return nil
}

// mergeSteps move everything of $2 (merged) to $1 (survivor). Where both
// hold a row with the same key, the more recent one is kept (the survivor's
// on a tie; always the survivor's admission entry). The casts type $1 in the
// statements that do not use it.
var mergeSteps = []string{
	`UPDATE identities SET customer_id = $1 WHERE customer_id = $2`,
	`INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem)
	 SELECT $1, name, source, value, observed_at, valid, problem FROM observations WHERE customer_id = $2
	 ON CONFLICT (customer_id, name, source) DO UPDATE
	 SET value = excluded.value, observed_at = excluded.observed_at, valid = excluded.valid, problem = excluded.problem
	 WHERE observations.observed_at < excluded.observed_at`,
	`DELETE FROM observations WHERE customer_id = $2 AND $1::bigint IS NOT NULL`,
	`INSERT INTO attributes (customer_id, name, value, source, observed_at, rule)
	 SELECT $1, name, value, source, observed_at, rule FROM attributes WHERE customer_id = $2
	 ON CONFLICT (customer_id, name) DO UPDATE
	 SET value = excluded.value, source = excluded.source, observed_at = excluded.observed_at, rule = excluded.rule
	 WHERE attributes.observed_at < excluded.observed_at`,
	`DELETE FROM attributes WHERE customer_id = $2 AND $1::bigint IS NOT NULL`,
	`INSERT INTO consents (customer_id, channel, status, at, source)
	 SELECT $1, channel, status, at, source FROM consents WHERE customer_id = $2
	 ON CONFLICT (customer_id, channel) DO UPDATE
	 SET status = excluded.status, at = excluded.at, source = excluded.source
	 WHERE consents.at < excluded.at`,
	`DELETE FROM consents WHERE customer_id = $2 AND $1::bigint IS NOT NULL`,
	// Admission entries: on a clash (same list) the survivor's stays.
	`INSERT INTO admission (list, customer_id, reason, source, added_at, expires_at)
	 SELECT list, $1, reason, source, added_at, expires_at FROM admission WHERE customer_id = $2
	 ON CONFLICT (list, customer_id) DO NOTHING`,
	`DELETE FROM admission WHERE customer_id = $2 AND $1::bigint IS NOT NULL`,
	`UPDATE orders SET customer_id = $1 WHERE customer_id = $2`,
	`UPDATE events SET customer_id = $1 WHERE customer_id = $2`,
	// The contact history moves; suppressions too, the survivor's staying on a clash.
	`UPDATE contacts SET customer_id = $1 WHERE customer_id = $2`,
	`INSERT INTO suppressions (customer_id, channel, reason, at)
	 SELECT $1, channel, reason, at FROM suppressions WHERE customer_id = $2
	 ON CONFLICT (customer_id, channel) DO NOTHING`,
	`DELETE FROM suppressions WHERE customer_id = $2 AND $1::bigint IS NOT NULL`,
	// Customers merged earlier into the merged one now point at the survivor,
	// so merged_into is always one hop from a live customer.
	`UPDATE customers SET merged_into = $1 WHERE id = $2 OR merged_into = $2`,
}

func (t *tx) MergeCustomers(ctx context.Context, m store.Merge) error {
	wrap := func(err error) error {
		return fmt.Errorf("merge customer %d into %d: %w", m.Merged, m.Survivor, err)
	}
	if m.Survivor == m.Merged {
		return wrap(fmt.Errorf("a customer cannot be merged into itself: %w", store.ErrConflict))
	}
	rows, err := t.tx.Query(ctx, `SELECT id, merged_into FROM customers WHERE id = $1 OR id = $2 ORDER BY id FOR UPDATE`,
		m.Survivor, m.Merged)
	if err != nil {
		return wrap(err)
	}
	into := map[int64]int64{}
	var id, mergedInto int64
	_, err = pgx.ForEachRow(rows, []any{&id, &mergedInto}, func() error {
		into[id] = mergedInto
		return nil
	})
	if err != nil {
		return wrap(err)
	}
	survivorInto, ok := into[m.Survivor]
	if !ok {
		return wrap(fmt.Errorf("survivor: %w", store.ErrNotFound))
	}
	mergedIntoNow, ok := into[m.Merged]
	if !ok {
		return wrap(fmt.Errorf("merged customer: %w", store.ErrNotFound))
	}
	switch {
	case mergedIntoNow != 0:
		return wrap(fmt.Errorf("already merged into %d: %w", mergedIntoNow, store.ErrConflict))
	case survivorInto != 0:
		return wrap(fmt.Errorf("survivor was merged into %d: %w", survivorInto, store.ErrConflict))
	}

	b := &pgx.Batch{}
	for _, q := range mergeSteps {
		b.Queue(q, m.Survivor, m.Merged)
	}
	b.Queue(`INSERT INTO merges (survivor, merged, kind, namespace, value, source, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		m.Survivor, m.Merged, m.Kind, m.Namespace, m.Value, m.Source, m.At)
	br := t.tx.SendBatch(ctx, b)
	for range b.Len() {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return wrap(mapErr(err))
		}
	}
	if err := br.Close(); err != nil {
		return wrap(err)
	}
	return nil
}

func (t *tx) PutObservation(ctx context.Context, o store.Observation) (bool, error) {
	tag, err := t.tx.Exec(ctx, `
		INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`+observationUpsert,
		o.CustomerID, o.Name, o.Source, o.Value, o.ObservedAt, o.Valid, o.Problem)
	if err != nil {
		return false, fmt.Errorf("put observation %q of customer %d from %q: %w", o.Name, o.CustomerID, o.Source, mapErr(err))
	}
	return tag.RowsAffected() > 0, nil
}

func (t *tx) PutAttribute(ctx context.Context, a store.Attribute) error {
	_, err := t.tx.Exec(ctx, `
		INSERT INTO attributes (customer_id, name, value, source, observed_at, rule)
		VALUES ($1, $2, $3, $4, $5, $6)`+attributeUpsert,
		a.CustomerID, a.Name, a.Value, a.Source, a.ObservedAt, a.Rule)
	if err != nil {
		return fmt.Errorf("put attribute %q of customer %d: %w", a.Name, a.CustomerID, mapErr(err))
	}
	return nil
}

func (t *tx) DeleteAttribute(ctx context.Context, customerID int64, name string) error {
	if _, err := t.tx.Exec(ctx, `DELETE FROM attributes WHERE customer_id = $1 AND name = $2`, customerID, name); err != nil {
		return fmt.Errorf("delete attribute %q of customer %d: %w", name, customerID, err)
	}
	return nil
}

func (t *tx) PutItem(ctx context.Context, it store.Item) (bool, error) {
	tag, err := t.tx.Exec(ctx, `
		INSERT INTO items (id, title, category, brand, price, active, source, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE
		SET title = excluded.title, category = excluded.category, brand = excluded.brand, price = excluded.price,
		    active = excluded.active, source = excluded.source, updated_at = excluded.updated_at
		WHERE (items.title, items.category, items.brand, items.price, items.active, items.source, items.updated_at)
		      IS DISTINCT FROM
		      (excluded.title, excluded.category, excluded.brand, excluded.price, excluded.active, excluded.source, excluded.updated_at)`,
		it.ID, it.Title, it.Category, it.Brand, it.Price, it.Active, it.Source, it.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("put item %q: %w", it.ID, err)
	}
	return tag.RowsAffected() > 0, nil
}

func (t *tx) PutOrder(ctx context.Context, o *store.Order) (bool, error) {
	err := t.tx.QueryRow(ctx, `
		INSERT INTO orders (source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (source, ext_id) DO NOTHING
		RETURNING id`,
		o.Source, o.ExtID, o.CustomerID, o.PlacedAt, string(o.Kind), o.RefExtID, o.RefOrderID,
		o.Channel, o.Payment, o.Currency, o.Coupon).Scan(&o.ID)
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("put order %q from %q: %w", o.ExtID, o.Source, err)
	}
	err = t.tx.QueryRow(ctx, `SELECT id FROM orders WHERE source = $1 AND ext_id = $2`, o.Source, o.ExtID).Scan(&o.ID)
	if err != nil {
		return false, fmt.Errorf("put order %q from %q: %w", o.ExtID, o.Source, mapErr(err))
	}
	return false, nil
}

// insertOrderLines inserts a batch in one round trip. It checks the orders
// once per batch instead of with a foreign key, whose per-row trigger
// doubled the cost; a batch naming an unknown order inserts nothing and
// returns that order's id as missing.
const insertOrderLines = `
WITH u AS (
    SELECT * FROM unnest($1::bigint[], $2::integer[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::text[])
        AS u (order_id, line_no, item_id, quantity, unit_price, amount, discount, coupon)
), missing AS (
    SELECT min(u.order_id) AS order_id FROM u WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = u.order_id)
), ins AS (
    INSERT INTO order_lines (order_id, line_no, item_id, quantity, unit_price, amount, discount, coupon)
    SELECT * FROM u WHERE (SELECT order_id FROM missing) IS NULL
    ON CONFLICT (order_id, line_no) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins), (SELECT order_id FROM missing)`

func (t *tx) PutOrderLines(ctx context.Context, lines []store.OrderLine) (int, error) {
	var inserted int
	for len(lines) > 0 {
		n := min(len(lines), batchRows)
		chunk := lines[:n]
		lines = lines[n:]

		orderIDs := make([]int64, n)
		lineNos := make([]int32, n)
		itemIDs := make([]string, n)
		qty := make([]float64, n)
		unit := make([]float64, n)
		amount := make([]float64, n)
		discount := make([]float64, n)
		coupons := make([]string, n)
		for i, l := range chunk {
			orderIDs[i], lineNos[i], itemIDs[i] = l.OrderID, int32(l.LineNo), l.ItemID
			qty[i], unit[i], amount[i], discount[i] = l.Quantity, l.UnitPrice, l.Amount, l.Discount
			coupons[i] = l.Coupon
		}
		var count int64
		var missing *int64
		err := t.tx.QueryRow(ctx, insertOrderLines, orderIDs, lineNos, itemIDs, qty, unit, amount, discount, coupons).
			Scan(&count, &missing)
		if err != nil {
			return inserted, fmt.Errorf("put %d order lines: %w", n, err)
		}
		if missing != nil {
			return inserted, fmt.Errorf("put %d order lines: order %d: %w", n, *missing, store.ErrNotFound)
		}
		inserted += int(count)
	}
	return inserted, nil
}

const insertEvents = `
INSERT INTO events (id, source, customer_id, type, at, item_id, value, props)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::float8[], $8::text[])
ON CONFLICT (id) DO NOTHING`

func (t *tx) PutEvents(ctx context.Context, events []store.Event) (int, error) {
	var inserted int
	for len(events) > 0 {
		n := min(len(events), batchRows)
		chunk := events[:n]
		events = events[n:]

		ids := make([]int64, n)
		sources := make([]string, n)
		customers := make([]int64, n)
		types := make([]string, n)
		at := make([]time.Time, n)
		items := make([]string, n)
		values := make([]float64, n)
		props := make([]string, n)
		for i, e := range chunk {
			ids[i], sources[i], customers[i], types[i] = e.ID, e.Source, e.CustomerID, e.Type
			at[i], items[i], values[i], props[i] = e.At, e.ItemID, e.Value, e.Props
		}
		tag, err := t.tx.Exec(ctx, insertEvents, ids, sources, customers, types, at, items, values, props)
		if err != nil {
			return inserted, fmt.Errorf("put %d events: %w", n, err)
		}
		inserted += int(tag.RowsAffected())
	}
	return inserted, nil
}

func (t *tx) PutConsent(ctx context.Context, c store.Consent) (bool, error) {
	tag, err := t.tx.Exec(ctx, `
		INSERT INTO consents (customer_id, channel, status, at, source)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (customer_id, channel) DO UPDATE
		SET status = excluded.status, at = excluded.at, source = excluded.source
		WHERE consents.at < excluded.at`,
		c.CustomerID, c.Channel, c.Status, c.At, c.Source)
	if err != nil {
		return false, fmt.Errorf("put consent %q of customer %d: %w", c.Channel, c.CustomerID, mapErr(err))
	}
	return tag.RowsAffected() > 0, nil
}
