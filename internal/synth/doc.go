// Package synth generates a synthetic shop of any size for tests, benchmarks
// and the demo: a catalogue, customers as three source systems know them
// (crm, shop, pos), their orders (with coupons, cancellations, returns and
// anonymous store receipts) and their web events, written as the CSV, TSV
// and JSON Lines files the importer reads, plus manifest.json and truth.csv.
//
// Behind the files stand people with hidden parameters that truth.csv
// reveals, so identity unification and the models can be checked against
// known answers:
//
//   - identity: a person appears in one to three sources, each with its own
//     customer id. crm and shop records share the e-mail (the shop's written
//     with random case and white space), crm and pos records the phone
//     (formats differ, the digits after stripping non-digits and a leading 00
//     do not). A small share of values is invalid (e-mail without '@', phone
//     too short, birth date in the future), only where no link depends on it.
//   - purchases follow a BG/NBD process: rate λ per day ~ Gamma(0.8, 80)
//     modulated by weekly and yearly seasonality (November and December
//     peak, sales periods), dropout with probability p ~ Beta(0.8, 3.2) after
//     each repeat purchase; part of the base was acquired in the year before
//     the window. Order values are Gamma around a per-person mean
//     (Gamma-Gamma); price sensitivity drives coupon use, discount depth and
//     buying in sales; category tastes, channel and payment preferences are
//     per person; consumables are bought again.
//   - behaviour: browsing and carts before each web purchase, abandoned
//     carts, favourites, reviews, service tickets, and anonymous traffic
//     that fills the event budget (Options.EventsPerCustomer).
//
// truth.csv columns: person, crm_id, shop_id, pos_id, lambda (base purchases
// per day), p_dropout, spend_mean (mean order value before discount, EUR),
// price_sensitivity (0..1), alive_at_end (not dropped out by End), acquired
// (first purchase, possibly before Start; empty for people who never buy),
// dropped (the purchase after which the person left; empty when alive).
//
// Files are grouped by person, not sorted by time. In orders, net line
// amount = quantity × unit_price − discount; cancellations and returns are
// orders of their own with negative quantity and discount and ref_order set.
// Event value is the cart amount for cart_add and cart_remove and the rating
// (1-5) for review, empty otherwise.
//
// Output is a pure function of Options: people are generated in fixed-size
// chunks, each from its own seeded PCG stream, on all cores, and written in
// order; memory does not grow with the number of people.
//
// This package writes files only. It must not import store, any database
// package or any domain package.
package synth
