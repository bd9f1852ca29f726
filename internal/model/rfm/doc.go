// Package rfm holds the customer-value models of the source documents as
// pure functions over slices: RFM (recency, frequency, monetary) with
// quantile scores and named segments, the value × loyalty classes A/B/C,
// lifecycle stages and a price-sensitivity score.
//
// It does no I/O and imports nothing of the project: callers (package
// feature) aggregate orders and events and hand the per-customer values in.
// Fit functions learn cut points from a population once; the returned models
// then score single customers, so that an incremental update scores the
// customers it touched exactly as a full recompute would have.
package rfm
