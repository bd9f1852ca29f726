// Package identity unifies records from several sources into one customer
// (一户一条): it normalizes identifiers (external ids per source, e-mail,
// phone), links a record to the customers that share one of them, merges
// those customers deterministically (the oldest id survives) and decides each
// attribute's value by a field-level merge policy, keeping provenance.
//
// It works on a store.Tx and imports no backend, no HTTP and no CLI code.
package identity
