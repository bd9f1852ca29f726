// Package webhook sends SMS and app-push messages through any provider
// that accepts an HTTP POST: a JSON body signed with HMAC-SHA256
// (header X-Sagitta-Signature: t=UNIX,v1=HEX over "UNIX.BODY"), the
// delivery key as Idempotency-Key, retries with exponential backoff on
// timeouts, 408, 429 and 5xx. What still fails goes back to the
// dispatcher, which retries later with the same key: a receiver that
// honours the key never sees a message twice and none is dropped.
//
// It implements campaign.Sender; it must not import a store.
package webhook
