package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Features reads feature columns for customers, to score uplift models; the
// marketing service serves the intelligence's feature table through it.
type Features interface {
	// Columns returns, for each named column, one value per customer in the
	// order of ids ("" when unknown; numbers formatted as text). A column
	// the table does not have is an error that names it.
	Columns(ctx context.Context, ids []int64, names []string) (map[string][]string, error)
}

// ContactArbitration is the contact-history kind of an arbitration
// decision: Detail holds the measure.Decision as JSON. Written by the engine
// only; it does not count for caps.
const ContactArbitration = "arbitration"

// ReasonArbitration is the drop reason of a customer another campaign won.
const ReasonArbitration = "arbitration"

// PriorUplift is the uplift assumed for every customer of a campaign
// without an uplift model: a typical lift of a marketing contact on
// conversion (one percentage point). With it, arbitration between campaigns
// without models ranks by conversion value − cost.
const PriorUplift = 0.01

// loopState caches what arbitration and scoring read often.
type loopState struct {
	mu     sync.Mutex
	models map[string]*uplift.Model
	runs   map[string]rivalRun
}

type rivalRun struct {
	audience *roaring64.Bitmap
	state    string
	checked  time.Time
}

// forget drops what is cached of a campaign's run (it was just launched here).
func (l *loopState) forget(name string) {
	l.mu.Lock()
	delete(l.runs, name)
	l.mu.Unlock()
}

// model loads (once) the uplift model of a campaign.
func (s *Service) model(path string) (*uplift.Model, error) {
	s.loop.mu.Lock()
	defer s.loop.mu.Unlock()
	if m := s.loop.models[path]; m != nil {
		return m, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := uplift.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.loop.models == nil {
		s.loop.models = map[string]*uplift.Model{}
	}
	s.loop.models[path] = m
	return m, nil
}

// checkModel verifies, at save time, that a campaign's uplift model loads
// and that the feature table has every column it needs.
func (s *Service) checkModel(ctx context.Context, c *Campaign) error {
	if c.UpliftModel == "" {
		return nil
	}
	m, err := s.model(c.UpliftModel)
	if err != nil {
		return &FieldError{Campaign: c.Name, Field: "uplift_model", Problem: err.Error()}
	}
	if s.opts.Features == nil {
		return &FieldError{Campaign: c.Name, Field: "uplift_model", Problem: "no feature table is available to score the model on"}
	}
	if _, err := s.opts.Features.Columns(ctx, nil, m.Columns()); err != nil {
		return &FieldError{Campaign: c.Name, Field: "uplift_model", Problem: err.Error()}
	}
	return nil
}

// Scores are a campaign's expectations for some customers.
type Scores struct {
	Uplift     []float64
	Propensity []float64 // NaN without a model
	Source     string    // "model FILE" or "prior"
}

// Score estimates, for each customer, the uplift of the campaign (its
// uplift model scored on the feature table, else PriorUplift) and the
// propensity P(convert | contacted) when the model gives one.
func (s *Service) Score(ctx context.Context, c *Campaign, ids []int64) (Scores, error) {
	sc := Scores{Uplift: make([]float64, len(ids)), Propensity: make([]float64, len(ids))}
	if c.UpliftModel == "" {
		for i := range ids {
			sc.Uplift[i], sc.Propensity[i] = PriorUplift, math.NaN()
		}
		sc.Source = "prior"
		return sc, nil
	}
	m, err := s.model(c.UpliftModel)
	if err != nil {
		return sc, fmt.Errorf("campaign %q: uplift model: %w", c.Name, err)
	}
	if s.opts.Features == nil {
		return sc, fmt.Errorf("campaign %q: no feature table to score its uplift model on", c.Name)
	}
	cols := m.Columns()
	vals, err := s.opts.Features.Columns(ctx, ids, cols)
	if err != nil {
		return sc, fmt.Errorf("campaign %q: uplift model: %w", c.Name, err)
	}
	t := &uplift.Table{Name: "feature table"}
	for _, name := range cols {
		if err := t.AddColumn(name, vals[name]); err != nil {
			return sc, err
		}
	}
	if len(ids) == 0 {
		return sc, nil
	}
	out, err := m.Score(ctx, t)
	if err != nil {
		return sc, fmt.Errorf("campaign %q: score the uplift model: %w", c.Name, err)
	}
	sc.Uplift, sc.Propensity, sc.Source = out.Uplift, out.Propensity, "model "+c.UpliftModel
	return sc, nil
}

// valueCost is what one conversion of the campaign is worth and what one
// contact costs: conversion_value, else the offer's value, else 1; the
// offer's unit cost.
func (s *Service) valueCost(c *Campaign) (value, cost float64) {
	value = c.ConversionValue
	if c.Offer != "" && s.opts.Offers != nil {
		if o, err := s.opts.Offers.Get(c.Offer); err == nil {
			cost = o.UnitCost
			if value == 0 {
				value = o.Value
			}
		}
	}
	if value == 0 {
		value = 1
	}
	return value, cost
}

// rivals are the other running campaigns with their frozen audiences.
func (s *Service) rivals(ctx context.Context, name string) (map[string]*roaring64.Bitmap, error) {
	out := map[string]*roaring64.Bitmap{}
	for _, c := range s.List() {
		if c.Name == name {
			continue
		}
		s.loop.mu.Lock()
		rr, ok := s.loop.runs[c.Name]
		s.loop.mu.Unlock()
		// states are read again after 2 s of wall time (done is final); a
		// launch in this process is seen at once (forget), one elsewhere or a
		// pause within 2 s
		if !ok || (rr.state != store.RunDone && time.Since(rr.checked) > 2*time.Second) {
			run, err := s.opts.Store.CampaignRun(ctx, c.Name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			rr = rivalRun{state: run.State, checked: time.Now(), audience: rr.audience}
			if err == nil && rr.audience == nil {
				rr.audience = roaring64.New()
				if err := rr.audience.UnmarshalBinary(run.Audience); err != nil {
					return nil, fmt.Errorf("read the audience of campaign %q: %w", c.Name, err)
				}
			}
			s.loop.mu.Lock()
			if s.loop.runs == nil {
				s.loop.runs = map[string]rivalRun{}
			}
			s.loop.runs[c.Name] = rr
			s.loop.mu.Unlock()
		}
		if rr.state == store.RunRunning && rr.audience != nil {
			out[c.Name] = rr.audience
		}
	}
	return out, nil
}

// remainingCap is how many more contacts on channel the caps allow the
// customer at now, given their touches.
func remainingCap(caps []capRule, ts []store.Touch, channel string, now time.Time) int {
	left := math.MaxInt
	for _, c := range caps {
		if c.Channel != "*" && c.Channel != channel {
			continue
		}
		from := now.Add(-c.Window)
		n := 0
		for _, t := range ts {
			if (c.Channel == "*" || t.Channel == c.Channel) && !t.At.Before(from) && !t.At.After(now) {
				n++
			}
		}
		left = min(left, c.Max-n)
	}
	return left
}

type capRule struct {
	Channel string
	Max     int
	Window  time.Duration
}

// arbitrate decides, for each customer of the batch that another running
// campaign also wants and whose caps leave room for fewer contacts than
// there are campaigns, which campaign gets them: by expected incremental
// value (measure.Arbitrate), not by who came first. Customers another
// campaign wins are dropped with reason "arbitration"; every decision goes
// into the contact history (kind ContactArbitration) when r is a
// transaction (a dispatch, not a preview).
func (s *Service) arbitrate(ctx context.Context, r reader, c *Saved, d *decision, now time.Time) error {
	if len(d.send) == 0 {
		return nil
	}
	rivals, err := s.rivals(ctx, c.Name)
	if err != nil || len(rivals) == 0 {
		return err
	}
	// who else wants whom
	want := map[int64][]string{}
	byRival := map[string][]int64{}
	for _, p := range d.send {
		for name, bm := range rivals {
			if bm.Contains(uint64(p.id)) {
				byRival[name] = append(byRival[name], p.id)
			}
		}
	}
	if len(byRival) == 0 {
		return nil
	}
	var dr store.MarketingReader = s.opts.Store
	if tx, ok := r.(store.MarketingReader); ok {
		dr = tx
	}
	for name, ids := range byRival {
		have, err := dr.DeliveriesOf(ctx, name, DefaultStep, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, done := have[id]; !done {
				want[id] = append(want[id], name)
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	var caps []capRule
	var window time.Duration
	for _, cp := range s.guard.Load().Rules().Caps {
		caps = append(caps, capRule{cp.Channel, cp.Max, time.Duration(cp.Window)})
		window = max(window, time.Duration(cp.Window))
	}
	ids := make([]int64, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ts, err := r.Touches(ctx, ids, now.Add(-window))
	if err != nil {
		return err
	}
	touches := map[int64][]store.Touch{}
	for _, t := range ts {
		touches[t.CustomerID] = append(touches[t.CustomerID], t)
	}
	// the contested: fewer contacts left than campaigns wanting them
	channel := map[int64]string{}
	for _, p := range d.send {
		channel[p.id] = p.channel
	}
	left := map[int64]int{}
	contested := ids[:0:0]
	for _, id := range ids {
		n := remainingCap(caps, touches[id], channel[id], now)
		if n < 1+len(want[id]) {
			left[id] = n
			contested = append(contested, id)
		}
	}
	if len(contested) == 0 {
		return nil
	}
	// bids: this campaign and each rival, for their contested customers
	bids := map[int64][]measure.Bid{}
	addBids := func(camp *Campaign, arrival int, ids []int64, rival bool) error {
		sc, err := s.Score(ctx, camp, ids)
		if err != nil {
			// a model that cannot be scored (file gone, column dropped) must
			// not stop the dispatch: the campaign bids with the prior
			s.opts.Logger.Warn("arbitration: uplift model not usable; bidding with the prior", "campaign", camp.Name, "error", err)
			prior := *camp
			prior.UpliftModel = ""
			if sc, err = s.Score(ctx, &prior, ids); err != nil {
				return err
			}
		}
		var blocked map[int64]string
		if rival {
			if blocked, err = s.unreachable(ctx, r, camp, ids, now); err != nil {
				return err
			}
		}
		v, cost := s.valueCost(camp)
		for i, id := range ids {
			bids[id] = append(bids[id], measure.Bid{Campaign: camp.Name, Uplift: sc.Uplift[i], Value: v, Cost: cost, Arrival: arrival,
				Ineligible: blocked[id]})
		}
		return nil
	}
	if err := addBids(&c.Campaign, 0, contested, false); err != nil {
		return err
	}
	rivalIDs := map[string][]int64{}
	for _, id := range contested {
		for _, name := range want[id] {
			rivalIDs[name] = append(rivalIDs[name], id)
		}
	}
	names := make([]string, 0, len(rivalIDs))
	for name := range rivalIDs {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		rc, err := s.Get(name)
		if err != nil {
			continue
		}
		if err := addBids(&rc.Campaign, i+1, rivalIDs[name], true); err != nil {
			return err
		}
	}
	lost := map[int64]bool{}
	var records []store.Contact
	for _, id := range contested {
		dec := measure.Arbitrate(id, left[id], bids[id])
		if !slices.Contains(dec.Chosen, c.Name) {
			lost[id] = true
			d.drops[id], d.details[id] = ReasonArbitration, arbitrationDetail(c.Name, &dec)
		}
		body, err := json.Marshal(dec)
		if err != nil {
			return err
		}
		records = append(records, store.Contact{CustomerID: id, Channel: channel[id], Kind: ContactArbitration, Campaign: c.Name,
			Step: DefaultStep, Offer: c.Offer, At: now, Detail: string(body)})
	}
	if len(lost) > 0 {
		kept := d.send[:0]
		for _, p := range d.send {
			if !lost[p.id] {
				kept = append(kept, p)
			}
		}
		d.send = kept
	}
	if tx, ok := r.(store.MarketingTx); ok {
		if err := tx.AddContacts(ctx, records); err != nil {
			return fmt.Errorf("record arbitration decisions: %w", err)
		}
	}
	return nil
}

// unreachable tells which customers a rival campaign could not contact on
// any of its channels now: black list, suppression or no consent (the
// caps are what is being arbitrated; quiet hours only delay).
func (s *Service) unreachable(ctx context.Context, r reader, c *Campaign, ids []int64, now time.Time) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	left := ids
	for _, ch := range c.Channels {
		if len(left) == 0 {
			break
		}
		vs, err := s.guard.Load().Check(ctx, r, ch, left, now, true)
		if err != nil {
			return nil, err
		}
		next := left[:0:0]
		for _, v := range vs {
			if v.Reason == "" {
				delete(out, v.CustomerID) // reachable on this channel
				continue
			}
			next = append(next, v.CustomerID)
			if _, ok := out[v.CustomerID]; !ok {
				out[v.CustomerID] = c.Name + " cannot reach them: " + v.Detail
			}
		}
		left = next
	}
	return out, nil
}

func arbitrationDetail(name string, d *measure.Decision) string {
	for _, cd := range d.Candidates {
		if cd.Campaign == name {
			return cd.Reason + " (" + strings.Join(d.Chosen, ", ") + " chosen)"
		}
	}
	return d.Summary
}
