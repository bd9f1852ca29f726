// Package definition keeps named, versioned JSON definitions of one kind
// (offers, campaigns) in memory over the store's definitions: every save
// is a new version; the latest of each name is served.
//
// It must not import net/http or a concrete store.
package definition
