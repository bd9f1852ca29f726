// Package call is the outbound-call channel: campaigns with the call
// channel create call tasks (customer, offer, rendered script); agents
// list them, take one (Assign) and capture the result — intent, not
// interested or call back (with a time) — which goes into the shared
// contact history like every other channel's responses.
//
// It works on store.MarketingTx through the Store interface declared here
// and must not import net/http or a concrete store.
package call
