// Package insight puts customer intelligence together: the feature table
// (persisted in the data directory), the tag, segment and admission-list
// engines over it, and their refresh. The CLI and the API use it; it holds
// no rules of its own.
//
// It imports domain packages and store interfaces, never a concrete store or
// net/http.
package insight
