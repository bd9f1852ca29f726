package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// identityName names an identity in errors by its kind and namespace only:
// values (e-mail addresses, phone numbers) must never reach the logs.
func identityName(kind, namespace string) string {
	if namespace == "" {
		return kind + " identity"
	}
	return fmt.Sprintf("%s identity of namespace %q", kind, namespace)
}

// findIdentities looks up an array of values (one parameter, however many
// values), probing the primary key once per value. Its shape keeps the
// plan sound whatever the statistics: pgx prepares the statement, so after
// a few runs PostgreSQL may use a generic plan, which guesses 10 elements
// for the array. With "value = ANY ($3)" or a plain join with unnest, such
// a plan over a table not yet analyzed (a fresh database during its first
// import) compared every row with every value: 1,500 identities took 20 to
// 90 µs per value instead of 2 to 5. The LATERAL subquery (LIMIT 1 keeps it
// from being flattened into a join) can only run as a nested loop driven
// by the values.
//
// Identities move to the survivor on a merge and merged_into is always one
// hop from a live customer, so one join with customers gives what
// FindIdentity's walk of the chain gives.
const findIdentities = `
SELECT v.value, x.id
FROM unnest($3::text[]) AS v (value)
CROSS JOIN LATERAL (
    SELECT CASE c.merged_into WHEN 0 THEN c.id ELSE c.merged_into END AS id
    FROM identities i JOIN customers c ON c.id = i.customer_id
    WHERE i.kind = $1 AND i.namespace = $2 AND i.value = v.value
    LIMIT 1
) AS x`

func (r reader) FindIdentities(ctx context.Context, kind, namespace string, values []string) (map[string]int64, error) {
	found := make(map[string]int64, len(values))
	for from := 0; from < len(values); from += batchRows {
		chunk := values[from:min(from+batchRows, len(values))]
		rows, err := r.q.Query(ctx, findIdentities, kind, namespace, chunk)
		if err != nil {
			return nil, fmt.Errorf("find %d values of %s: %w", len(values), identityName(kind, namespace), err)
		}
		var value string
		var id int64
		_, err = pgx.ForEachRow(rows, []any{&value, &id}, func() error {
			found[value] = id
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find %d values of %s: %w", len(values), identityName(kind, namespace), err)
		}
	}
	return found, nil
}

// observationUpsert and attributeUpsert end the inserts of PutObservation
// and PutObservations, PutAttribute and PutAttributes.
const (
	observationUpsert = `
		ON CONFLICT (customer_id, name, source) DO UPDATE
		SET value = excluded.value, observed_at = excluded.observed_at, valid = excluded.valid, problem = excluded.problem
		WHERE observations.observed_at <= excluded.observed_at
		  AND (observations.value, observations.observed_at, observations.valid, observations.problem)
		      IS DISTINCT FROM (excluded.value, excluded.observed_at, excluded.valid, excluded.problem)`
	attributeUpsert = `
		ON CONFLICT (customer_id, name) DO UPDATE
		SET value = excluded.value, source = excluded.source, observed_at = excluded.observed_at, rule = excluded.rule`
)

const insertObservations = `
INSERT INTO observations (customer_id, name, source, value, observed_at, valid, problem)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::boolean[], $7::text[])` +
	observationUpsert

type observationKey struct {
	customer     int64
	name, source string
}

// PutObservations sends each (customer, name, source) once: an upsert may
// not touch a row twice. What PutObservation one by one would leave is the
// last of the batch's newest observations, and only if it is at least as
// recent as the stored one, which the upsert checks.
func (t *tx) PutObservations(ctx context.Context, obs []store.Observation) error {
	if len(obs) == 0 {
		return nil
	}
	latest := make([]store.Observation, 0, len(obs))
	index := make(map[observationKey]int, len(obs))
	for _, o := range obs {
		k := observationKey{o.CustomerID, o.Name, o.Source}
		i, ok := index[k]
		if !ok {
			index[k] = len(latest)
			latest = append(latest, o)
			continue
		}
		// Compared at the stored precision, the microsecond.
		if o.ObservedAt.UnixMicro() >= latest[i].ObservedAt.UnixMicro() {
			latest[i] = o
		}
	}
	for from := 0; from < len(latest); from += batchRows {
		chunk := latest[from:min(from+batchRows, len(latest))]
		n := len(chunk)
		customers := make([]int64, n)
		names := make([]string, n)
		sources := make([]string, n)
		values := make([]string, n)
		at := make([]time.Time, n)
		valid := make([]bool, n)
		problems := make([]string, n)
		for i, o := range chunk {
			customers[i], names[i], sources[i], values[i] = o.CustomerID, o.Name, o.Source, o.Value
			at[i], valid[i], problems[i] = o.ObservedAt, o.Valid, o.Problem
		}
		if _, err := t.tx.Exec(ctx, insertObservations, customers, names, sources, values, at, valid, problems); err != nil {
			return fmt.Errorf("put %d observations: %w", len(obs), mapErr(err))
		}
	}
	return nil
}

const insertAttributes = `
INSERT INTO attributes (customer_id, name, value, source, observed_at, rule)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])` +
	attributeUpsert

type attributeKey struct {
	customer int64
	name     string
}

// PutAttributes sends each (customer, name) once, the last of the batch.
func (t *tx) PutAttributes(ctx context.Context, attrs []store.Attribute) error {
	if len(attrs) == 0 {
		return nil
	}
	last := make([]store.Attribute, 0, len(attrs))
	index := make(map[attributeKey]int, len(attrs))
	for _, a := range attrs {
		k := attributeKey{a.CustomerID, a.Name}
		if i, ok := index[k]; ok {
			last[i] = a
			continue
		}
		index[k] = len(last)
		last = append(last, a)
	}
	for from := 0; from < len(last); from += batchRows {
		chunk := last[from:min(from+batchRows, len(last))]
		n := len(chunk)
		customers := make([]int64, n)
		names := make([]string, n)
		values := make([]string, n)
		sources := make([]string, n)
		at := make([]time.Time, n)
		rules := make([]string, n)
		for i, a := range chunk {
			customers[i], names[i], values[i] = a.CustomerID, a.Name, a.Value
			sources[i], at[i], rules[i] = a.Source, a.ObservedAt, a.Rule
		}
		if _, err := t.tx.Exec(ctx, insertAttributes, customers, names, values, sources, at, rules); err != nil {
			return fmt.Errorf("put %d attributes: %w", len(attrs), mapErr(err))
		}
	}
	return nil
}

// insertOrders inserts a batch of headers in input order, so that the first
// of two with the same (source, ext_id) wins as with PutOrder, and returns
// the new ones' ids with their keys (RETURNING promises no order). orderIDs
// finds the others, in input order, when there are any. (Matching the
// returned ids to the input in SQL would need a join whose generic plan,
// guessing 10 rows per array, can turn quadratic.)
const (
	insertOrders = `
INSERT INTO orders (source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon)
SELECT source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[], $7::bigint[],
            $8::text[], $9::text[], $10::text[], $11::text[]) WITH ORDINALITY
    AS u (source, ext_id, customer_id, placed_at, kind, ref_ext_id, ref_order_id, channel, payment, currency, coupon, ord)
ORDER BY ord
ON CONFLICT (source, ext_id) DO NOTHING
RETURNING id, source, ext_id`
	orderIDs = `
SELECT o.id
FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u (source, ext_id, ord)
LEFT JOIN LATERAL (SELECT id FROM orders WHERE source = u.source AND ext_id = u.ext_id LIMIT 1) AS o ON true
ORDER BY u.ord`
)

type orderKey struct{ source, extID string }

func (t *tx) PutOrders(ctx context.Context, orders []*store.Order) (int, error) {
	// A file with one row per line repeats an order on consecutive rows:
	// send it once. (Repeats further apart are found by their key.)
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
	var inserted int
	for from := 0; from < len(uniq); from += batchRows {
		chunk := uniq[from:min(from+batchRows, len(uniq))]
		n, err := t.putOrders(ctx, chunk)
		inserted += n
		if err != nil {
			return inserted, fmt.Errorf("put %d orders: %w", len(orders), err)
		}
	}
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

// putOrders inserts the orders and sets their IDs: one round trip when all
// are new, two otherwise.
func (t *tx) putOrders(ctx context.Context, orders []*store.Order) (int, error) {
	n := len(orders)
	sources := make([]string, n)
	extIDs := make([]string, n)
	customers := make([]int64, n)
	placed := make([]time.Time, n)
	kinds := make([]string, n)
	refExtIDs := make([]string, n)
	refOrderIDs := make([]int64, n)
	channels := make([]string, n)
	payments := make([]string, n)
	currencies := make([]string, n)
	coupons := make([]string, n)
	for i, o := range orders {
		sources[i], extIDs[i], customers[i], placed[i] = o.Source, o.ExtID, o.CustomerID, o.PlacedAt
		kinds[i], refExtIDs[i], refOrderIDs[i], channels[i] = string(o.Kind), o.RefExtID, o.RefOrderID, o.Channel
		payments[i], currencies[i], coupons[i] = o.Payment, o.Currency, o.Coupon
	}
	rows, err := t.tx.Query(ctx, insertOrders, sources, extIDs, customers, placed, kinds, refExtIDs, refOrderIDs,
		channels, payments, currencies, coupons)
	if err != nil {
		return 0, err
	}
	ids := make(map[orderKey]int64, n)
	var id int64
	var k orderKey
	_, err = pgx.ForEachRow(rows, []any{&id, &k.source, &k.extID}, func() error {
		ids[k] = id
		return nil
	})
	if err != nil {
		return 0, err
	}
	inserted := len(ids)
	var rest []*store.Order // stored before, or their ids were not returned
	for _, o := range orders {
		if id, ok := ids[orderKey{o.Source, o.ExtID}]; ok {
			o.ID = id
		} else {
			rest = append(rest, o)
		}
	}
	if len(rest) == 0 {
		return inserted, nil
	}
	sources, extIDs = sources[:0], extIDs[:0]
	for _, o := range rest {
		sources, extIDs = append(sources, o.Source), append(extIDs, o.ExtID)
	}
	rows, err = t.tx.Query(ctx, orderIDs, sources, extIDs)
	if err != nil {
		return inserted, err
	}
	var found *int64
	i := 0
	_, err = pgx.ForEachRow(rows, []any{&found}, func() error {
		switch {
		case i >= len(rest):
			return errors.New("more ids than orders")
		case found == nil:
			return fmt.Errorf("order %q of %q: neither inserted nor found", rest[i].ExtID, rest[i].Source)
		}
		rest[i].ID = *found
		i++
		return nil
	})
	if err == nil && i != len(rest) {
		err = fmt.Errorf("%d ids for %d orders", i, len(rest))
	}
	return inserted, err
}
