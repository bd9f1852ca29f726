// Package clv holds the probabilistic customer-base models for customer
// lifetime value as pure functions over slices: the BG/NBD model of repeat
// purchases (Fader, Hardie & Lee 2005, "Counting your customers the easy
// way") fitted by maximum likelihood, P(alive), expected purchases in a
// future period, the Gamma-Gamma model of spend per transaction (Fader,
// Hardie & Lee 2005, "RFM and CLV") and a discounted CLV over a horizon.
//
// A customer is described by x (repeat transactions: distinct purchase days
// minus one), t_x (time from the first to the last purchase) and T (time
// from the first purchase to the end of the calibration period), in the
// model's time unit (day or week), counted in whole calendar days as in the
// paper. Summarize builds that summary from dated transactions, merging
// same-day transactions.
//
// Fits fail with a clear error (ErrTooFew, *ConvergenceError), never with a
// NaN result. The package does no I/O and imports nothing of the project
// (gonum only); package insight and the CLI feed it from the store.
package clv
