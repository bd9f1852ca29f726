// Package measure is the closed loop of a campaign: who is held out
// (randomized, deterministic holdouts, per campaign and global, stratified by
// class), which orders a campaign earns (attribution within a window, with
// rules for overlapping campaigns), what it achieved against its holdout
// (conversion, revenue, incremental profit, uplift with a confidence interval
// and a p-value, an explicit "inconclusive" when the arms are too small), whom
// to give an offer to within a budget, and which of several competing
// campaigns gets a customer under a contact cap.
//
// Everything here is a pure function or a value type over slices: no I/O, no
// clock, no store. The campaign engine (package campaign) feeds it the
// audience, the contact history and the orders, and stores what it decides.
//
// It must not import net/http, a concrete store, or any other package of the
// project except model packages.
package measure
