// Package feature computes per-customer features as of an instant — RFM,
// sliding windows over orders and events, discount behaviour, preferences,
// RFM segments, value–loyalty classes, lifecycle stages and price
// sensitivity — held as columns indexed by dense customer numbers (Table),
// persisted (Save, Load) and kept current incrementally (Apply, Advance).
//
// Compute reads the store once through store.Analytics: the customer ids,
// one scan of the order lines, one of the events, and a few attributes. The
// scan feeds an aggregation kernel (kernel.go) that resolves each order's
// customer once and folds its lines into one fixed-size accumulator per
// customer in a dense array, with no map on the per-row path. The models of
// package rfm then turn the accumulators into scores and classes.
//
// What a table keeps for incremental updates: the accumulators, the sale
// orders of the last 365 days, the views and cart adds of the last 30 days,
// the (customer, category) pairs of the last 180 days and the fitted models.
// Advance recounts the windows from those and refits the models without a
// store scan; Apply folds new orders and events in and re-derives only the
// customers they touch. Merges of customers, attribute changes and data
// older than the kept windows need a new Compute.
//
// Approximations, by design: the top category, brand, channel and payment
// keep four candidates per customer (Space-Saving; exact while a customer has
// at most four distinct values); preferences weigh spend and views by
// 2^(−age/half-life); discount sums are float32 (they only make a ratio).
//
// It imports store (interfaces only) and model/rfm; no backend, no net/http,
// no CLI code.
package feature
