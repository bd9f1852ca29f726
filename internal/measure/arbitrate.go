package measure

import (
	"cmp"
	"fmt"
	"slices"
)

// Bid is one campaign asking to contact a customer.
type Bid struct {
	Campaign string  `json:"campaign"`
	Uplift   float64 `json:"uplift"` // estimated for this customer
	Value    float64 `json:"value"`  // of a conversion
	Cost     float64 `json:"cost"`   // of the contact and offer
	// Arrival orders the bids as they came (first come, first served is
	// what arbitration replaces; kept to explain the difference).
	Arrival int `json:"arrival"`
	// Ineligible, when not empty, is why the campaign may not contact the
	// customer at all (consent, admission list, per-customer limit…), as
	// decided by the campaign engine; such a bid is never chosen.
	Ineligible string `json:"ineligible,omitempty"`
}

// Score is the bid's expected incremental value: uplift × value − cost.
func (b Bid) Score() float64 { return b.Uplift*b.Value - b.Cost }

// Candidate is a bid as judged by Arbitrate.
type Candidate struct {
	Bid
	Score  float64 `json:"score"`
	Rank   int     `json:"rank"` // 1 = best score; 0 for an ineligible bid
	Chosen bool    `json:"chosen"`
	Reason string  `json:"reason"`
}

// Decision is the explained outcome of one arbitration, what
// `sagitta campaign why CUSTOMER` shows.
type Decision struct {
	Customer int64 `json:"customer"`
	// Cap is how many more contacts the customer may receive in the window.
	Cap        int         `json:"cap"`
	Candidates []Candidate `json:"candidates"` // best score first, ineligible last
	Chosen     []string    `json:"chosen"`
	Summary    string      `json:"summary"`
}

// Arbitrate chooses, among the campaigns bidding for one customer who may
// receive at most cap more contacts, those with the highest expected
// incremental value (uplift × value − cost), only if that is positive. Ties
// are broken by arrival, then by campaign name. Every candidate carries the
// reason it was or was not chosen.
func Arbitrate(customer int64, cap int, bids []Bid) Decision {
	d := Decision{Customer: customer, Cap: cap, Chosen: []string{}}
	for _, b := range bids {
		d.Candidates = append(d.Candidates, Candidate{Bid: b, Score: b.Score()})
	}
	slices.SortStableFunc(d.Candidates, func(x, y Candidate) int {
		if (x.Ineligible == "") != (y.Ineligible == "") {
			if x.Ineligible == "" {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Arrival, y.Arrival); c != 0 {
			return c
		}
		return cmp.Compare(x.Campaign, y.Campaign)
	})
	rank := 0
	var last string
	for i := range d.Candidates {
		c := &d.Candidates[i]
		if c.Ineligible != "" {
			c.Reason = "not eligible: " + c.Ineligible
			continue
		}
		rank++
		c.Rank = rank
		switch {
		case c.Score <= 0:
			c.Reason = fmt.Sprintf("expected incremental value %.4g·%.4g − %.4g = %.4g ≤ 0: contacting is expected to lose money", c.Uplift, c.Value, c.Cost, c.Score)
		case len(d.Chosen) >= cap:
			c.Reason = fmt.Sprintf("contact cap of %d reached by campaigns with higher expected incremental value (lowest chosen: %s)", cap, last)
		default:
			c.Chosen = true
			d.Chosen = append(d.Chosen, c.Campaign)
			last = fmt.Sprintf("%s at %.4g", c.Campaign, c.Score)
			c.Reason = fmt.Sprintf("chosen: rank %d, expected incremental value %.4g·%.4g − %.4g = %.4g", rank, c.Uplift, c.Value, c.Cost, c.Score)
		}
	}
	switch {
	case len(bids) == 0:
		d.Summary = "no campaign bid for this customer"
	case cap <= 0:
		d.Summary = "contact cap reached: no campaign may contact this customer now"
		for i := range d.Candidates {
			if c := &d.Candidates[i]; c.Ineligible == "" {
				c.Reason = "contact cap reached before this arbitration"
			}
		}
	case len(d.Chosen) == 0:
		d.Summary = "no eligible campaign is expected to add value"
	default:
		d.Summary = fmt.Sprintf("%d of %d bids chosen by expected incremental value (cap %d)", len(d.Chosen), len(bids), cap)
	}
	return d
}

// FirstCome is the rule arbitration replaces: the first cap eligible bids in
// arrival order, whatever they are worth. Kept for comparisons.
func FirstCome(cap int, bids []Bid) []string {
	bs := slices.Clone(bids)
	slices.SortStableFunc(bs, func(x, y Bid) int { return cmp.Compare(x.Arrival, y.Arrival) })
	out := []string{}
	for _, b := range bs {
		if len(out) >= cap {
			break
		}
		if b.Ineligible == "" {
			out = append(out, b.Campaign)
		}
	}
	return out
}
