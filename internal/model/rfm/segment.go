package rfm

// Named RFM segments.
const (
	Champions         = "champions"
	Loyal             = "loyal"
	PotentialLoyalist = "potential_loyalist"
	New               = "new"
	Promising         = "promising"
	NeedAttention     = "need_attention"
	AboutToSleep      = "about_to_sleep"
	AtRisk            = "at_risk"
	CannotLose        = "cannot_lose"
	Hibernating       = "hibernating"
	Lost              = "lost"
)

// Segments lists the segment names, best first.
func Segments() []string {
	return []string{Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention,
		AboutToSleep, AtRisk, CannotLose, Hibernating, Lost}
}

// segmentGrid[R-1][FM-1] is the segment of a customer with recency score R
// and frequency-monetary score FM, both on a 1..5 scale.
var segmentGrid = [5][5]string{
	//        FM=1          FM=2               FM=3               FM=4       FM=5
	/* R=1 */ {Lost, Lost, AtRisk, AtRisk, CannotLose},
	/* R=2 */ {Hibernating, Hibernating, AtRisk, AtRisk, CannotLose},
	/* R=3 */ {AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},
	/* R=4 */ {Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Loyal},
	/* R=5 */ {New, PotentialLoyalist, PotentialLoyalist, Champions, Champions},
}

// Segment names the RFM segment of scores r, f, m in 1..bins (0 for a
// customer without a sale gives ""). Scores are first brought to a 1..5
// scale (s5 = ⌈5s/bins⌉), then FM = ⌈(F+M)/2⌉ and the segment is read from
// the R × FM grid:
//
//	R\FM  1              2                   3                   4          5
//	5     new            potential_loyalist  potential_loyalist  champions  champions
//	4     promising      potential_loyalist  potential_loyalist  loyal      loyal
//	3     about_to_sleep about_to_sleep      need_attention      loyal      loyal
//	2     hibernating    hibernating         at_risk             at_risk    cannot_lose
//	1     lost           lost                at_risk             at_risk    cannot_lose
//
// In words: champions bought recently, often and much; loyal buy often and
// much but a little less recently; potential loyalists are recent with
// middling frequency/spend; new bought very recently but little; promising
// are fairly recent low spenders; need attention sit in the middle; about to
// sleep are middling-recent low spenders; at risk spent well but long ago;
// cannot lose were the best customers and have not come back; hibernating
// and lost are long gone low spenders (lost the longest).
func Segment(r, f, m, bins int) string {
	if r <= 0 || f <= 0 || m <= 0 {
		return ""
	}
	r, f, m = to5(r, bins), to5(f, bins), to5(m, bins)
	fm := (f + m + 1) / 2
	return segmentGrid[r-1][fm-1]
}

func to5(s, bins int) int {
	if bins <= 0 {
		bins = DefaultBins
	}
	s = (5*s + bins - 1) / bins
	return min(max(s, 1), 5)
}
