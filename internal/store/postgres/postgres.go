package postgres

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sagitta-dev/sagitta/internal/store"
)

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

// migration is one step of the schema; versions start at 1 and increase by one.
type migration struct {
	version int
	sql     string
}

// migrations lists every schema step in order. Add new steps at the end;
// never edit a released one.
var migrations = []migration{
	{version: 1, sql: schemaV1},
	{version: 2, sql: schemaV2},
	{version: 3, sql: schemaV3},
	{version: 4, sql: schemaV4},
	{version: 5, sql: schemaV5},
	{version: 6, sql: schemaV6},
}

// SchemaVersion is the schema version this program brings a database to.
var SchemaVersion = len(migrations)

// Options configures Open.
type Options struct {
	// Schema, when set, puts every table in this PostgreSQL schema (created
	// when missing) by setting search_path on each connection. Tests use a
	// fresh schema each; production usually leaves it empty.
	Schema string
	// MaxConns bounds the pool; 0 keeps pgxpool's default (or the DSN's
	// pool_max_conns).
	MaxConns int32
}

// Store is the PostgreSQL backend of store.Store. Reads go to the pool;
// writes run one Update at a time, serialized in this process by a
// semaphore and across processes by a transaction-scoped advisory lock.
type Store struct {
	reader
	pool    *pgxpool.Pool
	writer  chan struct{} // one token: held by the running Update
	lockKey int64         // advisory lock key of writers on this schema
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at dsn, applies the schema migrations that
// are missing and returns the store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", err)
	}
	if opts.Schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	schema, err := migrate(ctx, pool, opts.Schema)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{
		reader:  reader{q: pool},
		pool:    pool,
		writer:  make(chan struct{}, 1),
		lockKey: lockKey("sagitta/writer/" + schema),
	}
	return s, nil
}

// lockKey derives an advisory lock key from a name, so that stores in
// different schemas of one database do not block each other.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// migrate brings the schema up to date in one transaction and returns the
// name of the schema the tables live in.
func migrate(ctx context.Context, pool *pgxpool.Pool, schema string) (string, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("migrate schema: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))

	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("sagitta/migrate/"+schema)); err != nil {
		return "", fmt.Errorf("migrate schema: lock: %w", err)
	}
	if schema != "" {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return "", fmt.Errorf("create schema %q: %w", schema, err)
		}
	}
	var current string
	if err := tx.QueryRow(ctx, "SELECT coalesce(current_schema(), '')").Scan(&current); err != nil {
		return "", fmt.Errorf("migrate schema: current schema: %w", err)
	}
	if current == "" {
		return "", errors.New("migrate schema: no schema on search_path: set Options.Schema or the DSN's search_path")
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return "", fmt.Errorf("migrate schema: create schema_version: %w", err)
	}
	var version int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&version); err != nil {
		return "", fmt.Errorf("migrate schema: read version: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if version > latest {
		return "", fmt.Errorf("migrate schema %q: database is at version %d, this binary knows up to %d: upgrade sagitta", current, version, latest)
	}
	for _, m := range migrations {
		if m.version <= version {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return "", fmt.Errorf("migrate schema to version %d: %w", m.version, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_version (version) VALUES ($1)", m.version); err != nil {
			return "", fmt.Errorf("migrate schema to version %d: record version: %w", m.version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("migrate schema: commit: %w", err)
	}
	return current, nil
}

// Close closes the pool. It is safe to call more than once.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Update runs fn in one transaction; see store.Store.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.write(ctx, func(t pgx.Tx) error {
		return fn(&tx{reader: reader{q: t}, tx: t})
	})
}

// write runs fn in a transaction while holding the writer lock: the
// semaphore within this process, then the advisory lock across processes.
func (s *Store) write(ctx context.Context, fn func(pgx.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("wait for writer: %w", err)
	}
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for writer: %w", ctx.Err())
	}
	defer func() { <-s.writer }()

	t, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rollback after Commit is a no-op; it also runs when fn panics.
	defer t.Rollback(context.WithoutCancel(ctx))

	if _, err := t.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.lockKey); err != nil {
		return fmt.Errorf("acquire writer lock: %w", err)
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

// CreateAPIKey stores k; ErrConflict when its id or hash is taken.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (id, hash, role, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
		k.ID, k.Hash, k.Role, k.Name, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("create api key %q: %w", k.ID, mapErr(err))
	}
	return nil
}

// DeleteAPIKey removes the key; ErrNotFound when absent.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete api key %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete api key %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// linkByRef links cancellations and returns that name the order they undo.
const linkByRef = `
UPDATE orders c SET ref_order_id = o.id
FROM orders o
WHERE c.kind <> 'sale' AND c.ref_order_id = 0 AND c.ref_ext_id <> ''
  AND o.source = c.source AND o.ext_id = c.ref_ext_id AND o.id <> c.id`

// linkByItem links the others to the customer's latest sale placed at or
// before them that has a line with one of their items (highest id on a tie).
const linkByItem = `
UPDATE orders c SET ref_order_id = m.sale_id
FROM (
    SELECT c.id AS cancel_id, (
        SELECT s.id FROM orders s
        WHERE s.customer_id = c.customer_id AND s.kind = 'sale' AND s.placed_at <= c.placed_at
          AND EXISTS (
              SELECT 1 FROM order_lines sl JOIN order_lines cl ON cl.item_id = sl.item_id
              WHERE sl.order_id = s.id AND cl.order_id = c.id)
        ORDER BY s.placed_at DESC, s.id DESC
        LIMIT 1) AS sale_id
    FROM orders c
    WHERE c.kind <> 'sale' AND c.ref_order_id = 0 AND c.ref_ext_id = '' AND c.customer_id <> 0
) m
WHERE c.id = m.cancel_id AND m.sale_id IS NOT NULL`

// LinkOrders links cancellations and returns to the orders they undo; see
// store.Store. A RefExtID that names no stored order stays unlinked (the
// order may arrive later) rather than being guessed from the items.
func (s *Store) LinkOrders(ctx context.Context) (int, error) {
	var linked int
	err := s.write(ctx, func(t pgx.Tx) error {
		for _, q := range []string{linkByRef, linkByItem} {
			tag, err := t.Exec(ctx, q)
			if err != nil {
				return err
			}
			linked += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("link orders: %w", err)
	}
	return linked, nil
}

// PostgreSQL error codes mapped to store sentinels.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// mapErr turns pgx and PostgreSQL errors into store sentinels where one
// applies, keeping the original error in the chain.
func mapErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case codeForeignKeyViolation:
			return fmt.Errorf("%w: %w", store.ErrNotFound, err)
		}
	}
	return err
}

// utc returns t in UTC; PostgreSQL timestamps come back in local time.
func utc(t time.Time) time.Time { return t.UTC() }
