// Package profile assembles the customer 360 view (one unified record per
// customer) from a store.Reader: identities with their provenance, merges,
// the attributes chosen by the merge policy and the values refused as
// invalid, consent per channel, an order summary and the recent orders and
// events as of an instant. It also resolves the references people use for a
// customer (internal id, e-mail, phone, a source's own id) to the live
// customer, following merges. The CLI and the API share it.
//
// It imports store and identity only: no net/http, no concrete store.
package profile
