package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// tx implements store.Tx on the writer connection. It is not safe for
// concurrent use.
type tx struct {
	reader
	s     *Store
	tx    *sql.Tx
	ctx   context.Context // the Update's: database/sql rolls tx back when it ends
	q     *txQuerier
	d     store.Stats         // counter changes not yet written to the counters table
	args  []driver.NamedValue // reused arguments of bulk inserts
	qargs []driver.NamedValue // reused arguments of queryIn
	done  bool                // the Update returned
}

var _ store.Tx = (*tx)(nil)

var (
	sqlNewCustomer   = wq(`INSERT INTO customers (created_at, merged_into) VALUES (?, 0)`)
	sqlAddIdentity   = wq(`INSERT INTO identities (kind, namespace, value, customer_id, source, first_seen) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	sqlIdentityOwner = rq(`SELECT customer_id FROM identities WHERE kind = ? AND namespace = ? AND value = ?`)

	sqlMergeIdentities   = wq(`UPDATE identities SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlMergeObservations = wq(`INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem)
SELECT ?1, name, source, value, observed_at, valid, problem FROM observations WHERE customer_id = ?2
ON CONFLICT (customer_id, name, source) DO UPDATE SET
	value = excluded.value, observed_at = excluded.observed_at, valid = excluded.valid, problem = excluded.problem
WHERE excluded.observed_at > observations.observed_at`)
	sqlDeleteObservations = wq(`DELETE FROM observations WHERE customer_id = ?`)
	sqlMergeAttributes    = wq(`INSERT INTO attributes (customer_id, name, value, source, observed_at, rule)
SELECT ?1, name, value, source, observed_at, rule FROM attributes WHERE customer_id = ?2
ON CONFLICT (customer_id, name) DO UPDATE SET
	value = excluded.value, source = excluded.source, observed_at = excluded.observed_at, rule = excluded.rule
WHERE excluded.observed_at > attributes.observed_at`)
	sqlDeleteAttributes = wq(`DELETE FROM attributes WHERE customer_id = ?`)
	sqlMergeConsents    = wq(`INSERT INTO consents (customer_id, channel, status, at, source)
SELECT ?1, channel, status, at, source FROM consents WHERE customer_id = ?2
ON CONFLICT (customer_id, channel) DO UPDATE SET
	status = excluded.status, at = excluded.at, source = excluded.source
WHERE excluded.at > consents.at`)
	sqlDeleteConsents = wq(`DELETE FROM consents WHERE customer_id = ?`)
	sqlMergeOrders    = wq(`UPDATE orders SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlMergeEvents    = wq(`UPDATE events SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlMarkMerged     = wq(`UPDATE customers SET merged_into = ?1 WHERE id = ?2 OR merged_into = ?2`)
	sqlRecordMerge    = wq(`INSERT INTO merges (survivor, merged, kind, namespace, value, source, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	sqlPutObservation = wq(`INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem) VALUES (?, ?, ?, ?, ?, ?, ?)` +
		observationUpsert)
	sqlPutAttribute = wq(`INSERT INTO attributes (customer_id, name, value, source, observed_at, rule) VALUES (?, ?, ?, ?, ?, ?)` +
		attributeUpsert)
	sqlDeleteAttribute = wq(`DELETE FROM attributes WHERE customer_id = ? AND name = ?`)
	sqlInsertItem      = wq(`INSERT INTO items (id, title, category, brand, price, active, source, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`)
	sqlUpdateItem = wq(`UPDATE items SET title = ?2, category = ?3, brand = ?4, price = ?5, active = ?6, source = ?7, updated_at = ?8
WHERE id = ?1 AND (title <> ?2 OR category <> ?3 OR brand <> ?4 OR price <> ?5 OR active <> ?6 OR source <> ?7 OR updated_at <> ?8)`)
	sqlInsertOrder = wq(`INSERT INTO orders (source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, ext_id) DO NOTHING`)
	sqlOrderID    = rq(`SELECT id FROM orders WHERE source = ? AND ext_id = ?`)
	sqlPutConsent = wq(`INSERT INTO consents (customer_id, channel, status, at, source) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (customer_id, channel) DO UPDATE SET status = excluded.status, at = excluded.at, source = excluded.source
WHERE excluded.at > consents.at`)
	sqlAddCounters = wq(`UPDATE counters SET customers = customers + ?, anonymous_orders = anonymous_orders + ?,
	orders = orders + ?, order_lines = order_lines + ?, events = events + ?, items = items + ? WHERE id = 1`)
)

// Lines and events go in with multi-row INSERTs of up to maxRows rows,
// prepared on the driver connection and run without database/sql (which
// would convert and copy every argument). A remainder is split into powers
// of two so that every statement is prepared once: insert[i] takes
// maxRows>>i rows.
const (
	maxRows  = 128
	rowSizes = 8 // 128, 64, ..., 1
)

type bulkInsert struct {
	cols   int
	insert [rowSizes]string
}

var (
	// Lines without discount or coupon, the usual case, bind two
	// parameters fewer; binding is a good part of the cost.
	linesFull = newBulkInsert(`INSERT OR IGNORE INTO order_lines (order_id, line_no, item_id, quantity, unit_price, amount, discount, coupon) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?)", "", 8)
	linesPlain = newBulkInsert(`INSERT OR IGNORE INTO order_lines (order_id, line_no, item_id, quantity, unit_price, amount, discount, coupon) VALUES `,
		"(?, ?, ?, ?, ?, ?, 0.0, '')", "", 6)
	eventsBulk = newBulkInsert(`INSERT OR IGNORE INTO events (id, source, customer_id, type, at, item_id, value, props) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?)", "", 8)
)

// newBulkInsert builds the statements head row, row, ... tail.
func newBulkInsert(head, row, tail string, cols int) *bulkInsert {
	b := &bulkInsert{cols: cols}
	for i := range b.insert {
		n := maxRows >> i
		b.insert[i] = rawq(head + row + strings.Repeat(", "+row, n-1) + tail)
	}
	return b
}

// insertRows inserts n rows with b, fill setting the arguments of rows
// [from, to) in args, and returns how many rows were new (changed, for an
// upsert). done, when not nil, is given the result of each statement.
func (t *tx) insertRows(ctx context.Context, b *bulkInsert, n int, fill func(args []driver.NamedValue, from, to int),
	done func(from, to int, res driver.Result) error) (int, error) {
	if n == 0 {
		return 0, nil
	}
	// Bulk inserts bypass sql.Tx: make sure its transaction is still open,
	// or they would run, and commit, on their own.
	if t.done {
		return 0, sql.ErrTxDone
	}
	if err := t.ctx.Err(); err != nil {
		return 0, err
	}
	if len(t.args) < maxRows*b.cols {
		t.args = make([]driver.NamedValue, maxRows*b.cols)
		for i := range t.args {
			t.args[i].Ordinal = i + 1
		}
	}
	inserted := 0
	err := t.s.wc.Raw(func(any) error {
		for from := 0; from < n; {
			size, i := maxRows, 0
			for size > n-from {
				size >>= 1
				i++
			}
			args := t.args[:size*b.cols]
			fill(args, from, from+size)
			res, err := t.s.raw[b.insert[i]].(driver.StmtExecContext).ExecContext(ctx, args)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted += int(k)
			if done != nil {
				if err := done(from, from+size, res); err != nil {
					return err
				}
			}
			from += size
		}
		return nil
	})
	for i := range t.args {
		t.args[i].Value = nil // let the values go
	}
	return inserted, err
}

// flush writes the counter changes of the transaction so far.
func (t *tx) flush(ctx context.Context) error {
	if t.d == (store.Stats{}) {
		return nil
	}
	_, err := t.q.ExecContext(ctx, sqlAddCounters, t.d.Customers, t.d.AnonymousOrders, t.d.Orders, t.d.OrderLines, t.d.Events, t.d.Items)
	if err != nil {
		return fmt.Errorf("update counters: %w", err)
	}
	t.d = store.Stats{}
	return nil
}

// Stats includes the transaction's own writes.
func (t *tx) Stats(ctx context.Context) (store.Stats, error) {
	if err := t.flush(ctx); err != nil {
		return store.Stats{}, err
	}
	return t.reader.Stats(ctx)
}

func (t *tx) NewCustomer(ctx context.Context, at time.Time) (int64, error) {
	res, err := t.q.ExecContext(ctx, sqlNewCustomer, micro(at))
	if err != nil {
		return 0, fmt.Errorf("new customer: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("new customer: %w", err)
	}
	t.d.Customers++
	return id, nil
}

func (t *tx) AddIdentity(ctx context.Context, id store.Identity) error {
	// Errors name the kind and namespace, never the value: e-mail
	// addresses and phone numbers must not reach the logs.
	res, err := t.q.ExecContext(ctx, sqlAddIdentity, id.Kind, id.Namespace, id.Value, id.CustomerID, id.Source, micro(id.FirstSeen))
	if err != nil {
		return fmt.Errorf("add %s to customer %d: %w", identityName(id.Kind, id.Namespace), id.CustomerID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("add %s to customer %d: %w", identityName(id.Kind, id.Namespace), id.CustomerID, err)
	} else if n == 1 {
		return nil
	}
	var owner int64
	if err := t.q.QueryRowContext(ctx, sqlIdentityOwner, id.Kind, id.Namespace, id.Value).Scan(&owner); err != nil {
		return fmt.Errorf("add %s to customer %d: %w", identityName(id.Kind, id.Namespace), id.CustomerID, err)
	}
	if owner != id.CustomerID {
		return fmt.Errorf("add %s to customer %d: held by customer %d: %w",
			identityName(id.Kind, id.Namespace), id.CustomerID, owner, store.ErrConflict)
	}
	return nil
}

func (t *tx) MergeCustomers(ctx context.Context, m store.Merge) error {
	fail := func(err error) error {
		return fmt.Errorf("merge customer %d into %d: %w", m.Merged, m.Survivor, err)
	}
	if m.Survivor == m.Merged {
		return fail(fmt.Errorf("same customer: %w", store.ErrConflict))
	}
	for _, id := range []int64{m.Survivor, m.Merged} {
		c, err := t.Customer(ctx, id)
		if err != nil {
			return fail(err)
		}
		if c.MergedInto != 0 {
			return fail(fmt.Errorf("customer %d is already merged into %d: %w", id, c.MergedInto, store.ErrConflict))
		}
	}
	for _, q := range []string{
		sqlMergeIdentities,
		sqlMergeObservations, sqlMergeAttributes, sqlMergeConsents,
		sqlMergeOrders, sqlMergeEvents, sqlMergeAdmission, sqlMergeContacts, sqlMergeSuppressions, sqlMarkMerged,
	} {
		if _, err := t.q.ExecContext(ctx, q, m.Survivor, m.Merged); err != nil {
			return fail(err)
		}
	}
	for _, q := range []string{sqlDeleteObservations, sqlDeleteAttributes, sqlDeleteConsents, sqlDeleteAdmission, sqlDeleteSuppressions} {
		if _, err := t.q.ExecContext(ctx, q, m.Merged); err != nil {
			return fail(err)
		}
	}
	if _, err := t.q.ExecContext(ctx, sqlRecordMerge, m.Survivor, m.Merged, m.Kind, m.Namespace, m.Value, m.Source, micro(m.At)); err != nil {
		return fail(err)
	}
	t.d.Customers--
	return nil
}

func (t *tx) PutObservation(ctx context.Context, o store.Observation) (bool, error) {
	res, err := t.q.ExecContext(ctx, sqlPutObservation, o.CustomerID, o.Name, o.Source, o.Value, micro(o.ObservedAt), o.Valid, o.Problem)
	if err != nil {
		return false, fmt.Errorf("put observation %q of customer %d: %w", o.Name, o.CustomerID, err)
	}
	return changed(res, "put observation %q of customer %d", o.Name, o.CustomerID)
}

func (t *tx) PutAttribute(ctx context.Context, a store.Attribute) error {
	_, err := t.q.ExecContext(ctx, sqlPutAttribute, a.CustomerID, a.Name, a.Value, a.Source, micro(a.ObservedAt), a.Rule)
	if err != nil {
		return fmt.Errorf("put attribute %q of customer %d: %w", a.Name, a.CustomerID, err)
	}
	return nil
}

func (t *tx) DeleteAttribute(ctx context.Context, customerID int64, name string) error {
	if _, err := t.q.ExecContext(ctx, sqlDeleteAttribute, customerID, name); err != nil {
		return fmt.Errorf("delete attribute %q of customer %d: %w", name, customerID, err)
	}
	return nil
}

func (t *tx) PutItem(ctx context.Context, it store.Item) (bool, error) {
	args := []any{it.ID, it.Title, it.Category, it.Brand, it.Price, it.Active, it.Source, micro(it.UpdatedAt)}
	res, err := t.q.ExecContext(ctx, sqlInsertItem, args...)
	if err != nil {
		return false, fmt.Errorf("put item %q: %w", it.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("put item %q: %w", it.ID, err)
	} else if n == 1 {
		t.d.Items++
		return true, nil
	}
	if res, err = t.q.ExecContext(ctx, sqlUpdateItem, args...); err != nil {
		return false, fmt.Errorf("put item %q: %w", it.ID, err)
	}
	return changed(res, "put item %q", it.ID)
}

func (t *tx) PutOrder(ctx context.Context, o *store.Order) (bool, error) {
	res, err := t.q.ExecContext(ctx, sqlInsertOrder, o.Source, o.ExtID, o.CustomerID, micro(o.PlacedAt), string(o.Kind),
		o.RefExtID, o.RefOrderID, o.Channel, o.Payment, o.Currency, o.Coupon)
	if err != nil {
		return false, fmt.Errorf("put order %q: %w", o.ExtID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("put order %q: %w", o.ExtID, err)
	}
	if n == 1 {
		if o.ID, err = res.LastInsertId(); err != nil {
			return false, fmt.Errorf("put order %q: %w", o.ExtID, err)
		}
		t.d.Orders++
		if o.CustomerID == 0 {
			t.d.AnonymousOrders++
		}
		return true, nil
	}
	if err := t.q.QueryRowContext(ctx, sqlOrderID, o.Source, o.ExtID).Scan(&o.ID); err != nil {
		return false, fmt.Errorf("put order %q: find existing: %w", o.ExtID, err)
	}
	return false, nil
}

func (t *tx) PutOrderLines(ctx context.Context, lines []store.OrderLine) (int, error) {
	plain := true
	for _, l := range lines {
		if l.Discount != 0 || l.Coupon != "" {
			plain = false
			break
		}
	}
	var n int
	var err error
	if plain {
		n, err = t.insertRows(ctx, linesPlain, len(lines), func(args []driver.NamedValue, from, to int) {
			for i, l := range lines[from:to] {
				a := args[i*6 : i*6+6]
				a[0].Value, a[1].Value, a[2].Value = l.OrderID, int64(l.LineNo), l.ItemID
				a[3].Value, a[4].Value, a[5].Value = l.Quantity, l.UnitPrice, l.Amount
			}
		}, nil)
	} else {
		n, err = t.insertRows(ctx, linesFull, len(lines), func(args []driver.NamedValue, from, to int) {
			for i, l := range lines[from:to] {
				a := args[i*8 : i*8+8]
				a[0].Value, a[1].Value, a[2].Value = l.OrderID, int64(l.LineNo), l.ItemID
				a[3].Value, a[4].Value, a[5].Value = l.Quantity, l.UnitPrice, l.Amount
				a[6].Value, a[7].Value = l.Discount, l.Coupon
			}
		}, nil)
	}
	t.d.OrderLines += int64(n)
	if err != nil {
		return n, fmt.Errorf("put %d order lines: %w", len(lines), err)
	}
	return n, nil
}

func (t *tx) PutEvents(ctx context.Context, events []store.Event) (int, error) {
	n, err := t.insertRows(ctx, eventsBulk, len(events), func(args []driver.NamedValue, from, to int) {
		for i, e := range events[from:to] {
			a := args[i*8 : i*8+8]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value = e.ID, e.Source, e.CustomerID, e.Type
			a[4].Value, a[5].Value, a[6].Value, a[7].Value = micro(e.At), e.ItemID, e.Value, e.Props
		}
	}, nil)
	t.d.Events += int64(n)
	if err != nil {
		return n, fmt.Errorf("put %d events: %w", len(events), err)
	}
	return n, nil
}

func (t *tx) PutConsent(ctx context.Context, c store.Consent) (bool, error) {
	res, err := t.q.ExecContext(ctx, sqlPutConsent, c.CustomerID, c.Channel, c.Status, micro(c.At), c.Source)
	if err != nil {
		return false, fmt.Errorf("put consent %q of customer %d: %w", c.Channel, c.CustomerID, err)
	}
	return changed(res, "put consent %q of customer %d", c.Channel, c.CustomerID)
}

// changed reports whether the statement touched a row.
func changed(res sql.Result, format string, args ...any) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf(format+": %w", append(args, err)...)
	}
	return n > 0, nil
}
