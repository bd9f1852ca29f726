// Package store declares the storage interfaces, the records they hold and
// the sentinel errors of every backend. Backends live in store/sqlite (the
// embedded default) and store/postgres; store/storetest is the conformance
// suite both must pass.
//
// This package imports no backend and no domain package.
package store
