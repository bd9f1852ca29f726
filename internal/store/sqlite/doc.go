// Package sqlite is the embedded storage backend, the default: one file,
// <dir>/sagitta.db, through the pure-Go driver modernc.org/sqlite, so the
// binary stays static (CGO_ENABLED=0).
//
// One writer connection runs the write transactions (store.Store.Update,
// API keys, LinkOrders), one at a time; a pool of read-only connections
// serves the Store's reads while a write runs (WAL mode). Every query is
// prepared once at Open and reused by every transaction. Order lines and
// events go in with multi-row INSERTs. Timestamps are stored as unix
// microseconds in UTC. The schema lives in schema.sql; PRAGMA user_version
// records which migrations ran.
//
// Stats reads a counters row that each transaction updates as it commits,
// instead of counting rows.
//
// This package implements internal/store and imports nothing else of the
// project: no domain package, no other backend. Only internal/app should
// import it.
package sqlite
