// Package sqlite is the embedded storage backend, the default: one file,
// <dir>/sagitta.db, through the pure-Go driver modernc.org/sqlite, so the
// binary stays static (CGO_ENABLED=0).
//
// One writer connection, held for the life of the Store, runs the write
// transactions (Update, API keys, LinkOrders) one at a time; a pool of
// read-only connections serves the Store's reads, also while a write runs
// (WAL mode, synchronous=NORMAL). Every query is prepared once at Open; a
// transaction reuses the statements. Order lines and events, which come by
// the thousand, go in with multi-row INSERTs run on the driver connection
// directly, skipping database/sql's per-argument work.
//
// The analytics scans (ScanLines, ScanEvents) run on a driver connection
// of the read pool, in one read transaction, and decode the driver's
// values without database/sql; ScanLines reads on goroutines of its own,
// up to one per CPU, each on its own connection and snapshot, while the
// caller's goroutine runs the callback.
//
// Timestamps are INTEGER unix microseconds (UTC). The schema is schema.sql,
// then schema_v2.sql; PRAGMA user_version records which migrations ran (see
// migrations).
// Stats reads a row of counters that each transaction updates as it commits,
// so it does not count millions of rows.
//
// This package implements internal/store and imports nothing else of the
// project: no domain package, no other backend. Only the wiring in
// internal/app (and tests) should import it.
package sqlite
