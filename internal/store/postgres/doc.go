// Package postgres is the production storage backend: store.Store on
// PostgreSQL through pgx (pgxpool), for deployments that outgrow the embedded
// SQLite default or run several sagitta processes on one database.
//
// Open applies the embedded schema (schema.sql, then schema_v2.sql) under
// an advisory lock and records the version in schema_version. Options.Schema
// keeps every table in a dedicated PostgreSQL schema. Reads use the pool;
// Update runs one writer at a time (a semaphore in the process, an advisory
// transaction lock across processes). Timestamps are timestamptz, so they
// keep microseconds and come back in UTC. The analytics scans stream one
// query in a read-only transaction, planned so that no sort holds back the
// first row, and decode the binary rows without allocating.
//
// Tests run the store/storetest conformance suite against a real server:
// SAGITTA_TEST_POSTGRES names it (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); they skip when
// it is unreachable unless SAGITTA_REQUIRE_POSTGRES=1.
//
// This package imports only store and pgx: no domain package, no other
// backend, nothing from net/http, api or app.
package postgres
