// Package admission implements the black, white and grey lists (准入) that
// gate every offer: entries with a reason, a source and an expiry, uploaded
// as CSV, added over the API, or selected by a rule in the rule language of
// package rule. Lists serve rules as bitmaps (in_list("black") in segments)
// and offers through Check, which names the list and the reason.
//
// It reads and writes through the small Store interface declared here
// (store.Analytics implements it) and must not import net/http or a
// concrete store.
package admission
