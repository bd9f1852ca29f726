package web

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// timelineSize is how many contacts the customer page shows.
const timelineSize = 50

// recRow is a recommended item with what the catalogue knows of it.
type recRow struct {
	recommend.Recommendation
	Title, Category string
	Price           float64
	Known           bool // the catalogue has the item
}

// channelRow is one channel of a customer: consent and contacts.
type channelRow struct {
	Channel  string
	Consent  string // "" when none recorded
	Contacts int    // in the timeline shown
	Last     time.Time
}

// customerMore is the customer page's predictions, recommendations,
// eligible offers and contact history.
type customerMore struct {
	Pred      *predict.Prediction
	Recs      []recRow
	RecNote   string // a catalogue key saying why there are none
	Offers    *offer.Best
	OfferNote string
	Timeline  []store.Contact
	Channels  []channelRow
}

// fillMore adds predictions, recommendations, offers and contacts.
func (s *Server) fillMore(ctx context.Context, c *customer360) error {
	id := c.P.ID
	if s.in != nil {
		if p, ok := s.in.Predictions(id); ok {
			c.Pred = &p
		}
	}
	switch {
	case s.rec == nil:
		c.RecNote = "customer.rec_off"
	case s.rec.Model() == nil:
		c.RecNote = "customer.rec_no_model"
	default:
		recs, err := s.rec.TopN(ctx, strconv.FormatInt(id, 10), 10, recommend.Filters{})
		if err != nil {
			return err
		}
		for _, r := range recs {
			row := recRow{Recommendation: r}
			if it, err := s.st.Item(ctx, r.Item); err == nil {
				row.Title, row.Category, row.Price, row.Known = it.Title, it.Category, it.Price, true
			}
			c.Recs = append(c.Recs, row)
		}
		if len(c.Recs) == 0 {
			c.RecNote = "customer.rec_none"
		}
	}
	if s.mk != nil {
		v, err := s.mk.NextBestOffers(ctx, id, 1, true)
		if err != nil {
			return err
		}
		c.Offers = &v.Best
	} else {
		c.OfferNote = "customer.offers_off"
	}
	// The timeline is the history, holdouts included (labelled "held out,
	// not contacted": it tells why a customer got nothing from a campaign),
	// arbitration records not (campaign why explains those); the channel
	// counts are of contacts received only (marketing.Received).
	cs, err := s.st.Contacts(ctx, id, time.Time{}, 0)
	if err != nil {
		return err
	}
	for _, ct := range cs {
		if len(c.Timeline) == timelineSize {
			break
		}
		if ct.Kind != campaign.ContactArbitration {
			c.Timeline = append(c.Timeline, ct)
		}
	}
	by := map[string]*channelRow{}
	row := func(ch string) *channelRow {
		if by[ch] == nil {
			by[ch] = &channelRow{Channel: ch}
		}
		return by[ch]
	}
	for _, cs := range c.P.Consent {
		row(cs.Channel).Consent = cs.Status
	}
	for _, ct := range c.Timeline {
		if !marketing.Received(ct) {
			continue
		}
		r := row(ct.Channel)
		r.Contacts++
		if ct.At.After(r.Last) {
			r.Last = ct.At
		}
	}
	for _, r := range by {
		c.Channels = append(c.Channels, *r)
	}
	slices.SortFunc(c.Channels, func(a, b channelRow) int { return strings.Compare(a.Channel, b.Channel) })
	return nil
}
