// Package offer holds offers (定向政策): coupons by amount or percent,
// spend-threshold discounts (满减), free shipping, gifts and content-only
// messages, with codes, validity, a budget and per-customer limits, and
// their eligibility — a rule in the rule language of package rule (or a
// saved segment) gated by the admission lists: black never, grey flagged
// for review, white pre-approved. Why explains, for one customer, every
// check and the exact reason against.
//
// It also holds the differentiated policy table (Policy), which maps
// value–loyalty class, price sensitivity, lifecycle stage and churn risk
// to offer types and discount depth.
//
// Offers are definitions in the store (kind "offer"); what has been issued
// is read from store.MarketingReader. The package must not import net/http
// or a concrete store.
package offer
