package measure

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Assigner decides whether a customer is held out of a campaign. Both
// Holdout (streaming, per customer) and Assignment (exact, per stratum)
// implement it, so the campaign engine's audience step takes either.
type Assigner interface {
	InHoldout(campaign string, customer int64) bool
}

// Unit maps (salt, campaign, customer) to a number in [0, 1) that looks
// uniformly random and is the same on every machine and every run: FNV-1a 64
// over the salt, a 0 byte, the campaign, a 0 byte and the customer id's
// 8 little-endian bytes, then the splitmix64 finalizer, which mixes every
// input bit into every output bit (FNV-1a alone leaves the low bits of
// consecutive ids correlated). The top 53 bits become the fraction.
func Unit(salt, campaign string, customer int64) float64 {
	return float64(mix(hashKey(salt, campaign, customer))>>11) * 0x1p-53
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashKey(salt, campaign string, customer int64) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(salt); i++ {
		h = (h ^ uint64(salt[i])) * fnvPrime
	}
	h = (h ^ 0) * fnvPrime
	for i := 0; i < len(campaign); i++ {
		h = (h ^ uint64(campaign[i])) * fnvPrime
	}
	h = (h ^ 0) * fnvPrime
	u := uint64(customer)
	for i := 0; i < 8; i++ {
		h = (h ^ (u & 0xff)) * fnvPrime
		u >>= 8
	}
	return h
}

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// GlobalCampaign is the campaign name the global holdout hashes under; no
// real campaign may be called so (the leading NUL byte sees to that).
const GlobalCampaign = "\x00global"

// Holdout is a randomized holdout decided per customer, with nothing to
// precompute: a customer is held out of campaign c when
// Unit(Salt, c, id) < Percent/100, or — when Global > 0 — when
// Unit(Salt, GlobalCampaign, id) < Global/100, in which case the customer is
// held out of every campaign. The per-campaign draws of one customer in two
// campaigns are independent; the global draw is the same for all campaigns.
//
// The share held out is Percent (plus Global) in expectation, binomially
// spread: for exact shares within small classes use Stratify.
type Holdout struct {
	Percent float64 // per-campaign holdout, 0..100
	Global  float64 // global holdout across all campaigns, 0..100; 0 = none
	Salt    string  // changes every assignment at once; keep it fixed for a shop
}

// Validate checks the percentages.
func (h Holdout) Validate() error {
	if !(h.Percent >= 0 && h.Percent < 100) {
		return fmt.Errorf("holdout percent %v: want 0 ≤ percent < 100", h.Percent)
	}
	if !(h.Global >= 0 && h.Global < 100) {
		return fmt.Errorf("global holdout percent %v: want 0 ≤ percent < 100", h.Global)
	}
	return nil
}

// InGlobal reports whether the customer is in the global holdout.
func (h Holdout) InGlobal(customer int64) bool {
	return h.Global > 0 && Unit(h.Salt, GlobalCampaign, customer) < h.Global/100
}

// InHoldout reports whether the customer is held out of the campaign.
func (h Holdout) InHoldout(campaign string, customer int64) bool {
	return h.InGlobal(customer) || Unit(h.Salt, campaign, customer) < h.Percent/100
}

// Member is one customer of an audience with the stratum it belongs to
// (usually its value–loyalty class; "" is a stratum like any other).
type Member struct {
	Customer int64
	Stratum  string
}

// Assignment is the exact, stratified holdout of one campaign's audience, as
// made by Stratify. It implements Assigner for that campaign; a customer who
// was not in the audience is not held out (InHoldout is false), unless in the
// global holdout.
type Assignment struct {
	Campaign string
	held     map[int64]bool
	global   Holdout
	// Strata counts, per stratum, the audience and how many were held out.
	Strata map[string]StratumCount
}

// StratumCount is the size of a stratum and of its holdout.
type StratumCount struct {
	Audience int `json:"audience"`
	Holdout  int `json:"holdout"`
}

// InHoldout reports whether the customer is held out of the campaign.
func (a *Assignment) InHoldout(campaign string, customer int64) bool {
	if a.global.InGlobal(customer) {
		return true
	}
	return campaign == a.Campaign && a.held[customer]
}

// Stratify assigns the holdout of one campaign exactly within each stratum:
// customers in the global holdout (h.Global) are held out first; of the
// others, within each stratum of n customers, the round(p·n) customers with
// the smallest Unit(h.Salt, campaign, id) are held out, p = h.Percent/100
// (rounding half away from zero). So every stratum's holdout share is p to
// within half a customer, and the choice is deterministic (a customer's rank
// depends only on the hashes) and as random as the hash: it is a random
// sample without replacement of each stratum.
//
// Duplicates in members (the same customer in the same stratum) count once. The result holds out exactly the same
// customers whatever the order of members. Adding customers to a stratum can
// move the cut, so use Stratify for audiences materialized once at launch and
// Holdout for audiences that grow (triggered journeys).
func Stratify(h Holdout, campaign string, members []Member) (*Assignment, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	a := &Assignment{Campaign: campaign, held: make(map[int64]bool), global: h, Strata: make(map[string]StratumCount)}
	type ranked struct {
		id int64
		u  float64
	}
	// Members by stratum (strata are few: a slice, not a map, per member);
	// duplicates are removed after sorting, where they are adjacent.
	index := map[string]int{}
	var names []string
	var by [][]ranked
	for _, m := range members {
		k, ok := index[m.Stratum]
		if !ok {
			k = len(by)
			index[m.Stratum] = k
			names = append(names, m.Stratum)
			by = append(by, nil)
		}
		by[k] = append(by[k], ranked{m.Customer, Unit(h.Salt, campaign, m.Customer)})
	}
	p := h.Percent / 100
	byRank := func(x, y ranked) int {
		if c := cmp.Compare(x.u, y.u); c != 0 {
			return c
		}
		return cmp.Compare(x.id, y.id)
	}
	for k, rs := range by {
		if h.Global == 0 && p < 0.5 {
			// Only the smallest hashes matter: sort the customers below a
			// threshold a few standard deviations above the share (the hash
			// is uniform), and everyone only when that would not be enough.
			if !slices.IsSortedFunc(rs, func(x, y ranked) int { return cmp.Compare(x.id, y.id) }) {
				rs = slices.Clone(rs)
				slices.SortFunc(rs, func(x, y ranked) int { return cmp.Compare(x.id, y.id) })
			}
			rs = slices.CompactFunc(rs, func(x, y ranked) bool { return x.id == y.id })
			n := len(rs)
			want := int(math.Round(p * float64(n)))
			t := p + 6*math.Sqrt(p*(1-p)/float64(max(n, 1))) + 2/float64(max(n, 1))
			low := rs[:0:0]
			for _, r := range rs {
				if r.u < t {
					low = append(low, r)
				}
			}
			if len(low) >= want {
				slices.SortFunc(low, byRank)
				for _, r := range low[:want] {
					a.held[r.id] = true
				}
				a.Strata[names[k]] = StratumCount{Audience: n, Holdout: want}
				continue
			}
		}
		slices.SortFunc(rs, byRank)
		rs = slices.CompactFunc(rs, func(x, y ranked) bool { return x.id == y.id })
		c := StratumCount{Audience: len(rs)}
		// the global holdout first; the cut is made among the others
		others := rs[:0:0]
		if h.Global > 0 {
			for _, r := range rs {
				if h.InGlobal(r.id) {
					a.held[r.id] = true
					c.Holdout++
				} else {
					others = append(others, r)
				}
			}
		} else {
			others = rs
		}
		n := int(math.Round(p * float64(len(others))))
		for _, r := range others[:n] {
			a.held[r.id] = true
		}
		c.Holdout += n
		a.Strata[names[k]] = c
	}
	return a, nil
}

// AssignBatch is Stratify for callers holding parallel slices: it returns,
// for each customer, whether it is held out.
func AssignBatch(h Holdout, campaign string, customers []int64, strata []string) ([]bool, error) {
	if strata != nil && len(strata) != len(customers) {
		return nil, fmt.Errorf("cannot assign holdout: %d customers but %d strata", len(customers), len(strata))
	}
	ms := make([]Member, len(customers))
	for i, c := range customers {
		ms[i].Customer = c
		if strata != nil {
			ms[i].Stratum = strata[i]
		}
	}
	a, err := Stratify(h, campaign, ms)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(customers))
	for i, c := range customers {
		out[i] = a.InHoldout(campaign, c)
	}
	return out, nil
}

// String describes the holdout for logs and reports.
func (h Holdout) String() string {
	s := strconv.FormatFloat(h.Percent, 'g', -1, 64) + "% per campaign"
	if h.Global > 0 {
		s += ", " + strconv.FormatFloat(h.Global, 'g', -1, 64) + "% global"
	}
	return s
}
