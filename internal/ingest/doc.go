// Package ingest brings records into the store: it reads files (CSV, TSV,
// whitespace-separated, JSON Lines, gzip transparently), maps their columns to
// fields by header, alias, --map or preset, converts and checks every row, and
// writes batches through identity resolution in one transaction each. Rows that
// cannot be imported go to a reject file with their line and reason; re-imports
// are idempotent (order lines are keyed by order and position, events by id or
// content).
//
// The same record types and Loader serve the HTTP API's batch ingest.
//
// It works on store.Store and imports no backend, no net/http and no CLI code.
package ingest
