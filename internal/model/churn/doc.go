// Package churn holds the churn-risk classifiers as pure functions over
// columns: an L2-regularized logistic regression (standardized numbers,
// one-hot categories) and a histogram gradient-boosted tree ensemble
// written here (binned features, second-order boosting, leaf-wise growth
// with depth and leaf limits, shrinkage, minimum child weight, L2), both
// calibrated with Platt scaling on out-of-fold scores, and the metrics that
// judge them: AUC, PR-AUC (average precision), calibration curve and
// top-decile lift; stratified k-fold cross-validation.
//
// Columns come in as numbers (NaN: unknown) or text ("": unknown); a
// category unseen in training scores as unknown. The package does no I/O
// and imports nothing of the project (gonum only); package predict and the
// CLI read CSV files and the feature store into columns.
package churn
