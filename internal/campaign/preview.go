package campaign

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Preview is what a launch would do now, without sending anything.
type Preview struct {
	Campaign string `json:"campaign"`
	// Selected is how many customers the segment or rule selects; Audience
	// how many remain after the offer's eligibility, the admission lists
	// and the holdout; Sendable how many would get a message now.
	Selected  int64            `json:"selected"`
	Audience  int64            `json:"audience"`
	Sendable  int64            `json:"sendable"`
	ByChannel map[string]int64 `json:"by_channel"`
	// Dropped counts the customers each rule leaves out: admission_black,
	// admission_grey, holdout, rule (the offer's eligibility), consent,
	// cap, quiet_hours (sent later), suppressed, no_address, budget,
	// customer_limit, validity, arbitration (another running campaign is
	// worth more to the customer, arbitrate.go).
	Dropped map[string]int64 `json:"dropped"`
	Sample  []Message        `json:"sample"`
	// Holdout is the holdout a launch would draw, per value–loyalty class.
	Holdout *HoldoutPreview `json:"holdout,omitempty"`
}

// Preview materializes the audience and runs every send-time check over
// it, renders up to sample messages, and writes nothing.
func (s *Service) Preview(ctx context.Context, name string, sample int) (Preview, error) {
	c, err := s.Get(name)
	if err != nil {
		return Preview{}, err
	}
	if err := c.Validate(); err != nil {
		return Preview{}, err
	}
	if c.Trigger != nil {
		return Preview{}, fmt.Errorf("campaign %q is a journey: its audience comes with its trigger events, there is nothing to preview: %w", name, ErrState)
	}
	a, err := s.Materialize(ctx, &c.Campaign)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{Campaign: name, Selected: a.Size, Audience: int64(len(a.IDs)), ByChannel: map[string]int64{}, Dropped: map[string]int64{},
		Sample: []Message{}, Holdout: a.Holdout}
	for k, v := range a.Drops {
		p.Dropped[k] += v
	}
	now := s.opts.Clock().UTC()
	if c.StartAt.After(now) {
		now = c.StartAt
	}
	var budgetUsed int64
	for from := 0; from < len(a.IDs); from += s.opts.Batch {
		if err := ctx.Err(); err != nil {
			return Preview{}, err
		}
		ids := a.IDs[from:min(from+s.opts.Batch, len(a.IDs))]
		d, err := s.decide(ctx, previewReader{s.opts.Store, budgetUsed, c.Offer}, &c, ids, now)
		if err != nil {
			return Preview{}, err
		}
		budgetUsed += int64(len(d.send))
		for _, r := range d.drops {
			p.Dropped[r]++
		}
		p.Dropped["quiet_hours"] += int64(len(d.deferred))
		for _, pl := range d.send {
			p.ByChannel[pl.channel]++
		}
		p.Sendable += int64(len(d.send))
		if len(p.Sample) < sample && len(d.send) > 0 {
			byCh := map[string][]store.Delivery{}
			to := map[int64]string{}
			for _, pl := range d.send[:min(len(d.send), sample-len(p.Sample))] {
				byCh[pl.channel] = append(byCh[pl.channel], store.Delivery{CustomerID: pl.id, Step: DefaultStep, Channel: pl.channel, Offer: c.Offer, Code: pl.code})
				to[pl.id] = pl.to
			}
			chs := make([]string, 0, len(byCh))
			for ch := range byCh {
				chs = append(chs, ch)
			}
			sort.Strings(chs)
			for _, ch := range chs {
				msgs, err := s.render(ctx, &c, ch, byCh[ch], to)
				if err != nil {
					return Preview{}, err
				}
				p.Sample = append(p.Sample, msgs...)
			}
		}
	}
	for k, v := range p.Dropped {
		if v == 0 {
			delete(p.Dropped, k)
		}
	}
	for i := range p.Sample {
		p.Sample[i].To = mask(p.Sample[i].To)
	}
	return p, nil
}

// previewReader counts what earlier batches of a preview would have issued.
type previewReader struct {
	Store
	used  int64
	offer string
}

func (r previewReader) OfferUse(ctx context.Context, o string) (store.OfferUse, error) {
	u, err := r.Store.OfferUse(ctx, o)
	if o == r.offer {
		u.Count += r.used
	}
	return u, err
}

// mask hides most of an address in previews: "a***@example.org", "+49***89".
func mask(s string) string {
	if s == "" {
		return ""
	}
	if at := strings.IndexByte(s, '@'); at > 0 {
		return s[:1] + "***" + s[at:]
	}
	if len(s) > 5 {
		return s[:3] + "***" + s[len(s)-2:]
	}
	return "***"
}
