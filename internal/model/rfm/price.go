package rfm

import "math"

// PriceInput is what price sensitivity reads of one customer; each
// component is NaN when unknown.
type PriceInput struct {
	// DiscountShare is the share of the customer's sale lines bought at a
	// discount (0..1).
	DiscountShare float64
	// CouponShare is the share of the customer's sale orders with a coupon.
	CouponShare float64
	// DiscountDepth is the average depth of the discounts taken: total
	// discount / total pre-discount amount of the discounted lines (0..1).
	DiscountDepth float64
	// PromoResponse is the share of the customer's recent orders placed on
	// the shop's promotion days (see PromoDays), 0..1.
	PromoResponse float64
}

// PriceOptions weigh the components. Zero values take the defaults.
type PriceOptions struct {
	// Weights of DiscountShare, CouponShare, DiscountDepth, PromoResponse;
	// default {0.35, 0.25, 0.2, 0.2}.
	Weights [4]float64
	// DepthCap is the discount depth that counts as fully sensitive
	// (default 0.5: half price).
	DepthCap float64
}

// PriceSensitivity is a 0..1 score: the weighted mean of the discount share,
// the coupon share, the discount depth relative to DepthCap (capped at 1) and
// the promotion response. Unknown (NaN) components are left out and the
// weights renormalized; with every component unknown the result is NaN.
// 0 means the customer always pays full price; 1 that they buy only on deep
// discounts, with coupons, on promotion days.
func PriceSensitivity(in PriceInput, opts PriceOptions) float64 {
	if opts.Weights == [4]float64{} {
		opts.Weights = [4]float64{0.35, 0.25, 0.2, 0.2}
	}
	if opts.DepthCap <= 0 {
		opts.DepthCap = 0.5
	}
	depth := in.DiscountDepth
	if !math.IsNaN(depth) {
		depth = min(max(depth/opts.DepthCap, 0), 1)
	}
	xs := [4]float64{in.DiscountShare, in.CouponShare, depth, in.PromoResponse}
	var sum, w float64
	for i, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		sum += opts.Weights[i] * min(max(x, 0), 1)
		w += opts.Weights[i]
	}
	if w == 0 {
		return math.NaN()
	}
	return sum / w
}

// PromoDays marks the shop's promotion days: days with at least minOrders
// sale orders on which the share of orders with a discount or coupon is at
// least factor (default 2) times the share over all days. orders[d] and
// promoted[d] count the orders and the discounted ones on day index d. It
// returns nil when nothing was ever discounted.
func PromoDays(orders, promoted []int64, minOrders int64, factor float64) []bool {
	if factor <= 0 {
		factor = 2
	}
	if minOrders <= 0 {
		minOrders = 10
	}
	var all, prom int64
	for d := range orders {
		all += orders[d]
		prom += promoted[d]
	}
	if prom == 0 || all == 0 {
		return nil
	}
	base := float64(prom) / float64(all)
	days := make([]bool, len(orders))
	for d := range orders {
		if orders[d] >= minOrders && float64(promoted[d]) >= factor*base*float64(orders[d]) {
			days[d] = true
		}
	}
	return days
}
