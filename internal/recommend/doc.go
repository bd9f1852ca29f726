// Package recommend holds the recommendation models and their evaluation.
package recommend
