// Package sim simulates randomized campaigns on customers whose response to
// an offer is known: each customer has a hidden type — persuadable (buys
// only if contacted), sure thing (buys anyway), lost cause (never buys) or
// do-not-disturb (buys only if left alone) — drawn from probabilities that
// depend on the customer's features. So the true uplift of every customer,
// P(buy | contacted, features) − P(buy | not contacted, features), is known,
// and targeting by a model can be compared with targeting by the truth.
//
// Several offers (campaigns) can be simulated on the same customers; each
// weighs the features differently, so the customers one offer persuades
// are not those another persuades.
//
// It is deterministic for a seed and imports nothing of the project.
package sim
