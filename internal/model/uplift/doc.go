// Package uplift learns, from the results of a randomized campaign
// (treatment / control, outcome, features), whom an offer actually changes:
// the conditional average treatment effect P(y=1 | treated, x) −
// P(y=1 | control, x) of each customer.
//
// Three approaches, compared on held-out data by the Qini coefficient and
// the area under the uplift curve (AUUC):
//
//   - two-model (T-learner): one L2-regularized logistic regression on the
//     treated, one on the controls; uplift = p̂₁(x) − p̂₀(x);
//   - class transformation (Jaskowski & Jaroszewicz 2012): z = 1 when
//     (treated, converted) or (control, not converted); with the arms
//     weighted to equal size, uplift = 2·P̂(z=1 | x) − 1;
//   - uplift random forest: trees grown on the split criterion of
//     Rzepakowski & Jaroszewicz (squared Euclidean divergence between the
//     treated and control outcome distributions) or the ΔΔP criterion of
//     Hansotia & Rukstales, on quantile bins of the features.
//
// Train with Kind "auto" picks the approach with the best cross-validated
// Qini coefficient. Features are encoded by an Encoder fitted on the
// training data: numeric columns standardized (blanks imputed with the mean
// plus a missing indicator), other columns one-hot encoded (the most frequent
// levels; blank is a level; unseen levels share "other").
//
// The package reads CSV tables but otherwise does no I/O; it imports nothing
// of the project (it is self-contained on purpose: its logistic regression
// is its own).
package uplift
