package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.Analytics = (*Store)(nil)

// scanLines returns every line of the orders placed at or before $1 (NULL:
// all) with its header, in order id then line order. Run with
// scanSettings, it is a merge join of the primary keys of orders and
// order_lines, in their order.
//
// The items are joined in Go (see ScanLines): probing the items' primary
// key line by line (a nested loop, the only join that keeps the order)
// took 2.5 s for 500,000 lines on tables not yet analyzed and 0.8 s once
// analyzed (memoized), against 0.2 s for the lines alone.
const scanLines = `
SELECT o.id, o.customer_id, o.placed_at, o.kind, o.channel, o.payment, o.coupon,
       l.item_id, l.quantity, l.unit_price, l.amount, l.discount, l.coupon
FROM orders o
JOIN order_lines l ON l.order_id = o.id
WHERE $1::timestamptz IS NULL OR o.placed_at <= $1
ORDER BY o.id, l.line_no`

// scanItems returns the items with a category or a brand: absent means "".
const scanItems = `SELECT id, category, brand FROM items WHERE category <> '' OR brand <> ''`

// scanSettings keep the planner from sorting the result of a scan, which
// would read and sort it all before the first row: on tables not yet
// analyzed, it hashes and sorts 500,000 lines, on disk. JIT compilation,
// which the cost of such a query may trigger, adds half a second and gains
// nothing.
const scanSettings = `SET LOCAL jit = off; SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off`

// stream runs fn in a read-only transaction, one snapshot for all its
// queries, with scanSettings. To stop early, fn calls abort before it
// closes the rows of a query, which would otherwise read the rest of the
// result: abort cancels the query (and the connection is discarded).
func (s *Store) stream(ctx context.Context, fn func(ctx context.Context, t pgx.Tx, abort func()) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer t.Rollback(context.WithoutCancel(ctx))
	if _, err := t.Exec(ctx, scanSettings); err != nil {
		return err
	}
	return fn(ctx, t, cancel)
}

// item is what ScanLines knows of an item: its id, interned, and its
// category and brand.
type item struct{ id, category, brand string }

// ScanLines loads the categories and brands of the items into a map, then
// decodes the lines as they arrive. The numbers and instants are decoded
// from their binary form, the header only when the order changes, and the
// strings, which repeat from line to line, are interned, so that a row
// allocates nothing; were the results in text form (simple protocol),
// rows.Scan decodes them instead.
func (s *Store) ScanLines(ctx context.Context, asOf time.Time, fn func(row *store.LineRow) error) error {
	at, _ := bound(asOf, 0)
	err := s.stream(ctx, func(ctx context.Context, t pgx.Tx, abort func()) error {
		rows, err := t.Query(ctx, scanItems)
		if err != nil {
			return err
		}
		items := map[string]item{}
		var it item
		if _, err := pgx.ForEachRow(rows, []any{&it.id, &it.category, &it.brand}, func() error {
			items[it.id] = it
			return nil
		}); err != nil {
			return err
		}
		known := len(items)

		if rows, err = t.Query(ctx, scanLines, at); err != nil {
			return err
		}
		defer rows.Close()
		var row store.LineRow
		var orderCoupon, lineCoupon string
		var kind string
		decode := func() error {
			var placed time.Time
			err := rows.Scan(&row.OrderID, &row.CustomerID, &placed, &kind, &row.Channel, &row.Payment, &orderCoupon,
				&row.ItemID, &row.Quantity, &row.UnitPrice, &row.Amount, &row.Discount, &lineCoupon)
			row.PlacedAt, row.Kind = utc(placed), orderKind(kind)
			it := items[row.ItemID]
			row.Category, row.Brand = it.category, it.brand
			return err
		}
		if binaryResults(rows, 'i', 'i', 't', 's', 's', 's', 's', 's', 'f', 'f', 'f', 'f', 's') {
			var in interner
			row.OrderID = math.MinInt64
			decode = func() error {
				v := rows.RawValues()
				if id := decInt8(v[0]); id != row.OrderID {
					row.OrderID, row.CustomerID, row.PlacedAt = id, decInt8(v[1]), decTimestamptz(v[2])
					row.Kind = orderKind(in.get(v[3]))
					row.Channel, row.Payment, orderCoupon = in.get(v[4]), in.get(v[5]), in.get(v[6])
				}
				// Items not in the catalogue are interned too, up to a bound.
				it, ok := items[string(v[7])]
				if !ok {
					it = item{id: string(v[7])}
					if len(items) < known+maxInterned {
						items[it.id] = it
					}
				}
				row.ItemID, row.Category, row.Brand = it.id, it.category, it.brand
				row.Quantity, row.UnitPrice, row.Amount, row.Discount = decFloat8(v[8]), decFloat8(v[9]), decFloat8(v[10]), decFloat8(v[11])
				lineCoupon = in.get(v[12])
				return nil
			}
		}
		for rows.Next() {
			if err := decode(); err != nil {
				return err
			}
			row.Coupon = orderCoupon
			if row.Coupon == "" {
				row.Coupon = lineCoupon
			}
			if err := fn(&row); err != nil {
				abort()
				return errFn{err}
			}
		}
		return rows.Err()
	})
	return scanErr("scan order lines", err)
}

const scanEvents = `
SELECT id, source, customer_id, type, at, item_id, value, props FROM events
WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at <= $2)
ORDER BY seq`

func (s *Store) ScanEvents(ctx context.Context, from, to time.Time, fn func(e *store.Event) error) error {
	lo, _ := bound(from, 0)
	hi, _ := bound(to, 0)
	err := s.stream(ctx, func(ctx context.Context, t pgx.Tx, abort func()) error {
		rows, err := t.Query(ctx, scanEvents, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		var e store.Event
		decode := func() error {
			err := rows.Scan(&e.ID, &e.Source, &e.CustomerID, &e.Type, &e.At, &e.ItemID, &e.Value, &e.Props)
			e.At = utc(e.At)
			return err
		}
		if binaryResults(rows, 'i', 's', 'i', 's', 't', 's', 'f', 's') {
			var in interner
			decode = func() error {
				v := rows.RawValues()
				e.ID, e.Source, e.CustomerID, e.Type = decInt8(v[0]), in.get(v[1]), decInt8(v[2]), in.get(v[3])
				e.At, e.ItemID, e.Value = decTimestamptz(v[4]), in.get(v[5]), decFloat8(v[6])
				e.Props = "" // mostly unique: not interned
				if len(v[7]) > 0 {
					e.Props = string(v[7])
				}
				return nil
			}
		}
		for rows.Next() {
			if err := decode(); err != nil {
				return err
			}
			if err := fn(&e); err != nil {
				abort()
				return errFn{err}
			}
		}
		return rows.Err()
	})
	return scanErr("scan events", err)
}

// errFn carries an error of the caller's callback through a scan, which
// returns it as it is.
type errFn struct{ err error }

func (e errFn) Error() string { return e.err.Error() }

// scanErr returns the callback's error as it is and wraps the others.
func scanErr(what string, err error) error {
	var fe errFn
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe.err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// binaryResults reports whether the columns of rows come in the binary
// format of the kinds given: 'i' int8, 'f' float8, 't' timestamptz, 's'
// text (whose binary form is the text).
func binaryResults(rows pgx.Rows, kinds ...byte) bool {
	fields := rows.FieldDescriptions()
	if len(fields) != len(kinds) {
		return false
	}
	for i, f := range fields {
		var oid uint32
		switch kinds[i] {
		case 'i':
			oid = pgtype.Int8OID
		case 'f':
			oid = pgtype.Float8OID
		case 't':
			oid = pgtype.TimestamptzOID
		case 's':
			oid = pgtype.TextOID
		}
		if f.DataTypeOID != oid || (kinds[i] != 's' && f.Format != pgtype.BinaryFormatCode) {
			return false
		}
	}
	return true
}

// Binary decoders; the columns they read are NOT NULL.

func decInt8(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

func decFloat8(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }

// pgEpoch is 2000-01-01 UTC, the origin of PostgreSQL timestamps, in unix
// microseconds.
const pgEpoch = 946_684_800_000_000

func decTimestamptz(b []byte) time.Time {
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b)) + pgEpoch).UTC()
}

// interner returns one string per distinct value, so that values seen
// before cost no allocation. It keeps up to maxInterned values: beyond, as
// with unique coupon codes, new values are allocated each time.
type interner struct{ m map[string]string }

const maxInterned = 1 << 16

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[s] = s
	}
	return s
}

// orderKind returns the constant for the usual kinds.
func orderKind(s string) store.OrderKind {
	switch s {
	case string(store.OrderSale):
		return store.OrderSale
	case string(store.OrderCancel):
		return store.OrderCancel
	case string(store.OrderReturn):
		return store.OrderReturn
	}
	return store.OrderKind(s)
}

func (s *Store) CustomerIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM customers WHERE merged_into = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list customer ids: %w", err)
	}
	var ids []int64
	var id int64
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list customer ids: %w", err)
	}
	return ids, nil
}

func (s *Store) AttributeValues(ctx context.Context, name string) (map[int64]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT customer_id, value FROM attributes WHERE name = $1`, name)
	if err != nil {
		return nil, fmt.Errorf("list values of attribute %q: %w", name, err)
	}
	values := map[int64]string{}
	var id int64
	var value string
	if _, err := pgx.ForEachRow(rows, []any{&id, &value}, func() error {
		values[id] = value
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list values of attribute %q: %w", name, err)
	}
	return values, nil
}

// PutDefinition runs under the writer lock, so that two definitions cannot
// take the same version.
func (s *Store) PutDefinition(ctx context.Context, d store.Definition) (int, error) {
	body := d.Body
	if body == nil {
		body = []byte{} // NOT NULL
	}
	var version int32
	err := s.write(ctx, func(t pgx.Tx) error {
		return t.QueryRow(ctx, `
			INSERT INTO definitions (kind, name, version, body, deleted, created_at, author)
			SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6
			FROM definitions WHERE kind = $1 AND name = $2
			RETURNING version`,
			d.Kind, d.Name, body, d.Deleted, d.CreatedAt, d.Author).Scan(&version)
	})
	if err != nil {
		return 0, fmt.Errorf("put %s definition %q: %w", d.Kind, d.Name, err)
	}
	return int(version), nil
}

// Definitions sorts by name in byte order, whatever the database's collation.
func (s *Store) Definitions(ctx context.Context, kind string) ([]store.Definition, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kind, name, version, body, deleted, created_at, author FROM (
		    SELECT DISTINCT ON (name) * FROM definitions WHERE kind = $1 ORDER BY name, version DESC
		) d
		WHERE NOT deleted ORDER BY name COLLATE "C"`, kind)
	if err != nil {
		return nil, fmt.Errorf("list %s definitions: %w", kind, err)
	}
	out, err := collect(rows, scanDefinition)
	if err != nil {
		return nil, fmt.Errorf("list %s definitions: %w", kind, err)
	}
	return out, nil
}

func (s *Store) DefinitionHistory(ctx context.Context, kind, name string) ([]store.Definition, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kind, name, version, body, deleted, created_at, author FROM definitions
		WHERE kind = $1 AND name = $2 ORDER BY version`, kind, name)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s definition %q: %w", kind, name, err)
	}
	out, err := collect(rows, scanDefinition)
	if err != nil {
		return nil, fmt.Errorf("list versions of %s definition %q: %w", kind, name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s definition %q: %w", kind, name, store.ErrNotFound)
	}
	return out, nil
}

func scanDefinition(rows pgx.Rows, d *store.Definition) error {
	var version int32
	err := rows.Scan(&d.Kind, &d.Name, &version, &d.Body, &d.Deleted, &d.CreatedAt, &d.Author)
	d.Version, d.CreatedAt = int(version), utc(d.CreatedAt)
	return err
}

// checkList rejects a list other than black, white and grey.
func checkList(list string) error {
	switch list {
	case store.ListBlack, store.ListWhite, store.ListGrey:
		return nil
	}
	return fmt.Errorf("unknown admission list %q", list)
}

type admissionKey struct {
	list     string
	customer int64
}

// PutAdmission sends each (list, customer) once, the last of the batch: an
// upsert may not touch a row twice.
func (s *Store) PutAdmission(ctx context.Context, entries []store.AdmissionEntry) error {
	last := make([]store.AdmissionEntry, 0, len(entries))
	index := make(map[admissionKey]int, len(entries))
	for _, e := range entries {
		if err := checkList(e.List); err != nil {
			return fmt.Errorf("put %d admission entries: %w", len(entries), err)
		}
		k := admissionKey{e.List, e.CustomerID}
		if i, ok := index[k]; ok {
			last[i] = e
			continue
		}
		index[k] = len(last)
		last = append(last, e)
	}
	if len(last) == 0 {
		return nil
	}
	err := s.write(ctx, func(t pgx.Tx) error {
		for from := 0; from < len(last); from += batchRows {
			chunk := last[from:min(from+batchRows, len(last))]
			n := len(chunk)
			lists := make([]string, n)
			customers := make([]int64, n)
			reasons := make([]string, n)
			sources := make([]string, n)
			added := make([]time.Time, n)
			expires := make([]pgtype.Timestamptz, n)
			for i, e := range chunk {
				lists[i], customers[i], reasons[i], sources[i], added[i] = e.List, e.CustomerID, e.Reason, e.Source, e.AddedAt
				expires[i] = pgtype.Timestamptz{Time: e.ExpiresAt, Valid: !e.ExpiresAt.IsZero()}
			}
			_, err := t.Exec(ctx, `
				INSERT INTO admission (list, customer_id, reason, source, added_at, expires_at)
				SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
				ON CONFLICT (list, customer_id) DO UPDATE
				SET reason = excluded.reason, source = excluded.source, added_at = excluded.added_at, expires_at = excluded.expires_at`,
				lists, customers, reasons, sources, added, expires)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d admission entries: %w", len(entries), err)
	}
	return nil
}

func (s *Store) RemoveAdmission(ctx context.Context, list string, customerID int64) error {
	var removed int64
	err := s.write(ctx, func(t pgx.Tx) error {
		tag, err := t.Exec(ctx, `DELETE FROM admission WHERE list = $1 AND customer_id = $2`, list, customerID)
		removed = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("remove customer %d from the %s list: %w", customerID, list, err)
	}
	if removed == 0 {
		return fmt.Errorf("customer %d on the %s list: %w", customerID, list, store.ErrNotFound)
	}
	return nil
}

// Admission lists the entries by list, then customer. An entry expires at
// its ExpiresAt.
func (s *Store) Admission(ctx context.Context, list string, at time.Time) ([]store.AdmissionEntry, error) {
	when, _ := bound(at, 0)
	rows, err := s.pool.Query(ctx, `
		SELECT list, customer_id, reason, source, added_at, expires_at FROM admission
		WHERE ($1 = '' OR list = $1) AND ($2::timestamptz IS NULL OR expires_at IS NULL OR expires_at > $2)
		ORDER BY list COLLATE "C", customer_id`, list, when)
	if err != nil {
		return nil, fmt.Errorf("list admission entries: %w", err)
	}
	out, err := collect(rows, func(rows pgx.Rows, e *store.AdmissionEntry) error {
		var expires *time.Time
		err := rows.Scan(&e.List, &e.CustomerID, &e.Reason, &e.Source, &e.AddedAt, &expires)
		e.AddedAt = utc(e.AddedAt)
		if expires != nil {
			e.ExpiresAt = utc(*expires)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list admission entries: %w", err)
	}
	return out, nil
}

type segmentKey struct {
	segment string
	at      int64 // unix microseconds, the stored precision
}

// AddSegmentSizes sends each (segment, instant) once, the last of the batch.
func (s *Store) AddSegmentSizes(ctx context.Context, sizes []store.SegmentSize) error {
	last := make([]store.SegmentSize, 0, len(sizes))
	index := make(map[segmentKey]int, len(sizes))
	for _, z := range sizes {
		k := segmentKey{z.Segment, z.At.UnixMicro()}
		if i, ok := index[k]; ok {
			last[i] = z
			continue
		}
		index[k] = len(last)
		last = append(last, z)
	}
	if len(last) == 0 {
		return nil
	}
	err := s.write(ctx, func(t pgx.Tx) error {
		for from := 0; from < len(last); from += batchRows {
			chunk := last[from:min(from+batchRows, len(last))]
			segments := make([]string, len(chunk))
			at := make([]time.Time, len(chunk))
			counts := make([]int64, len(chunk))
			for i, z := range chunk {
				segments[i], at[i], counts[i] = z.Segment, z.At, z.Count
			}
			_, err := t.Exec(ctx, `
				INSERT INTO segment_sizes (segment, at, count)
				SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[])
				ON CONFLICT (segment, at) DO UPDATE SET count = excluded.count`,
				segments, at, counts)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d segment sizes: %w", len(sizes), err)
	}
	return nil
}

func (s *Store) SegmentSizes(ctx context.Context, segment string, from, to time.Time) ([]store.SegmentSize, error) {
	lo, _ := bound(from, 0)
	hi, _ := bound(to, 0)
	rows, err := s.pool.Query(ctx, `
		SELECT segment, at, count FROM segment_sizes
		WHERE segment = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at <= $3)
		ORDER BY at`, segment, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list sizes of segment %q: %w", segment, err)
	}
	out, err := collect(rows, func(rows pgx.Rows, z *store.SegmentSize) error {
		err := rows.Scan(&z.Segment, &z.At, &z.Count)
		z.At = utc(z.At)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list sizes of segment %q: %w", segment, err)
	}
	return out, nil
}
