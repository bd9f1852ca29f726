package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Lookups of many keys join the table with a VALUES list of up to maxIn
// keys, which SQLite scans, seeking each key in the table's index. (With
// "key IN (...)" it first builds a temporary index of the list, 5 to 10%
// slower.) Far below SQLite's limit of 32,766 parameters. A last, shorter chunk is padded to the next power of two
// by repeating its last key, so that every statement is prepared once:
// in[i] takes maxIn>>i keys. Parameters ?1 to ?fixed come first, then the
// keys.
const (
	maxIn   = 256
	inSizes = 9 // 256, 128, ..., 1
)

type inQuery struct {
	fixed int // parameters before the keys
	cols  int // result columns
	in    [inSizes]string
}

// newInQuery builds the statements from query, in which %s stands for
// the VALUES list (with the keys in its column1).
func newInQuery(query string, fixed, cols int, register func(string) string) *inQuery {
	q := &inQuery{fixed: fixed, cols: cols}
	for i := range q.in {
		var b strings.Builder
		b.WriteString("(VALUES ")
		for k := range maxIn >> i {
			if k > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "(?%d)", fixed+k+1)
		}
		b.WriteString(")")
		q.in[i] = register(fmt.Sprintf(query, b.String()))
	}
	return q
}

// inSize returns the statement for a chunk of n keys, 1 <= n <= maxIn: the
// smallest that takes them all, and how many keys it takes.
func inSize(n int) (i, size int) {
	size = maxIn
	for size>>1 >= n {
		size >>= 1
		i++
	}
	return i, size
}

const findIdentitiesQuery = `SELECT v.column1, i.customer_id, COALESCE(c.merged_into, 0)
FROM %s AS v
JOIN identities i ON i.kind = ?1 AND i.namespace = ?2 AND i.value = v.column1
LEFT JOIN customers c ON c.id = i.customer_id`

var (
	// The Store's version runs through database/sql on the read pool, the
	// Tx's on the writer's driver connection.
	sqlFindIdentities    = newInQuery(findIdentitiesQuery, 2, 3, pq)
	sqlFindIdentitiesRaw = newInQuery(findIdentitiesQuery, 2, 3, rawq)

	sqlOrderIDsRaw = newInQuery(`SELECT o.ext_id, o.id, o.customer_id
FROM %s AS v JOIN orders o ON o.source = ?1 AND o.ext_id = v.column1`, 1, 3, rawq)

	observationsBulk = newBulkInsert(`INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?)", observationUpsert, 7)
	attributesBulk = newBulkInsert(`INSERT INTO attributes (customer_id, name, value, source, observed_at, rule) VALUES `,
		"(?, ?, ?, ?, ?, ?)", attributeUpsert, 6)
	// OR IGNORE rather than ON CONFLICT DO NOTHING: the only other
	// constraints are NOT NULL ones, which the arguments always meet, and
	// SQLite then keeps no statement journal.
	ordersBulk = newBulkInsert(`INSERT OR IGNORE INTO orders (source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon) VALUES `,
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "", 11)
)

// identityName names an identity in errors by its kind and namespace only:
// values (e-mail addresses, phone numbers) must never reach the logs.
func identityName(kind, namespace string) string {
	if namespace == "" {
		return kind + " identity"
	}
	return fmt.Sprintf("%s identity of namespace %q", kind, namespace)
}

// FindIdentities looks the values up on the read pool, maxIn at a time.
func (r reader) FindIdentities(ctx context.Context, kind, namespace string, values []string) (map[string]int64, error) {
	found := make(map[string]int64, len(values))
	if len(values) == 0 {
		return found, nil
	}
	_, size := inSize(min(len(values), maxIn))
	args := make([]any, 2+size)
	args[0], args[1] = kind, namespace
	for from := 0; from < len(values); from += maxIn {
		chunk := values[from:min(from+maxIn, len(values))]
		i, size := inSize(len(chunk))
		for j := range size {
			args[2+j] = chunk[min(j, len(chunk)-1)]
		}
		if err := r.findIdentities(ctx, sqlFindIdentities.in[i], args[:2+size], found); err != nil {
			return nil, fmt.Errorf("find %d values of %s: %w", len(values), identityName(kind, namespace), err)
		}
	}
	return found, nil
}

func (r reader) findIdentities(ctx context.Context, query string, args []any, found map[string]int64) error {
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var value string
		var id, mergedInto int64
		if err := rows.Scan(&value, &id, &mergedInto); err != nil {
			return err
		}
		if mergedInto != 0 { // as in FindIdentity
			id = mergedInto
		}
		found[value] = id
	}
	return rows.Err()
}

// FindIdentities of a Tx runs on the driver connection, like the bulk
// inserts: database/sql would convert every argument and every result.
func (t *tx) FindIdentities(ctx context.Context, kind, namespace string, values []string) (map[string]int64, error) {
	found := make(map[string]int64, len(values))
	err := t.queryIn(ctx, sqlFindIdentitiesRaw, []driver.Value{kind, namespace}, values, func(row []driver.Value) error {
		value, ok := row[0].(string)
		if !ok {
			return fmt.Errorf("identity value of type %T", row[0])
		}
		id, mergedInto := row[1].(int64), row[2].(int64)
		if mergedInto != 0 {
			id = mergedInto
		}
		found[value] = id
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find %d values of %s: %w", len(values), identityName(kind, namespace), err)
	}
	return found, nil
}

// queryIn runs q for keys, maxIn at a time, after the fixed arguments, on
// the writer's driver connection, and calls row for each result row. row
// must not keep the slice it is given.
func (t *tx) queryIn(ctx context.Context, q *inQuery, fixed []driver.Value, keys []string, row func([]driver.Value) error) error {
	if len(keys) == 0 {
		return nil
	}
	// As in insertRows: never run outside the Update's transaction.
	if t.done {
		return sql.ErrTxDone
	}
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if len(t.qargs) < q.fixed+maxIn {
		t.qargs = make([]driver.NamedValue, q.fixed+maxIn)
		for i := range t.qargs {
			t.qargs[i].Ordinal = i + 1
		}
	}
	for i, v := range fixed {
		t.qargs[i].Value = v
	}
	dest := make([]driver.Value, q.cols)
	err := t.s.wc.Raw(func(any) error {
		for from := 0; from < len(keys); from += maxIn {
			chunk := keys[from:min(from+maxIn, len(keys))]
			i, size := inSize(len(chunk))
			args := t.qargs[:q.fixed+size]
			for j := range size {
				args[q.fixed+j].Value = chunk[min(j, len(chunk)-1)]
			}
			rows, err := t.s.raw[q.in[i]].(driver.StmtQueryContext).QueryContext(ctx, args)
			if err != nil {
				return err
			}
			for {
				err = rows.Next(dest)
				if err == nil {
					err = row(dest)
				}
				if err != nil {
					break
				}
			}
			if cerr := rows.Close(); !errors.Is(err, io.EOF) {
				return err
			} else if cerr != nil {
				return cerr
			}
		}
		return nil
	})
	for i := range t.qargs {
		t.qargs[i].Value = nil
	}
	return err
}

// observationUpsert and attributeUpsert end the inserts of PutObservation
// and PutObservations, PutAttribute and PutAttributes. A multi-row INSERT
// applies its rows one after the other, so a later row of a batch sees the
// earlier ones as PutObservation would.
const (
	observationUpsert = `
ON CONFLICT (customer_id, name, source) DO UPDATE SET
	value = excluded.value, observed_at = excluded.observed_at, valid = excluded.valid, problem = excluded.problem
WHERE excluded.observed_at >= observations.observed_at
	AND (excluded.observed_at <> observations.observed_at OR excluded.value <> observations.value
		OR excluded.valid <> observations.valid OR excluded.problem <> observations.problem)`
	attributeUpsert = `
ON CONFLICT (customer_id, name) DO UPDATE SET
	value = excluded.value, source = excluded.source, observed_at = excluded.observed_at, rule = excluded.rule`
)

func (t *tx) PutObservations(ctx context.Context, obs []store.Observation) error {
	_, err := t.insertRows(ctx, observationsBulk, len(obs), func(args []driver.NamedValue, from, to int) {
		for i, o := range obs[from:to] {
			a := args[i*7 : i*7+7]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value = o.CustomerID, o.Name, o.Source, o.Value
			a[4].Value, a[5].Value, a[6].Value = micro(o.ObservedAt), o.Valid, o.Problem
		}
	}, nil)
	if err != nil {
		return fmt.Errorf("put %d observations: %w", len(obs), err)
	}
	return nil
}

func (t *tx) PutAttributes(ctx context.Context, attrs []store.Attribute) error {
	_, err := t.insertRows(ctx, attributesBulk, len(attrs), func(args []driver.NamedValue, from, to int) {
		for i, a := range attrs[from:to] {
			v := args[i*6 : i*6+6]
			v[0].Value, v[1].Value, v[2].Value = a.CustomerID, a.Name, a.Value
			v[3].Value, v[4].Value, v[5].Value = a.Source, micro(a.ObservedAt), a.Rule
		}
	}, nil)
	if err != nil {
		return fmt.Errorf("put %d attributes: %w", len(attrs), err)
	}
	return nil
}

// PutOrders inserts the headers maxRows at a time with INSERT ... ON
// CONFLICT DO NOTHING. When every row of a statement is new, their ids are
// known without a query: SQLite inserts the rows of a VALUES list in order
// and gives each the largest rowid plus one, so they are the last k rowids
// up to last_insert_rowid(). Otherwise (orders already stored, or repeated
// within the statement) one SELECT per source of the statement finds them.
func (t *tx) PutOrders(ctx context.Context, orders []*store.Order) (int, error) {
	if len(orders) == 0 {
		return 0, nil
	}
	// A file with one row per line repeats an order on consecutive rows:
	// insert it once.
	uniq := orders
	for i := 1; i < len(orders); i++ {
		if sameOrder(orders[i], orders[i-1]) {
			uniq = make([]*store.Order, 0, len(orders))
			for j, o := range orders {
				if j == 0 || !sameOrder(o, orders[j-1]) {
					uniq = append(uniq, o)
				}
			}
			break
		}
	}
	type lookup struct {
		from, to int
		firstNew int64 // rowids from here on are new
	}
	var lookups []lookup
	var anonymous int64
	inserted, err := t.insertRows(ctx, ordersBulk, len(uniq), func(args []driver.NamedValue, from, to int) {
		for i, o := range uniq[from:to] {
			a := args[i*11 : i*11+11]
			a[0].Value, a[1].Value, a[2].Value, a[3].Value = o.Source, o.ExtID, o.CustomerID, micro(o.PlacedAt)
			a[4].Value, a[5].Value, a[6].Value, a[7].Value = string(o.Kind), o.RefExtID, o.RefOrderID, o.Channel
			a[8].Value, a[9].Value, a[10].Value = o.Payment, o.Currency, o.Coupon
		}
	}, func(from, to int, res driver.Result) error {
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		firstNew := int64(math.MaxInt64)
		if k > 0 {
			last, err := res.LastInsertId()
			if err != nil {
				return err
			}
			firstNew = last - k + 1
		}
		if k < int64(to-from) {
			lookups = append(lookups, lookup{from, to, firstNew})
			return nil
		}
		for i, o := range uniq[from:to] {
			o.ID = firstNew + int64(i)
			if o.CustomerID == 0 {
				anonymous++
			}
		}
		return nil
	})
	t.d.Orders += int64(inserted)
	if err != nil {
		t.d.AnonymousOrders += anonymous
		return inserted, fmt.Errorf("put %d orders: %w", len(orders), err)
	}
	for _, l := range lookups {
		n, err := t.orderIDs(ctx, uniq[l.from:l.to], l.firstNew)
		anonymous += n
		if err != nil {
			t.d.AnonymousOrders += anonymous
			return inserted, fmt.Errorf("put %d orders: %w", len(orders), err)
		}
	}
	t.d.AnonymousOrders += anonymous
	if len(uniq) < len(orders) {
		for i := 1; i < len(orders); i++ {
			if sameOrder(orders[i], orders[i-1]) {
				orders[i].ID = orders[i-1].ID
			}
		}
	}
	return inserted, nil
}

func sameOrder(a, b *store.Order) bool { return a.ExtID == b.ExtID && a.Source == b.Source }

// orderIDs sets the IDs of orders, one statement's worth, from the stored
// rows, and returns how many of those rows are new (rowid >= firstNew) and
// without a customer.
func (t *tx) orderIDs(ctx context.Context, orders []*store.Order, firstNew int64) (anonymous int64, err error) {
	var sources []string // usually one
	for _, o := range orders {
		if !slices.Contains(sources, o.Source) {
			sources = append(sources, o.Source)
		}
	}
	ids := make(map[string]int64, len(orders))
	keys := make([]string, 0, len(orders))
	for _, src := range sources {
		keys = keys[:0]
		for _, o := range orders {
			if o.Source == src {
				keys = append(keys, o.ExtID)
			}
		}
		clear(ids)
		err := t.queryIn(ctx, sqlOrderIDsRaw, []driver.Value{src}, keys, func(row []driver.Value) error {
			ext, ok := row[0].(string)
			if !ok {
				return fmt.Errorf("order ext id of type %T", row[0])
			}
			if _, dup := ids[ext]; dup { // a key repeated in the list
				return nil
			}
			id, customer := row[1].(int64), row[2].(int64)
			ids[ext] = id
			if id >= firstNew && customer == 0 {
				anonymous++
			}
			return nil
		})
		if err != nil {
			return anonymous, err
		}
		for _, o := range orders {
			if o.Source != src {
				continue
			}
			id, ok := ids[o.ExtID]
			if !ok {
				return anonymous, fmt.Errorf("order %q of %q: neither inserted nor found", o.ExtID, o.Source)
			}
			o.ID = id
		}
	}
	return anonymous, nil
}
