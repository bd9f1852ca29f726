package campaign

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Trigger makes a campaign an event-triggered journey: when a customer
// has an event of type Event and the campaign's audience rule and
// Condition hold for them, the message is sent Wait later — unless the
// Goal was reached in between ("order": the customer placed an order after
// the event). Every triggering event is a step of its own, so each is
// answered at most once; caps and consent still apply at send time.
type Trigger struct {
	Event     string           `json:"event" yaml:"event"`
	Condition string           `json:"condition,omitempty" yaml:"condition,omitempty"`
	Wait      contact.Duration `json:"wait,omitempty" yaml:"wait,omitempty"`
	Goal      string           `json:"goal,omitempty" yaml:"goal,omitempty"` // "" or "order"
}

// GoalOrder: the journey ends for a customer who orders after the trigger.
const GoalOrder = "order"

func (t *Trigger) validate(c *Campaign) error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Campaign: c.Name, Field: "trigger." + field, Problem: fmt.Sprintf(format, a...)}
	}
	if t.Event == "" {
		return bad("event", "name the event type that starts the journey (view, cart_add, ...)")
	}
	if t.Wait < 0 {
		return bad("wait", "must not be negative")
	}
	if t.Goal != "" && t.Goal != GoalOrder {
		return bad("goal", "%q is not \"order\" or empty", t.Goal)
	}
	return nil
}

// journeyRule is what must hold for a triggered customer.
func (s *Service) journeyRule(c *Campaign) (string, error) {
	src := ""
	if c.Segment != "" || c.Rule != "" {
		var err error
		if src, err = s.audienceRule(c); err != nil {
			return "", err
		}
	}
	if cond := c.Trigger.Condition; cond != "" {
		if err := s.opts.Audience.Check(cond); err != nil {
			return "", &FieldError{Campaign: c.Name, Field: "trigger.condition", Problem: err.Error()}
		}
		if src == "" {
			return cond, nil
		}
		return "(" + src + ") and (" + cond + ")", nil
	}
	return src, nil
}

// journeyLookback bounds how far back a journey looks for triggers after a start.
const journeyLookback = 7 * 24 * time.Hour

// pollJourneys looks once for new triggering events of every running
// journey and schedules their messages.
func (s *Service) pollJourneys(ctx context.Context, last map[string]time.Time) error {
	now := s.opts.Clock()
	running, err := s.running(ctx)
	if err != nil {
		return err
	}
	for _, r := range running {
		c, run := r.c, r.run
		if c.Trigger == nil || c.StartAt.After(now) {
			continue // not a journey, or not started yet by the service's clock
		}
		// events before the launch or start_at do not trigger
		from := later(later(run.LaunchedAt, c.StartAt), now.Add(-time.Duration(c.Trigger.Wait)-journeyLookback))
		if l, ok := last[c.Name]; ok {
			from = later(from, l.Add(-time.Minute)) // events stored a little late are still seen
		}
		if err := s.scanTriggers(ctx, &c, from, now); err != nil {
			return fmt.Errorf("journey %q: %w", c.Name, err)
		}
		last[c.Name] = now
	}
	return nil
}

func (s *Service) scanTriggers(ctx context.Context, c *Saved, from, to time.Time) error {
	src, err := s.journeyRule(&c.Campaign)
	if err != nil {
		return err
	}
	type hit struct {
		id   int64
		step string
		at   time.Time
	}
	var hits []hit
	err = s.opts.Store.ScanEvents(ctx, from, to, func(e *store.Event) error {
		if e.Type == c.Trigger.Event && e.CustomerID != 0 {
			hits = append(hits, hit{e.CustomerID, "e" + strconv.FormatUint(uint64(e.ID), 36), e.At})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, h := range hits {
		if src != "" {
			x, ok, err := s.opts.Audience.Explain(ctx, src, h.id)
			if err != nil {
				return err
			}
			if !ok || !x.Result {
				continue
			}
		}
		if c.Offer != "" {
			v, err := s.opts.Offers.Why(ctx, c.Offer, h.id)
			if err != nil {
				return err
			}
			if !v.Eligible || (v.Review && !c.IncludeGrey) {
				continue
			}
		}
		have, err := s.opts.Store.DeliveriesOf(ctx, c.Name, h.step, []int64{h.id})
		if err != nil {
			return err
		}
		if len(have) > 0 {
			continue
		}
		if out, err := s.journeyHoldout(ctx, c, h.id, h.step, h.at.Add(time.Duration(c.Trigger.Wait))); err != nil || out {
			if err != nil {
				return err
			}
			continue // held out (holdout.go)
		}
		j := Job{Campaign: c.Name, IDs: []int64{h.id}, Step: h.step, Trigger: h.at, NotBefore: h.at.Add(time.Duration(c.Trigger.Wait))}
		if err := s.publish(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// reachedGoal drops the customers who reached the journey's goal after the trigger.
func (s *Service) reachedGoal(ctx context.Context, c *Saved, j Job) (keep []int64, reached []int64, err error) {
	if c.Trigger == nil || c.Trigger.Goal != GoalOrder || j.Trigger.IsZero() {
		return j.IDs, nil, nil
	}
	for _, id := range j.IDs {
		os, err := s.opts.Store.Orders(ctx, id, time.Time{}, 5)
		if err != nil {
			return nil, nil, err
		}
		done := false
		for _, o := range os {
			if o.Kind == store.OrderSale && o.PlacedAt.After(j.Trigger) {
				done = true
			}
		}
		if done {
			reached = append(reached, id)
		} else {
			keep = append(keep, id)
		}
	}
	return keep, reached, nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// periodStep is the step of a recurring campaign's k-th period.
func periodStep(k int) string { return "p" + strconv.Itoa(k) }

// pollPeriods queues the current period of every running recurring
// campaign that this process has not queued yet: the audience evaluated
// now, each customer once per period.
func (s *Service) pollPeriods(ctx context.Context) error {
	now := s.opts.Clock()
	running, err := s.running(ctx)
	if err != nil {
		return err
	}
	for _, r := range running {
		c := r.c
		if c.Every == 0 {
			continue
		}
		start := r.run.LaunchedAt
		if !c.StartAt.IsZero() {
			start = c.StartAt
		}
		if now.Before(start) {
			continue
		}
		k := int(now.Sub(start) / time.Duration(c.Every))
		s.runMu.Lock()
		done, ok := s.periods[c.Name]
		s.runMu.Unlock()
		if ok && done >= k {
			continue
		}
		a, err := s.Materialize(ctx, &c.Campaign)
		if err != nil {
			return fmt.Errorf("campaign %q, period %d: %w", c.Name, k, err)
		}
		if err := s.enqueueStep(ctx, c.Name, a.IDs, time.Time{}, periodStep(k)); err != nil {
			return err
		}
		s.runMu.Lock()
		s.periods[c.Name] = k
		s.runMu.Unlock()
		s.opts.Logger.Info("recurring campaign period queued", "campaign", c.Name, "period", k, "audience", len(a.IDs))
	}
	return nil
}
