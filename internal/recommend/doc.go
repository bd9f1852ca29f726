// Package recommend recommends items to customers and completes carts.
//
// # Models
//
// Over implicit feedback (a user × item matrix of interaction counts):
// popularity (global and per category), item-item collaborative filtering
// (shrunk cosine or RP³β random-walk similarity, top neighbours per item),
// implicit-feedback matrix factorization (ALS of Hu, Koren and Volinsky with
// a few conjugate-gradient steps per solve, trained on two goroutines) and a
// blend of the three. Association rules come from package rules (FP-growth)
// for "frequently bought together" and cart completion. DefaultConfig's
// hyperparameters were chosen on a validation split carved out of
// MovieLens-100K's training part, never on test items.
//
// # Evaluation
//
// LeaveOneOut, Split.SampleNegatives and TimeSplit build the three
// protocols of `sagitta recommend eval` (random leave-one-out per user with
// full ranking over every item the user has not interacted with; the same
// ranked against 100 sampled negatives; a time cut), and Evaluate computes
// NDCG, HR, recall, precision and MAP at k and catalogue coverage.
//
// TrainEvaluated (`sagitta recommend train`) first evaluates the
// configuration on a holdout of the same data (Holdout: a time split 30
// days before the last interaction, or leave-one-out when the history is
// too short; at most 5,000 users tested; a separate model on the training
// part beside popularity at k = 10), then trains the served model on
// everything and keeps the Evaluation with it.
//
// # Files
//
// A Model (dictionaries, what every user interacted with, the fitted models,
// item categories and prices, cart rules, the evaluation) is written as the
// line "sagitta-recommend-model 2", one JSON line (Header: kind, size,
// parameters, evaluation; ReadHeader reads only that), then gob. Format 1
// (the magic line and gob, no evaluation) is still read; Read refuses
// anything else.
// Model.TopNAll is the outside-evaluation contract (`sagitta recommend
// topn`): user, item, rank for every user of the training data.
//
// # Serving and use from other packages
//
// Service holds the current model in an atomic.Pointer: Swap replaces it
// while requests in flight finish on the old one. Campaign templates and
// next-best-offer logic use it through the Recommender interface:
//
//	recs, err := svc.TopN(ctx, recommend.CustomerName(customerID), 3, recommend.Filters{
//		ExcludeCategories: []string{"gift-cards"}, MaxPerCategory: 1,
//	})
//	more, err := svc.CartCompletion(ctx, []string{"85123A"}, 5, recommend.Filters{})
//
// TopN scores candidates (item-kNN neighbours of the customer's history and
// the 200 most popular items) with the model, then applies Filters:
// already-bought items are left out unless their category is listed as a
// repurchasable consumable, inactive (out-of-stock) items are left out
// (looked up through ItemLookup, cached for a minute), category include and
// exclude lists, a price range, at most k items per category, and score
// boosts per item (campaigns) or category. It never fails for an unknown
// customer or item: a customer the model has not seen gets items similar to
// what HistoryLookup knows of them, then popular items of their
// first-touched category, then the items most popular in their segment (a
// customer attribute such as country, SegmentLookup), then popular items;
// new items in a cart get the popular items of their category. ErrNoModel
// is the only "no answer".
//
// Not yet: margin boosts (the catalogue has no cost); new items outside a
// cart are only reached through their category.
//
// The package does pure computation over slices plus reading files; it
// must not import net/http or a concrete store (store interfaces only).
package recommend
