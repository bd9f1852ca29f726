package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.Analytics = (*Store)(nil)

// The scans run on a driver connection of the read pool (see readRaw):
// database/sql would convert every value of every row once more.
const (
	// Order headers and lines are read by two cursors, each in its primary
	// key order, and joined in Go (see ScanLines).
	sqlScanOrders = `SELECT id, customer_id, placed_at, kind, channel, payment, coupon
FROM orders WHERE placed_at <= ? ORDER BY id`
	// An empty coupon, the usual case, comes as NULL: the driver then reads
	// nothing more of the column (5% faster).
	sqlScanLines = `SELECT order_id, item_id, quantity, unit_price, amount, discount, NULLIF(coupon, '')
FROM order_lines ORDER BY order_id, line_no`
	// The same, for the orders with lo <= id <= hi (see scanParallel).
	sqlScanOrdersRange = `SELECT id, customer_id, placed_at, kind, channel, payment, coupon
FROM orders WHERE placed_at <= ? AND id >= ? AND id <= ? ORDER BY id`
	sqlScanLinesRange = `SELECT order_id, item_id, quantity, unit_price, amount, discount, NULLIF(coupon, '')
FROM order_lines WHERE order_id >= ? AND order_id <= ? ORDER BY order_id, line_no`
	// What a parallel scan plans its stripes with; reading it also starts
	// the read transaction's snapshot.
	sqlScanPlan = `SELECT (SELECT order_lines FROM counters), (SELECT MIN(id) FROM orders), (SELECT MAX(id) FROM orders)`
	// Items without category and brand need no entry: absent means "".
	sqlScanItems = `SELECT id, category, brand FROM items WHERE category <> '' OR brand <> ''`

	sqlScanEvents = `SELECT id, source, customer_id, type, at, item_id, value, props
FROM events WHERE at >= ? AND at <= ? ORDER BY seq`
	sqlCustomerIDs     = `SELECT id FROM customers WHERE merged_into = 0 ORDER BY id`
	sqlAttributeValues = `SELECT customer_id, value FROM attributes WHERE name = ?`
)

var (
	sqlPutDefinition = wq(`INSERT INTO definitions (kind, name, version, body, deleted, created_at, author)
SELECT ?1, ?2, COALESCE(MAX(version), 0) + 1, ?3, ?4, ?5, ?6 FROM definitions WHERE kind = ?1 AND name = ?2
RETURNING version`)
	// The latest version of each name, unless it is a deletion.
	sqlDefinitions = pq(`SELECT d.name, d.version, d.body, d.created_at, d.author FROM definitions d
WHERE d.kind = ?1 AND d.deleted = 0
	AND d.version = (SELECT MAX(m.version) FROM definitions m WHERE m.kind = ?1 AND m.name = d.name)
ORDER BY d.name`)
	sqlDefinitionHistory = pq(`SELECT version, body, deleted, created_at, author FROM definitions
WHERE kind = ? AND name = ? ORDER BY version`)

	sqlPutAdmission = wq(`INSERT INTO admission (list, customer_id, reason, source, added_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (list, customer_id) DO UPDATE SET
	reason = excluded.reason, source = excluded.source, added_at = excluded.added_at, expires_at = excluded.expires_at`)
	sqlRemoveAdmission = wq(`DELETE FROM admission WHERE list = ? AND customer_id = ?`)
	// An entry expires at its expires_at; zero ?2 (the minimum) keeps all.
	sqlAdmission = pq(`SELECT list, customer_id, reason, source, added_at, expires_at FROM admission
WHERE (?1 = '' OR list = ?1) AND (expires_at IS NULL OR expires_at > ?2)
ORDER BY list, customer_id`)
	// MergeCustomers: the merged customer's entries go to the survivor,
	// except where the survivor has one on the same list.
	sqlMergeAdmission  = wq(`UPDATE OR IGNORE admission SET customer_id = ?1 WHERE customer_id = ?2`)
	sqlDeleteAdmission = wq(`DELETE FROM admission WHERE customer_id = ?`)

	sqlAddSegmentSize = wq(`INSERT INTO segment_sizes (segment, at, count) VALUES (?, ?, ?)
ON CONFLICT (segment, at) DO UPDATE SET count = excluded.count`)
	sqlSegmentSizes = pq(`SELECT at, count FROM segment_sizes WHERE segment = ? AND at >= ? AND at <= ? ORDER BY at`)
)

// lowerBound turns from into an inclusive lower bound; zero means none.
func lowerBound(from time.Time) int64 {
	if from.IsZero() {
		return math.MinInt64
	}
	return micro(from)
}

// rawConn is a driver connection of the read pool, lent by readRaw.
type rawConn struct {
	c driver.Conn
}

// query prepares q, runs it with args and returns its rows; closing them
// closes the statement too.
func (c rawConn) query(ctx context.Context, q string, args ...any) (*rawRows, error) {
	st, err := c.c.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, named)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &rawRows{Rows: rows, st: st}, nil
}

func (c rawConn) exec(ctx context.Context, q string) error {
	_, err := c.c.(driver.ExecerContext).ExecContext(ctx, q, nil)
	return err
}

type rawRows struct {
	driver.Rows
	st driver.Stmt
}

func (r *rawRows) Close() error {
	return errors.Join(r.Rows.Close(), r.st.Close())
}

// each calls fn for every row; fn must not keep dest.
func (r *rawRows) each(cols int, fn func(dest []driver.Value) error) error {
	dest := make([]driver.Value, cols)
	for {
		if err := r.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

// readRaw lends fn a driver connection of the read pool. With snapshot,
// fn runs in one read transaction, so that all its statements see the
// same state of the database.
func (s *Store) readRaw(ctx context.Context, snapshot bool, fn func(c rawConn) error) error {
	if s.r == nil {
		return errors.New("store closed")
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return onRaw(ctx, conn, snapshot, fn)
}

// onRaw lends fn the driver connection of conn, as readRaw does.
func onRaw(ctx context.Context, conn *sql.Conn, snapshot bool, fn func(c rawConn) error) error {
	return conn.Raw(func(dc any) error {
		c := rawConn{c: dc.(driver.Conn)}
		if !snapshot {
			return fn(c)
		}
		if err := c.exec(ctx, "BEGIN"); err != nil {
			return err
		}
		err := fn(c)
		// The connection goes back to the pool: it must not stay in the
		// transaction. If it cannot leave it, it is discarded.
		if rerr := c.exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return errors.Join(err, rerr, driver.ErrBadConn)
		}
		return err
	})
}

// Values come from NOT NULL columns; these accept what SQLite may return
// for them.

func asInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asFloat(v driver.Value) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

// orderKind returns the constant for the usual kinds, so that rows do not
// keep the driver's copy.
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

type itemInfo struct{ category, brand string }

// Lines go from the goroutine that reads them to the one that calls fn in
// batches of scanBatch rows; scanBatches of them circulate.
const (
	scanBatch   = 256
	scanBatches = 4
)

// checkEvery is how often, in rows, a scan checks its context.
const checkEvery = 4096

type lineBatch struct {
	rows [scanBatch]store.LineRow
	n    int
	last bool // the last batch of a stripe (see scanParallel)
}

// ScanLines reads the lines on a goroutine of its own, in one read
// transaction on a connection of the read pool, and calls fn on the
// caller's goroutine: reading the rows through the driver, bound by the
// cost of each column, runs alongside fn.
//
// Two cursors, each in its primary key order, are joined in Go: the order
// headers placed at or before asOf, by id, and all the lines, by order and
// line number. The categories and brands of the items are loaded first
// into a map. A join in SQL seeks the lines of every order and the item of
// every line, and returns the header again with every line (15 columns a
// line instead of 7): three times slower. Lines of orders placed after
// asOf are read and skipped.
//
// With spare connections in the read pool and more than one CPU, several
// readers share the work (see scanParallel).
func (s *Store) ScanLines(ctx context.Context, asOf time.Time, fn func(row *store.LineRow) error) error {
	if s.r == nil {
		return errors.New("scan order lines: store closed")
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("scan order lines: %w", err)
	}
	conns := []*sql.Conn{conn}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if k := min(runtime.GOMAXPROCS(0), maxScanReaders, s.r.Stats().MaxOpenConnections); k > 1 {
		conns = append(conns, s.spareConns(ctx, k-1)...)
		if len(conns) > 1 {
			// The readers' snapshots must all be the same: they are taken
			// while no write transaction runs. If one does, the scan does
			// not wait for it.
			select {
			case s.wlock <- struct{}{}:
				return s.scanParallel(ctx, conns, asOf, fn)
			default:
			}
		}
	}
	return s.scanSerial(ctx, conn, asOf, fn)
}

// scanSerial is ScanLines on one connection.
func (s *Store) scanSerial(ctx context.Context, conn *sql.Conn, asOf time.Time, fn func(row *store.LineRow) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *lineBatch, scanBatches)
	full := make(chan *lineBatch, scanBatches) // never full: sends do not block
	for range scanBatches {
		free <- new(lineBatch)
	}
	var items map[string]itemInfo // set before the first batch is sent
	errc := make(chan error, 1)
	go func() {
		defer close(full)
		errc <- onRaw(ctx, conn, true, func(c rawConn) error {
			var err error
			if items, err = scanItems(ctx, c); err != nil {
				return err
			}
			return readLines(ctx, c, asOf, free, full)
		})
	}()
	defer func() {
		cancel()
		for range full { // until the reader is done with the connection
		}
	}()
	for b := range full {
		for i := range b.n {
			row := &b.rows[i]
			it := items[row.ItemID]
			row.Category, row.Brand = it.category, it.brand
			if err := fn(row); err != nil {
				return err
			}
		}
		free <- b
	}
	if err := <-errc; err != nil {
		return fmt.Errorf("scan order lines: %w", err)
	}
	return nil
}

// A parallel scan reads with up to maxScanReaders connections, in stripes
// of about stripeLines lines; each reader has readerBatches batches.
// Below parallelLines lines, one stripe holds them all.
const (
	maxScanReaders = 4
	stripeLines    = 8192
	readerBatches  = 3 * stripeLines / scanBatch / 2
	parallelLines  = 4 * stripeLines
)

// spareConns returns up to n more connections of the read pool, those it
// gets at once: a scan that waited for one while holding another could
// deadlock with a scan doing the same.
func (s *Store) spareConns(ctx context.Context, n int) []*sql.Conn {
	var conns []*sql.Conn
	for range n {
		if st := s.r.Stats(); st.Idle == 0 && st.OpenConnections >= st.MaxOpenConnections {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
		c, err := s.r.Conn(cctx)
		cancel()
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	return conns
}

// scanReader is one reader of a parallel scan, with its batches.
type scanReader struct {
	free, full chan *lineBatch
	err        error // set before full is closed
}

// scanParallel is ScanLines with a reader per connection, called holding
// s.wlock, which it releases once all the readers' snapshots are taken.
//
// The order ids from the smallest to the largest are cut into stripes of
// about stripeLines lines; reader r reads stripes r, r+k, r+2k ... (k
// readers), each as ScanLines does, and the caller's goroutine consumes
// them in order, stripe 0 from reader 0, stripe 1 from reader 1 ... Each
// reader can thus read ahead of the consumer by about a stripe: contiguous
// ranges, one per reader, would leave all but the first reader waiting for
// the consumer, their batches full, for most of the scan.
func (s *Store) scanParallel(ctx context.Context, conns []*sql.Conn, asOf time.Time, fn func(row *store.LineRow) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	k := len(conns)
	readers := make([]*scanReader, k)
	ready := make(chan struct{}, k)
	var items map[string]itemInfo // set by reader 0 before its first batch
	var wg sync.WaitGroup
	for r := range readers {
		rd := &scanReader{free: make(chan *lineBatch, readerBatches), full: make(chan *lineBatch, readerBatches)}
		for range readerBatches {
			rd.free <- new(lineBatch)
		}
		readers[r] = rd
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(rd.full)
			signalled := false
			signal := func() {
				if !signalled {
					signalled = true
					ready <- struct{}{}
				}
			}
			defer signal()
			rd.err = onRaw(ctx, conns[r], true, func(c rawConn) error {
				lines, lo, hi, err := scanPlan(ctx, c)
				signal()
				if err != nil {
					return err
				}
				if r == 0 {
					if items, err = scanItems(ctx, c); err != nil {
						return err
					}
				}
				n := int64(1)
				if lines >= parallelLines && hi-lo > 0 {
					n = lines / stripeLines
				}
				width := (hi-lo)/n + 1
				if n == 1 {
					width = 0 // unused: (hi-lo)+1 may overflow
				}
				for st := int64(r); st < n && (st == 0 || hi-lo >= st*width); st += int64(k) {
					a, b := lo+st*width, hi
					if st < n-1 && hi-a >= width {
						b = a + width - 1
					}
					if err := readLines(ctx, c, asOf, rd.free, rd.full, a, b); err != nil {
						return err
					}
				}
				return nil
			})
		}()
	}
	for range k {
		<-ready
	}
	<-s.wlock
	defer func() {
		cancel()
		for _, rd := range readers { // until the readers are done with the connections
			for range rd.full {
			}
		}
		wg.Wait()
	}()
	for st := 0; ; st++ {
		rd := readers[st%k]
		for last := false; !last; {
			b, ok := <-rd.full
			if !ok {
				if rd.err != nil {
					return fmt.Errorf("scan order lines: %w", rd.err)
				}
				// Stripe st does not exist: all are consumed and the other
				// readers are done or about to be.
				for _, rd := range readers {
					for range rd.full {
					}
				}
				for _, rd := range readers {
					if rd.err != nil {
						return fmt.Errorf("scan order lines: %w", rd.err)
					}
				}
				return nil
			}
			for i := range b.n {
				row := &b.rows[i]
				it := items[row.ItemID]
				row.Category, row.Brand = it.category, it.brand
				if err := fn(row); err != nil {
					return err
				}
			}
			last = b.last
			rd.free <- b
		}
	}
}

// scanPlan returns the number of order lines and the smallest and largest
// order ids.
func scanPlan(ctx context.Context, c rawConn) (lines, lo, hi int64, err error) {
	rows, err := c.query(ctx, sqlScanPlan)
	if err != nil {
		return 0, 0, 0, err
	}
	err = rows.each(3, func(d []driver.Value) error {
		lines, lo, hi = asInt(d[0]), asInt(d[1]), asInt(d[2])
		return nil
	})
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return lines, lo, hi, err
}

// scanItems loads the category and brand of every item that has either.
func scanItems(ctx context.Context, c rawConn) (map[string]itemInfo, error) {
	items := map[string]itemInfo{}
	rows, err := c.query(ctx, sqlScanItems)
	if err != nil {
		return nil, err
	}
	err = rows.each(3, func(d []driver.Value) error {
		items[asString(d[0])] = itemInfo{asString(d[1]), asString(d[2])}
		return nil
	})
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return items, err
}

// readLines joins the headers and the lines (see ScanLines) into batches
// taken from free and sent to full; it leaves Category and Brand to the
// receiver.
//
// With ids, it reads only the orders with ids[0] <= id <= ids[1], and marks
// its last batch, sent even if empty, as such.
func readLines(ctx context.Context, c rawConn, asOf time.Time, free <-chan *lineBatch, full chan<- *lineBatch, ids ...int64) error {
	// The cursors run without ctx: given a context that can be cancelled,
	// the driver watches it on every row (9% of the time). The loop checks
	// it instead, every checkEvery lines.
	qctx := context.WithoutCancel(ctx)
	qo, qoArgs, ql, qlArgs := sqlScanOrders, []any{bound(asOf)}, sqlScanLines, []any(nil)
	if ids != nil {
		qo, qoArgs = sqlScanOrdersRange, []any{bound(asOf), ids[0], ids[1]}
		ql, qlArgs = sqlScanLinesRange, []any{ids[0], ids[1]}
	}
	orders, err := c.query(qctx, qo, qoArgs...)
	if err != nil {
		return err
	}
	defer orders.Close()
	lines, err := c.query(qctx, ql, qlArgs...)
	if err != nil {
		return err
	}
	defer lines.Close()

	var h store.LineRow // the current header
	var coupon string   // its coupon
	h.OrderID = math.MinInt64
	ordersDone := false
	od := make([]driver.Value, 7)
	ld := make([]driver.Value, 7)
	var b *lineBatch // being filled
	for n := 1; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := lines.Next(ld); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		id := asInt(ld[0])
		for h.OrderID < id && !ordersDone {
			if err := orders.Next(od); err != nil {
				if !errors.Is(err, io.EOF) {
					return err
				}
				ordersDone = true
				break
			}
			h.OrderID, h.CustomerID, h.PlacedAt = asInt(od[0]), asInt(od[1]), fromMicro(asInt(od[2]))
			h.Kind, h.Channel, h.Payment = orderKind(asString(od[3])), asString(od[4]), asString(od[5])
			coupon = asString(od[6])
		}
		if h.OrderID != id {
			if ordersDone && h.OrderID < id {
				break // no header left for this line or any later one
			}
			continue // an order placed after asOf, or none at all
		}
		if b == nil {
			if b, err = takeBatch(ctx, free); err != nil {
				return err
			}
		}
		row := &b.rows[b.n]
		*row = h
		row.ItemID = asString(ld[1])
		row.Quantity, row.UnitPrice, row.Amount, row.Discount = asFloat(ld[2]), asFloat(ld[3]), asFloat(ld[4]), asFloat(ld[5])
		row.Coupon = coupon
		if coupon == "" {
			row.Coupon = asString(ld[6])
		}
		if b.n++; b.n == scanBatch {
			full <- b
			b = nil
		}
	}
	if b == nil && ids != nil {
		if b, err = takeBatch(ctx, free); err != nil {
			return err
		}
	}
	if b != nil {
		b.last = ids != nil
		full <- b
	}
	return nil
}

// takeBatch takes an empty batch from free.
func takeBatch(ctx context.Context, free <-chan *lineBatch) (*lineBatch, error) {
	select {
	case b := <-free:
		b.n, b.last = 0, false
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errFn carries an error of the caller's callback through the scan, which
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

func (s *Store) ScanEvents(ctx context.Context, from, to time.Time, fn func(e *store.Event) error) error {
	err := s.readRaw(ctx, false, func(c rawConn) error {
		// Without ctx, checked every checkEvery rows, as in readLines.
		rows, err := c.query(context.WithoutCancel(ctx), sqlScanEvents, lowerBound(from), bound(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		var e store.Event
		n := 0
		return rows.each(8, func(d []driver.Value) error {
			if n++; n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			e.ID, e.Source, e.CustomerID, e.Type = asInt(d[0]), asString(d[1]), asInt(d[2]), asString(d[3])
			e.At, e.ItemID, e.Value, e.Props = fromMicro(asInt(d[4])), asString(d[5]), asFloat(d[6]), asString(d[7])
			if err := fn(&e); err != nil {
				return errFn{err}
			}
			return nil
		})
	})
	return scanErr("scan events", err)
}

func (s *Store) CustomerIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.readRaw(ctx, false, func(c rawConn) error {
		rows, err := c.query(ctx, sqlCustomerIDs)
		if err != nil {
			return err
		}
		defer rows.Close()
		return rows.each(1, func(d []driver.Value) error {
			ids = append(ids, asInt(d[0]))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list customer ids: %w", err)
	}
	return ids, nil
}

func (s *Store) AttributeValues(ctx context.Context, name string) (map[int64]string, error) {
	values := map[int64]string{}
	err := s.readRaw(ctx, false, func(c rawConn) error {
		rows, err := c.query(ctx, sqlAttributeValues, name)
		if err != nil {
			return err
		}
		defer rows.Close()
		return rows.each(2, func(d []driver.Value) error {
			values[asInt(d[0])] = asString(d[1])
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list values of attribute %q: %w", name, err)
	}
	return values, nil
}

func (s *Store) PutDefinition(ctx context.Context, d store.Definition) (int, error) {
	body := d.Body
	if body == nil {
		body = []byte{} // NOT NULL
	}
	var version int
	err := s.update(ctx, func(t *tx) error {
		return t.q.QueryRowContext(ctx, sqlPutDefinition, d.Kind, d.Name, body, d.Deleted, micro(d.CreatedAt), d.Author).Scan(&version)
	})
	if err != nil {
		return 0, fmt.Errorf("put %s definition %q: %w", d.Kind, d.Name, err)
	}
	return version, nil
}

func (s *Store) Definitions(ctx context.Context, kind string) ([]store.Definition, error) {
	return list(ctx, s.reader.q, kind+" definitions", sqlDefinitions, func(rows *sql.Rows) (store.Definition, error) {
		d := store.Definition{Kind: kind}
		var at int64
		err := rows.Scan(&d.Name, &d.Version, &d.Body, &at, &d.Author)
		d.CreatedAt = fromMicro(at)
		return d, err
	}, kind)
}

func (s *Store) DefinitionHistory(ctx context.Context, kind, name string) ([]store.Definition, error) {
	defs, err := list(ctx, s.reader.q, fmt.Sprintf("versions of %s definition %q", kind, name), sqlDefinitionHistory,
		func(rows *sql.Rows) (store.Definition, error) {
			d := store.Definition{Kind: kind, Name: name}
			var at int64
			err := rows.Scan(&d.Version, &d.Body, &d.Deleted, &at, &d.Author)
			d.CreatedAt = fromMicro(at)
			return d, err
		}, kind, name)
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("%s definition %q: %w", kind, name, store.ErrNotFound)
	}
	return defs, nil
}

// checkList rejects a list other than black, white and grey.
func checkList(list string) error {
	switch list {
	case store.ListBlack, store.ListWhite, store.ListGrey:
		return nil
	}
	return fmt.Errorf("unknown admission list %q", list)
}

// expiry is the stored expires_at: NULL for never.
func expiry(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micro(t)
}

func (s *Store) PutAdmission(ctx context.Context, entries []store.AdmissionEntry) error {
	for _, e := range entries {
		if err := checkList(e.List); err != nil {
			return fmt.Errorf("put %d admission entries: %w", len(entries), err)
		}
	}
	err := s.update(ctx, func(t *tx) error {
		for _, e := range entries {
			_, err := t.q.ExecContext(ctx, sqlPutAdmission, e.List, e.CustomerID, e.Reason, e.Source, micro(e.AddedAt), expiry(e.ExpiresAt))
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
	return s.update(ctx, func(t *tx) error {
		res, err := t.q.ExecContext(ctx, sqlRemoveAdmission, list, customerID)
		if err != nil {
			return fmt.Errorf("remove customer %d from the %s list: %w", customerID, list, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("remove customer %d from the %s list: %w", customerID, list, err)
		} else if n == 0 {
			return fmt.Errorf("customer %d on the %s list: %w", customerID, list, store.ErrNotFound)
		}
		return nil
	})
}

// Admission lists the entries by list, then customer.
func (s *Store) Admission(ctx context.Context, listName string, at time.Time) ([]store.AdmissionEntry, error) {
	return list(ctx, s.reader.q, "admission entries", sqlAdmission, func(rows *sql.Rows) (store.AdmissionEntry, error) {
		var e store.AdmissionEntry
		var added int64
		var expires sql.NullInt64
		err := rows.Scan(&e.List, &e.CustomerID, &e.Reason, &e.Source, &added, &expires)
		e.AddedAt = fromMicro(added)
		if expires.Valid {
			e.ExpiresAt = fromMicro(expires.Int64)
		}
		return e, err
	}, listName, lowerBound(at))
}

func (s *Store) AddSegmentSizes(ctx context.Context, sizes []store.SegmentSize) error {
	err := s.update(ctx, func(t *tx) error {
		for _, z := range sizes {
			if _, err := t.q.ExecContext(ctx, sqlAddSegmentSize, z.Segment, micro(z.At), z.Count); err != nil {
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
	return list(ctx, s.reader.q, fmt.Sprintf("sizes of segment %q", segment), sqlSegmentSizes, func(rows *sql.Rows) (store.SegmentSize, error) {
		z := store.SegmentSize{Segment: segment}
		var at int64
		err := rows.Scan(&at, &z.Count)
		z.At = fromMicro(at)
		return z, err
	}, segment, lowerBound(from), bound(to))
}
