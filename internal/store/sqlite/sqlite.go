package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sagitta-dev/sagitta/internal/store"
)

// FileName is the database file inside the data directory.
const FileName = "sagitta.db"

// pageSize is the page size of new databases (an existing file keeps its
// own). Larger than SQLite's 4 KiB default: bulk loads split and write fewer
// pages (loading online-retail took 6% less CPU than with 4 KiB, 11% with
// 64 KiB), while small transactions still write little to the WAL.
const pageSize = 16 << 10

// Options tune the store; the zero value is a sound default.
type Options struct {
	// ReadConns is the size of the read pool; 0 means 4.
	ReadConns int
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing; 0 means 5 s.
	BusyTimeout time.Duration
	// CacheKiB is the page cache of the writer connection; 0 means 64 MiB.
	// Read connections keep SQLite's default (2 MiB each).
	CacheKiB int
}

//go:embed schema.sql
var schemaV1 string

//go:embed schema_v2.sql
var schemaV2 string

//go:embed schema_v3.sql
var schemaV3 string

//go:embed schema_v4.sql
var schemaV4 string

//go:embed schema_v5.sql
var schemaV5 string

//go:embed schema_v6.sql
var schemaV6 string

// migrations[i] brings a database from user_version i to i+1. Append new
// steps; never edit a released one.
var migrations = []string{schemaV1, schemaV2, schemaV3, schemaV4, schemaV5, schemaV6}

// Store is the SQLite backend. One writer connection serves Update (so
// exactly one runs at a time) and a pool of read-only connections serves the
// Reader methods of the Store; WAL mode lets them read while a write runs.
type Store struct {
	reader
	w, r   *sql.DB
	wc     *sql.Conn              // w's only connection, held for the life of the store
	wlock  chan struct{}          // held by the running write transaction
	wstmts map[string]*sql.Stmt   // every query, prepared on the writer
	rstmts map[string]*sql.Stmt   // read queries, prepared on the read pool
	raw    map[string]driver.Stmt // bulk inserts, prepared on wc's driver connection
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database <dir>/sagitta.db and brings
// its schema up to date.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open sqlite store: empty data directory")
	}
	if strings.ContainsRune(dir, '?') {
		return nil, fmt.Errorf("open sqlite store: data directory %q: '?' is not allowed in the path", dir)
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.CacheKiB <= 0 {
		opts.CacheKiB = 64 << 10
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	busy := strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)

	wdsn := url.Values{}
	wdsn.Set("_txlock", "immediate")
	wdsn.Add("_pragma", "busy_timeout("+busy+")")
	wdsn.Add("_pragma", "page_size("+strconv.Itoa(pageSize)+")") // effective when the file is created
	wdsn.Set("_journal_mode", "WAL")                             // after page_size: the driver applies _pragma first
	wdsn.Add("_pragma", "synchronous(NORMAL)")
	wdsn.Add("_pragma", "foreign_keys(0)")
	wdsn.Add("_pragma", "temp_store(MEMORY)")
	wdsn.Add("_pragma", "cache_size("+strconv.Itoa(-opts.CacheKiB)+")")
	w, err := sql.Open("sqlite", path+"?"+wdsn.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	// One connection, never recycled: statements stay prepared on it.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}

	rdsn := url.Values{}
	rdsn.Add("_pragma", "busy_timeout("+busy+")")
	rdsn.Add("_pragma", "foreign_keys(0)")
	rdsn.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+rdsn.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.ReadConns)
	r.SetMaxIdleConns(opts.ReadConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &Store{w: w, r: r, wlock: make(chan struct{}, 1),
		wstmts: map[string]*sql.Stmt{}, rstmts: map[string]*sql.Stmt{}, raw: map[string]driver.Stmt{}}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	s.reader = reader{q: dbQuerier{db: r, stmts: s.rstmts}}
	return s, nil
}

// migrate applies the migrations the database has not seen, in one
// transaction, and records the new schema version in PRAGMA user_version.
func migrate(ctx context.Context, w *sql.DB) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program knows (%d): upgrade sagitta", version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(migrations))); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// prepare prepares every known query once: all of them on the writer (a
// transaction then binds them with Tx.StmtContext, which reuses the
// connection's statement), the read queries on the read pool.
func (s *Store) prepare(ctx context.Context) error {
	for _, q := range readQueries {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(q), err)
		}
		s.wstmts[q] = st
		if st, err = s.r.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(q), err)
		}
		s.rstmts[q] = st
	}
	for _, q := range poolQueries {
		st, err := s.r.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(q), err)
		}
		s.rstmts[q] = st
	}
	for _, q := range writeQueries {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(q), err)
		}
		s.wstmts[q] = st
	}
	// The statements above are prepared on the writer's only connection;
	// hold it from now on (a Tx started on it reuses them) and prepare the
	// bulk inserts on the driver connection itself.
	wc, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	s.wc = wc
	return wc.Raw(func(dc any) error {
		for _, q := range rawQueries {
			st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("prepare %q: %w", firstLine(q), err)
			}
			s.raw[q] = st
		}
		return nil
	})
}

func firstLine(q string) string {
	q = strings.TrimSpace(q)
	if i := strings.IndexByte(q, '\n'); i >= 0 {
		q = q[:i]
	}
	if len(q) > 60 {
		q = q[:60] + "…"
	}
	return q
}

// Close closes the statements and both pools; it lets SQLite refresh its
// query planner statistics first. It must not run concurrently with other
// calls; a second Close does nothing.
func (s *Store) Close() error {
	var errs []error
	for _, m := range []map[string]*sql.Stmt{s.rstmts, s.wstmts} {
		for q, st := range m {
			if err := st.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close statement %q: %w", firstLine(q), err))
			}
			delete(m, q)
		}
	}
	if s.r != nil {
		if err := s.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close read pool: %w", err))
		}
		s.r = nil
	}
	if s.wc != nil {
		err := s.wc.Raw(func(any) error {
			var errs []error
			for q, st := range s.raw {
				if err := st.Close(); err != nil {
					errs = append(errs, fmt.Errorf("close statement %q: %w", firstLine(q), err))
				}
				delete(s.raw, q)
			}
			return errors.Join(errs...)
		})
		if err != nil {
			errs = append(errs, err)
		}
		if _, err := s.wc.ExecContext(context.Background(), "PRAGMA optimize"); err != nil {
			errs = append(errs, fmt.Errorf("optimize: %w", err))
		}
		if err := s.wc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close writer connection: %w", err))
		}
		s.wc = nil
	}
	if s.w != nil {
		if err := s.w.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close writer: %w", err))
		}
		s.w = nil
	}
	return errors.Join(errs...)
}

// Update runs fn in one write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

func (s *Store) update(ctx context.Context, fn func(t *tx) error) error {
	select {
	case s.wlock <- struct{}{}:
		defer func() { <-s.wlock }()
	case <-ctx.Done():
		return fmt.Errorf("begin update: %w", ctx.Err())
	}
	if s.wc == nil {
		return errors.New("begin update: store closed")
	}
	sqltx, err := s.wc.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin update: %w", err)
	}
	t := &tx{s: s, tx: sqltx, ctx: ctx}
	t.q = &txQuerier{tx: sqltx, stmts: s.wstmts, bound: make(map[string]*sql.Stmt)}
	t.reader = reader{q: t.q}
	defer func() {
		t.done = true
		_ = sqltx.Rollback() // after a commit, a no-op; after a panic in fn, the panic goes on
	}()
	if err := fn(t); err != nil {
		return err
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit update: %w", err)
	}
	return nil
}

// querier is what the reads and writes run on: the read pool for the
// Store, the write transaction for a Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// dbQuerier runs known queries through statements prepared on db.
type dbQuerier struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt // read-only after Open
}

func (q dbQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmts[query]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.db.QueryContext(ctx, query, args...)
}

func (q dbQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

func (q dbQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmts[query]; st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.db.ExecContext(ctx, query, args...)
}

// txQuerier runs known queries through the writer's prepared statements,
// bound to the transaction once and reused for its whole life.
type txQuerier struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // prepared on the writer
	bound map[string]*sql.Stmt // stmts bound to tx
}

func (q *txQuerier) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := q.bound[query]; st != nil {
		return st
	}
	p := q.stmts[query]
	if p == nil {
		return nil
	}
	st := q.tx.StmtContext(ctx, p)
	q.bound[query] = st
	return st
}

func (q *txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q *txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

func (q *txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

// readQueries, poolQueries, writeQueries and rawQueries list the queries
// prepared at Open. They are filled by the package's var declarations (see
// rq, pq, wq and rawq) and never change afterwards.
var readQueries, poolQueries, writeQueries, rawQueries []string

// rq registers a read query.
func rq(q string) string { readQueries = append(readQueries, q); return q }

// pq registers a read query of the Store only, prepared on the read pool
// (a Tx runs its own version on the driver connection).
func pq(q string) string { poolQueries = append(poolQueries, q); return q }

// wq registers a write query.
func wq(q string) string { writeQueries = append(writeQueries, q); return q }

// rawq registers a bulk statement, run on the writer's driver connection
// (see tx.insertRows and tx.queryIn).
func rawq(q string) string { rawQueries = append(rawQueries, q); return q }

// Timestamps are stored as unix microseconds.
func micro(t time.Time) int64 { return t.UnixMicro() }

func fromMicro(us int64) time.Time { return time.UnixMicro(us).UTC() }

// bound turns asOf into an inclusive upper bound; zero means none.
func bound(asOf time.Time) int64 {
	if asOf.IsZero() {
		return 1<<63 - 1
	}
	return micro(asOf)
}

// sqlLimit turns a limit into SQLite's LIMIT; <= 0 means none.
func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return -1
	}
	return int64(limit)
}
