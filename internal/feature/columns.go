package feature

// Column names. Window features count calendar days ending on the as-of day
// (orders_30d: the as-of day and the 29 before it).
const (
	ColRecency          = "recency_days"
	ColFrequency        = "frequency"
	ColMonetary         = "monetary"
	ColReturns          = "returns_amount"
	ColOrders30         = "orders_30d"
	ColOrders90         = "orders_90d"
	ColOrders365        = "orders_365d"
	ColSpend30          = "spend_30d"
	ColSpend90          = "spend_90d"
	ColSpend365         = "spend_365d"
	ColDaysSinceLast    = "days_since_last_order"
	ColDaysSinceFirst   = "days_since_first_order"
	ColTenure           = "tenure_days"
	ColDaysSinceActive  = "days_since_last_activity"
	ColAOV              = "avg_order_value"
	ColCategories180    = "distinct_categories_180d"
	ColViews7           = "views_7d"
	ColViews30          = "views_30d"
	ColCartAdds30       = "cart_adds_30d"
	ColCartAbandons30   = "cart_abandons_30d"
	ColDiscountShare    = "discount_share"
	ColCouponShare      = "coupon_share"
	ColDiscountDepth    = "avg_discount_depth"
	ColPromoResponse    = "promo_response"
	ColReturnRate       = "return_rate"
	ColRepeat           = "repeat"
	ColRepeatRate       = "repeat_rate"
	ColR                = "rfm_r"
	ColF                = "rfm_f"
	ColM                = "rfm_m"
	ColRFMScore         = "rfm_score"
	ColLoyaltyScore     = "loyalty_score"
	ColPriceSensitivity = "price_sensitivity"
	ColPreferredHour    = "preferred_hour"

	ColSegment          = "rfm_segment"
	ColClass            = "value_loyalty_class"
	ColValueLevel       = "value_level"
	ColLoyaltyLevel     = "loyalty_level"
	ColCell             = "value_loyalty_cell"
	ColStage            = "lifecycle_stage"
	ColTopCategory      = "top_category"
	ColTopBrand         = "top_brand"
	ColPreferredChannel = "preferred_channel"
	ColPreferredPayment = "preferred_payment"
)

// schema lists the computed columns, in order. NaN ("unknown") is the value
// of a number that does not apply (recency of a customer who never bought).
var schema = []Column{
	{Name: ColRecency, Type: Number, Description: "Calendar days from the day of the last sale (non-cancelled) order to the as-of day; unknown without a sale."},
	{Name: ColFrequency, Type: Number, Description: "Distinct sale (non-cancelled) orders."},
	{Name: ColMonetary, Type: Number, Description: "Sum of quantity × unit price over every line of the sale orders (identical repeated lines included); cancellations and returns are not netted in."},
	{Name: ColReturns, Type: Number, Description: "Value of the cancellations and returns, positive."},
	{Name: ColOrders30, Type: Number, Description: "Sale orders in the last 30 days (the as-of day included)."},
	{Name: ColOrders90, Type: Number, Description: "Sale orders in the last 90 days."},
	{Name: ColOrders365, Type: Number, Description: "Sale orders in the last 365 days."},
	{Name: ColSpend30, Type: Number, Description: "Amount of the sale orders of the last 30 days."},
	{Name: ColSpend90, Type: Number, Description: "Amount of the sale orders of the last 90 days."},
	{Name: ColSpend365, Type: Number, Description: "Amount of the sale orders of the last 365 days."},
	{Name: ColDaysSinceLast, Type: Number, Description: "Same as recency_days: calendar days since the last sale order."},
	{Name: ColDaysSinceFirst, Type: Number, Description: "Calendar days since the first sale order (tenure); unknown without a sale."},
	{Name: ColTenure, Type: Number, Description: "Same as days_since_first_order."},
	{Name: ColDaysSinceActive, Type: Number, Description: "Calendar days since the last order of any kind or event; unknown without either."},
	{Name: ColAOV, Type: Number, Description: "Average order value: monetary / frequency; unknown without a sale."},
	{Name: ColCategories180, Type: Number, Description: "Distinct item categories bought in the last 180 days."},
	{Name: ColViews7, Type: Number, Description: "View events in the last 7 days."},
	{Name: ColViews30, Type: Number, Description: "View events in the last 30 days."},
	{Name: ColCartAdds30, Type: Number, Description: "Cart-add events in the last 30 days."},
	{Name: ColCartAbandons30, Type: Number, Description: "Cart adds of the last 30 days not followed by a sale order of the customer within 24 hours (counted once the 24 hours have passed)."},
	{Name: ColDiscountShare, Type: Number, Description: "Share of the sale lines bought with a discount, 0..1; unknown when the shop records no discounts."},
	{Name: ColCouponShare, Type: Number, Description: "Share of the sale orders with a coupon, 0..1; unknown when the shop records no coupons."},
	{Name: ColDiscountDepth, Type: Number, Description: "Average depth of the discounts taken: total discount / pre-discount amount of the discounted lines (0 when none taken); unknown when the shop records no discounts."},
	{Name: ColPromoResponse, Type: Number, Description: "Share of the sale orders of the last 365 days placed on the shop's promotion days (days with at least twice the usual share of discounted or coupon orders); unknown when there were none."},
	{Name: ColReturnRate, Type: Number, Description: "returns_amount / monetary; unknown without a sale."},
	{Name: ColRepeat, Type: Number, Description: "1 when the customer has two or more sale orders, else 0."},
	{Name: ColRepeatRate, Type: Number, Description: "Repeat orders (frequency − 1) per 30 days of tenure (tenure counted as at least 30 days)."},
	{Name: ColR, Type: Number, Description: "RFM recency score, 1..5 by quintile among buyers, recent = 5 (ties share a score); unknown without a sale."},
	{Name: ColF, Type: Number, Description: "RFM frequency score, 1..5 by quintile among buyers, frequent = 5."},
	{Name: ColM, Type: Number, Description: "RFM monetary score, 1..5 by quintile among buyers, high spend = 5."},
	{Name: ColRFMScore, Type: Number, Description: "The three RFM scores as one number: 100·R + 10·F + M (e.g. 545)."},
	{Name: ColLoyaltyScore, Type: Number, Description: "Loyalty score 0..1: weighted mid-rank among buyers of frequency, tenure, repeat rate and recency."},
	{Name: ColPriceSensitivity, Type: Number, Description: "Price sensitivity 0..1 from discount share, coupon share, discount depth and promotion response (see package rfm); unknown when the shop records neither discounts nor coupons."},
	{Name: ColPreferredHour, Type: Number, Description: "Hour of day (0..23, shop time zone) of most orders, recency-weighted."},
	{Name: ColSegment, Type: Text, Description: "Named RFM segment: champions, loyal, potential_loyalist, new, promising, need_attention, about_to_sleep, at_risk, cannot_lose, hibernating, lost; \"\" without a sale."},
	{Name: ColClass, Type: Text, Description: "Value–loyalty class A (high value, high loyalty), B (high value, medium loyalty), C (low value, low loyalty); \"\" without a sale."},
	{Name: ColValueLevel, Type: Text, Description: "Value level from monetary: low, medium or high; \"\" without a sale."},
	{Name: ColLoyaltyLevel, Type: Text, Description: "Loyalty level from the loyalty score: low, medium or high; \"\" without a sale."},
	{Name: ColCell, Type: Text, Description: "Cell of the 3×3 value × loyalty grid, \"VALUE/LOYALTY\", e.g. \"high/medium\"; \"\" without a sale."},
	{Name: ColStage, Type: Text, Description: "Lifecycle stage: prospect, new, active, won_back, silent, churned (thresholds from the shop's inter-purchase times)."},
	{Name: ColTopCategory, Type: Text, Description: "Category with the most recency-weighted spend and views (half-life 90 days by default)."},
	{Name: ColTopBrand, Type: Text, Description: "Brand with the most recency-weighted spend and views."},
	{Name: ColPreferredChannel, Type: Text, Description: "Sales channel of most orders, recency-weighted."},
	{Name: ColPreferredPayment, Type: Text, Description: "Payment method of most orders, recency-weighted."},
}

// aliases are columns sharing another column's values.
var aliases = map[string]string{ColDaysSinceLast: ColRecency, ColTenure: ColDaysSinceFirst}
