package predict

// Prediction columns added to the feature table.
const (
	ColChurn       = "churn_probability"
	ColPAlive      = "p_alive"
	ColCLV         = "clv"
	ColExpected30  = "expected_purchases_30d"
	ColPropensity  = "propensity_30d"
	ColNextOrder   = "expected_next_order_days"
	ColExpectSpend = "expected_order_value"
)

// PredictionColumn reports whether a feature column is a model output (and
// so never a model input).
func PredictionColumn(name string) bool {
	switch name {
	case ColChurn, ColPAlive, ColCLV, ColExpected30, ColPropensity, ColNextOrder, ColExpectSpend:
		return true
	}
	return false
}
