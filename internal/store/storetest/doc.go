// Package storetest is the conformance suite every store backend must pass.
// A backend's own test calls Run with a function that opens a fresh, empty
// store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openEmpty(t) })
//	}
//
// The suite states the contract of store.Store, store.Tx and store.Reader
// where their comments leave room (ordering, tie-breaking, errors); a
// backend that passes it can replace another without the domain noticing.
// It uses only the store interfaces, so it holds for SQLite and PostgreSQL
// alike.
//
// This package imports the standard library and internal/store only: no
// backend, no domain package.
// Production code must not import it.
package storetest
