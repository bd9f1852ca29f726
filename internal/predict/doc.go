// Package predict runs the predictive models of package model/clv (and
// model/churn) over the shop's own data: it reads the orders through
// store.Analytics, builds the per-customer summaries as of a date (sale
// orders only, same-day orders merged, later orders ignored and counted),
// fits, evaluates on a holdout, persists the fitted models as JSON files
// under DATA_DIR/models/ and scores customers into feature columns.
//
// It imports store (interfaces only), feature and the model packages; no
// backend, no net/http, no CLI code.
package predict
