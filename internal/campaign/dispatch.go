package campaign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// reader is what decisions read: the store, or the open transaction.
type reader interface {
	contact.Reader
	AddressesOf(ctx context.Context, kind string, customerIDs []int64) (map[int64]string, error)
	OfferUse(ctx context.Context, offer string) (store.OfferUse, error)
	IssuedTo(ctx context.Context, offer string, customerIDs []int64) (map[int64]int, error)
}

// planned is one message decided on.
type planned struct {
	id      int64
	channel string
	to      string
	code    string
}

// decision is what decide makes of a batch.
type decision struct {
	send      []planned
	drops     map[int64]string // customer -> reason
	details   map[int64]string
	deferred  []int64 // quiet hours
	notBefore time.Time
}

// addressKind is the identity kind a channel sends to ("" when none is needed).
func addressKind(ch string) string {
	switch ch {
	case Email:
		return store.KindEmail
	case SMS:
		return store.KindPhone
	}
	return ""
}

// decide picks, for each customer, the first channel that consent,
// suppression, caps and quiet hours allow, then applies the offer's
// validity, budget and per-customer limit.
func (s *Service) decide(ctx context.Context, r reader, c *Saved, ids []int64, now time.Time) (decision, error) {
	d := decision{drops: map[int64]string{}, details: map[int64]string{}}
	remaining := ids
	first := map[int64]contact.Verdict{}
	for _, ch := range c.Channels {
		if len(remaining) == 0 {
			break
		}
		var addrs map[int64]string
		cands := remaining
		if kind := addressKind(ch); kind != "" {
			var err error
			if addrs, err = r.AddressesOf(ctx, kind, remaining); err != nil {
				return d, err
			}
			cands = make([]int64, 0, len(remaining))
			for _, id := range remaining {
				if addrs[id] != "" {
					cands = append(cands, id)
				} else if _, ok := first[id]; !ok {
					first[id] = contact.Verdict{CustomerID: id, Reason: contact.ReasonNoAddress, Detail: "no " + kind + " for " + ch}
				}
			}
		}
		vs, err := s.guard.Load().Check(ctx, r, ch, cands, now, false)
		if err != nil {
			return d, err
		}
		decided := map[int64]bool{}
		for _, v := range vs {
			switch v.Reason {
			case "":
				d.send = append(d.send, planned{id: v.CustomerID, channel: ch, to: addrs[v.CustomerID]})
				decided[v.CustomerID] = true
			case contact.ReasonQuiet:
				d.deferred = append(d.deferred, v.CustomerID)
				if d.notBefore.IsZero() || v.NotBefore.After(d.notBefore) {
					d.notBefore = v.NotBefore
				}
				decided[v.CustomerID] = true
			case contact.ReasonBlack:
				d.drops[v.CustomerID], d.details[v.CustomerID] = v.Reason, v.Detail
				decided[v.CustomerID] = true
			default:
				if _, ok := first[v.CustomerID]; !ok {
					first[v.CustomerID] = v
				}
			}
		}
		next := remaining[:0:0]
		for _, id := range remaining {
			if !decided[id] {
				next = append(next, id)
			}
		}
		remaining = next
	}
	for _, id := range remaining {
		v := first[id]
		d.drops[id], d.details[id] = v.Reason, v.Detail
	}
	if err := s.arbitrate(ctx, r, c, &d, now); err != nil {
		return d, err
	}
	if c.Offer == "" || len(d.send) == 0 {
		return d, nil
	}
	o, err := s.opts.Offers.Get(c.Offer)
	if err != nil {
		return d, err
	}
	if !o.Valid(now) {
		for _, p := range d.send {
			d.drops[p.id], d.details[p.id] = offer.CheckValidity, "the offer is not valid now"
		}
		d.send = nil
		return d, nil
	}
	use, err := r.OfferUse(ctx, o.Name)
	if err != nil {
		return d, err
	}
	left := offer.Remaining(&o.Offer, use)
	sendIDs := make([]int64, len(d.send))
	for i, p := range d.send {
		sendIDs[i] = p.id
	}
	issued, err := r.IssuedTo(ctx, o.Name, sendIDs)
	if err != nil {
		return d, err
	}
	kept := d.send[:0]
	for _, p := range d.send {
		switch {
		case issued[p.id] >= o.PerCustomer:
			d.drops[p.id], d.details[p.id] = offer.CheckLimit, fmt.Sprintf("issued %d of at most %d", issued[p.id], o.PerCustomer)
		case left <= 0:
			d.drops[p.id], d.details[p.id] = offer.CheckBudget, "the offer's budget is exhausted"
		default:
			left--
			p.code = o.CodeFor(s.opts.Secret, p.id)
			kept = append(kept, p)
		}
	}
	d.send = kept
	return d, nil
}

// Run dispatches until ctx ends: it first resumes every running campaign
// from the store (pending deliveries are sent again with the same key,
// customers without a delivery are queued), then consumes the queue.
//
// Every RecoverEvery it looks again for running campaigns without work in
// this process (launched or resumed by another process, or left by one
// that died): deliveries pending for longer than StaleAfter are taken as
// abandoned and sent again.
func (s *Service) Run(ctx context.Context) error {
	if err := s.Recover(ctx, s.opts.StaleAfter); err != nil {
		return err
	}
	go s.journeys(ctx)
	go func() {
		t := time.NewTicker(s.opts.RecoverEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.Load(ctx); err != nil && ctx.Err() == nil {
					s.opts.Logger.Warn("reload campaigns", "error", err)
					continue
				}
				if err := s.reloadRules(ctx); err != nil && ctx.Err() == nil {
					s.opts.Logger.Warn("reload contact rules", "error", err)
				}
				if err := s.Recover(ctx, s.opts.StaleAfter); err != nil && ctx.Err() == nil {
					s.opts.Logger.Warn("recover campaigns", "error", err)
				}
			}
		}
	}()
	err := s.opts.Queue.Consume(ctx, s.opts.Workers, s.handle)
	s.dropIdleJournals()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// Recover queues the remaining work of every running campaign that has no
// work queued or running in this process. Pending deliveries updated less
// than stale ago are left alone (another dispatcher may be sending them);
// with 0, all are sent again.
//
// It first records as sent what the leftover acceptance journals list.
func (s *Service) Recover(ctx context.Context, stale time.Duration) error {
	if _, err := s.recoverJournals(ctx); err != nil {
		return err
	}
	running, err := s.running(ctx)
	if err != nil {
		return err
	}
	for _, r := range running {
		s.runMu.Lock()
		busy := s.live[r.c.Name] > 0
		s.runMu.Unlock()
		if busy {
			continue
		}
		if err := s.recoverOne(ctx, r.c.Name, stale); err != nil {
			return err
		}
	}
	return nil
}

// recoverOne queues what is left of a launched campaign: its pending
// deliveries (to send again) and the audience members without a delivery.
func (s *Service) recoverOne(ctx context.Context, name string, stale time.Duration) error {
	run, err := s.opts.Store.CampaignRun(ctx, name)
	if err != nil {
		return err
	}
	c, err := s.Get(name)
	if err != nil {
		return err
	}
	pending, err := s.opts.Store.Deliveries(ctx, name, store.DeliveryPending)
	if err != nil {
		return err
	}
	cutoff := s.opts.Clock().Add(-stale)
	bySteps := map[string][]int64{}
	var retry []int64
	for _, d := range pending {
		if stale <= 0 || !d.UpdatedAt.After(cutoff) {
			bySteps[d.Step] = append(bySteps[d.Step], d.CustomerID)
			retry = append(retry, d.CustomerID)
		}
	}
	for step, ids := range bySteps {
		for from := 0; from < len(ids); from += s.opts.Batch {
			if err := s.publish(ctx, Job{Campaign: name, IDs: ids[from:min(from+s.opts.Batch, len(ids))], Step: step, Retry: true}); err != nil {
				return err
			}
		}
	}
	if c.Trigger != nil || c.Every != 0 {
		return nil // their customers come with events or periods (see pollJourneys, pollPeriods)
	}
	bm := roaring64.New()
	if err := bm.UnmarshalBinary(run.Audience); err != nil {
		return fmt.Errorf("read the audience of campaign %q: %w", name, err)
	}
	done, err := s.opts.Store.DeliveredCustomers(ctx, name, DefaultStep)
	if err != nil {
		return err
	}
	for _, id := range done {
		bm.Remove(uint64(id))
	}
	left := make([]int64, 0, bm.GetCardinality())
	it := bm.Iterator()
	for it.HasNext() {
		left = append(left, int64(it.Next()))
	}
	s.opts.Logger.Info("campaign resumed", "campaign", name, "pending", len(retry), "remaining", len(left))
	if len(left) == 0 && len(pending) == 0 {
		return s.finish(ctx, name)
	}
	return s.enqueue(ctx, name, left, c.StartAt)
}

// finish marks a running campaign done when nothing is left.
func (s *Service) finish(ctx context.Context, name string) error {
	if c, err := s.Get(name); err == nil && (c.Trigger != nil || c.Every != 0) {
		return nil // a journey or a recurring campaign runs until paused
	}
	st, err := s.Status(ctx, name)
	if err != nil {
		return err
	}
	if st.State != store.RunRunning || st.Remaining > 0 || st.Deliveries[store.DeliveryPending] > 0 {
		return nil
	}
	err = s.setState(ctx, name, store.RunRunning, store.RunDone)
	if errors.Is(err, ErrState) {
		return nil
	}
	if err == nil {
		s.opts.Logger.Info("campaign done", "campaign", name, "sent", st.Deliveries[store.DeliverySent])
	}
	return err
}

// Wait blocks until no job of the campaign is queued or running in this
// process, or ctx ends.
func (s *Service) Wait(ctx context.Context, name string) error {
	stop := context.AfterFunc(ctx, func() { s.runMu.Lock(); s.runMu.Unlock(); s.done.Broadcast() })
	defer stop()
	s.runMu.Lock()
	defer s.runMu.Unlock()
	for s.live[name] > 0 && ctx.Err() == nil {
		s.done.Wait()
	}
	return ctx.Err()
}

func (s *Service) handle(ctx context.Context, j Job) {
	defer s.finished(j.Campaign)
	err := s.work(ctx, j)
	if err != nil && ctx.Err() == nil {
		// the batch is left as the store has it; it is retried later
		s.opts.Logger.Warn("dispatch failed; retrying", "campaign", j.Campaign, "customers", len(j.IDs), "error", err)
		j.Attempt++
		j.NotBefore = s.opts.Clock().Add(s.backoff(j.Attempt))
		if perr := s.publish(context.WithoutCancel(ctx), j); perr != nil {
			s.opts.Logger.Error("cannot requeue", "campaign", j.Campaign, "error", perr)
		}
		return
	}
	s.runMu.Lock()
	last := s.live[j.Campaign] == 1
	s.runMu.Unlock()
	if last && ctx.Err() == nil {
		if err := s.finish(ctx, j.Campaign); err != nil {
			s.opts.Logger.Warn("cannot finish campaign", "campaign", j.Campaign, "error", err)
		}
	}
}

func (s *Service) backoff(attempt int) time.Duration {
	d := s.opts.Retry << min(attempt, 20)
	return min(d, 10*time.Minute)
}

func (s *Service) work(ctx context.Context, j Job) error {
	run, err := s.opts.Store.CampaignRun(ctx, j.Campaign)
	if err != nil {
		return err
	}
	if run.State != store.RunRunning {
		return nil // paused or done: Resume queues what is left
	}
	c, err := s.Get(j.Campaign)
	if err != nil {
		return err
	}
	if j.Retry {
		return s.resend(ctx, &c, j)
	}
	return s.dispatch(ctx, &c, j)
}

// dispatch reserves, sends and completes one batch of new customers.
func (s *Service) dispatch(ctx context.Context, c *Saved, j Job) error {
	now := s.opts.Clock().UTC().Truncate(time.Microsecond)
	var d decision
	err := s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		have, err := tx.DeliveriesOf(ctx, c.Name, j.step(), j.IDs)
		if err != nil {
			return err
		}
		ids := j.IDs
		if len(have) > 0 {
			ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { _, ok := have[id]; return ok })
		}
		keep, reached, err := s.reachedGoal(ctx, c, Job{IDs: ids, Trigger: j.Trigger})
		if err != nil {
			return err
		}
		if d, err = s.decide(ctx, tx, c, keep, now); err != nil {
			return err
		}
		for _, id := range reached {
			d.drops[id], d.details[id] = "goal", "reached the journey's goal (an order) after the trigger"
		}
		rows := make([]store.Delivery, 0, len(d.send)+len(d.drops))
		var issues []store.Issue
		var unit float64
		if c.Offer != "" {
			if o, err := s.opts.Offers.Get(c.Offer); err == nil {
				unit = o.UnitCost
			}
		}
		for _, p := range d.send {
			rows = append(rows, store.Delivery{Campaign: c.Name, CustomerID: p.id, Step: j.step(), Channel: p.channel, Offer: c.Offer,
				Code: p.code, State: store.DeliveryPending, CreatedAt: now, UpdatedAt: now})
			if c.Offer != "" {
				issues = append(issues, store.Issue{Offer: c.Offer, CustomerID: p.id, Campaign: c.Name, Step: j.step(), Code: p.code, Cost: unit, At: now})
			}
		}
		for id, reason := range d.drops {
			rows = append(rows, store.Delivery{Campaign: c.Name, CustomerID: id, Step: j.step(), State: store.DeliveryDropped,
				Reason: reason + ": " + d.details[id], CreatedAt: now, UpdatedAt: now})
		}
		if _, err := tx.PutDeliveries(ctx, rows); err != nil {
			return err
		}
		return tx.AddIssues(ctx, issues)
	})
	if err != nil {
		return fmt.Errorf("reserve deliveries of campaign %q: %w", c.Name, err)
	}
	if len(d.deferred) > 0 {
		if err := s.publish(ctx, Job{Campaign: c.Name, IDs: d.deferred, NotBefore: d.notBefore}); err != nil {
			return err
		}
	}
	msgs := make([]store.Delivery, len(d.send))
	to := make(map[int64]string, len(d.send))
	for i, p := range d.send {
		msgs[i] = store.Delivery{Campaign: c.Name, CustomerID: p.id, Step: j.step(), Channel: p.channel, Offer: c.Offer, Code: p.code,
			State: store.DeliveryPending, CreatedAt: now}
		to[p.id] = p.to
	}
	return s.send(ctx, c, msgs, to, j.Attempt)
}

// resend sends again deliveries reserved earlier and still pending (after
// a failure or a crash), with the same key, once consent still allows.
func (s *Service) resend(ctx context.Context, c *Saved, j Job) error {
	have, err := s.opts.Store.DeliveriesOf(ctx, c.Name, j.step(), j.IDs)
	if err != nil {
		return err
	}
	var ds []store.Delivery
	for _, id := range j.IDs {
		if d, ok := have[id]; ok && d.State == store.DeliveryPending {
			ds = append(ds, d)
		}
	}
	return s.send(ctx, c, ds, nil, j.Attempt)
}

// send checks consent once more, renders, sends and records the outcome of
// reserved deliveries. to gives known addresses (nil: read them).
//
// Deliveries go in chunks of SendChunk, each recorded once sent, so that a
// crash leaves at most a chunk per worker with an unknown outcome; with a
// JournalDir and an AckSender, the chunk's acceptance journal tells which
// of those the receiver accepted (see journal.go).
func (s *Service) send(ctx context.Context, c *Saved, ds []store.Delivery, to map[int64]string, attempt int) error {
	for from := 0; from < len(ds); from += s.opts.SendChunk {
		if err := s.sendChunk(ctx, c, ds[from:min(from+s.opts.SendChunk, len(ds))], to, attempt); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendChunk(ctx context.Context, c *Saved, ds []store.Delivery, to map[int64]string, attempt int) error {
	if len(ds) == 0 {
		return nil
	}
	now := s.opts.Clock().UTC().Truncate(time.Microsecond)
	byCh := map[string][]store.Delivery{}
	for _, d := range ds {
		byCh[d.Channel] = append(byCh[d.Channel], d)
	}
	var done []store.Delivery
	var contacts []store.Contact
	var tasks []store.CallTask
	var retry []int64
	var jn *journal    // the acceptance journal, opened before the first send
	committed := false // the outcome is in the store: the journal goes
	for ch, group := range byCh {
		ids := make([]int64, len(group))
		for i, d := range group {
			ids[i] = d.CustomerID
		}
		// consent at send time: an unsubscribe since the reservation wins
		vs, err := s.guard.Load().Check(ctx, s.opts.Store, ch, ids, now, true)
		if err != nil {
			return err
		}
		ok := group[:0:0]
		for i, v := range vs {
			d := group[i]
			if v.Reason != "" {
				d.State, d.Reason, d.UpdatedAt = store.DeliveryDropped, v.Reason+": "+v.Detail, now
				done = append(done, d)
				continue
			}
			ok = append(ok, d)
		}
		if len(ok) == 0 {
			continue
		}
		msgs, err := s.render(ctx, c, ch, ok, to)
		if err != nil {
			return err
		}
		if ch == Call {
			for i, m := range msgs {
				tasks = append(tasks, store.CallTask{Campaign: c.Name, CustomerID: m.CustomerID, Offer: m.Offer, Script: m.Script,
					State: store.CallOpen, CreatedAt: now, UpdatedAt: now})
				d := ok[i]
				d.State, d.Attempts, d.UpdatedAt = store.DeliverySent, d.Attempts+1, now
				done = append(done, d)
				contacts = append(contacts, store.Contact{CustomerID: d.CustomerID, Channel: ch, Kind: store.ContactSent, Campaign: c.Name,
					Step: d.Step, Offer: d.Offer, At: now, Detail: "call task"})
			}
			continue
		}
		sender := s.sender(ch)
		var errs []error
		if sender == nil {
			errs = make([]error, len(msgs))
			for i := range errs {
				errs[i] = fmt.Errorf("channel %q is not configured", ch)
			}
		} else if as, ok := sender.(AckSender); ok && s.opts.JournalDir != "" {
			if jn == nil {
				if jn, err = s.takeJournal(); err != nil {
					return err
				}
				defer func() {
					if jn.err != nil {
						s.opts.Logger.Warn("cannot write the acceptance journal; a crash now would send this chunk again", "campaign", c.Name, "error", jn.err)
					}
					s.releaseJournal(jn, committed)
				}()
			}
			errs = as.SendAck(ctx, msgs, func(i int) { jn.accepted(msgs[i].Key, s.opts.Clock()) })
		} else {
			errs = sender.Send(ctx, msgs)
		}
		for i, m := range msgs {
			d := ok[i]
			d.Attempts++
			d.UpdatedAt = now
			switch err := errs[i]; {
			case err == nil:
				d.State, d.Reason = store.DeliverySent, ""
				contacts = append(contacts, store.Contact{CustomerID: m.CustomerID, Channel: ch, Kind: store.ContactSent, Campaign: c.Name,
					Step: d.Step, Offer: d.Offer, At: now})
			case errors.Is(err, ErrPermanent):
				d.State, d.Reason = store.DeliveryFailed, err.Error()
				if ch == Email {
					contacts = append(contacts, store.Contact{CustomerID: m.CustomerID, Channel: ch, Kind: store.ContactBounced, Campaign: c.Name,
						Step: d.Step, At: now, Detail: err.Error()})
				}
			case d.Attempts >= s.opts.MaxTries:
				d.State, d.Reason = store.DeliveryFailed, fmt.Sprintf("gave up after %d attempts: %v", d.Attempts, err)
			default:
				d.Reason = err.Error()
				retry = append(retry, d.CustomerID)
			}
			done = append(done, d)
		}
	}
	err := s.opts.Store.UpdateMarketing(context.WithoutCancel(ctx), func(tx store.MarketingTx) error {
		if err := tx.UpdateDeliveries(ctx, done); err != nil {
			return err
		}
		for i := range tasks {
			if _, err := tx.PutCallTask(ctx, &tasks[i]); err != nil {
				return err
			}
		}
		if len(contacts) == 0 {
			return nil
		}
		return contact.Record(ctx, tx, contacts)
	})
	if err != nil {
		return fmt.Errorf("record the sends of campaign %q: %w", c.Name, err)
	}
	committed = true
	if len(retry) > 0 {
		slices.Sort(retry)
		return s.publish(ctx, Job{Campaign: c.Name, IDs: retry, Step: ds[0].Step, Retry: true, Attempt: attempt + 1,
			NotBefore: s.opts.Clock().Add(s.backoff(attempt))})
	}
	return nil
}

// render builds the messages of deliveries on one channel.
func (s *Service) render(ctx context.Context, c *Saved, ch string, ds []store.Delivery, to map[int64]string) ([]Message, error) {
	tps, err := c.templates()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.CustomerID
	}
	if to == nil {
		if kind := addressKind(ch); kind != "" {
			if to, err = s.opts.Store.AddressesOf(ctx, kind, ids); err != nil {
				return nil, err
			}
		}
	}
	names, err := s.names(ctx, ids)
	if err != nil {
		return nil, err
	}
	var od OfferData
	if c.Offer != "" {
		if o, err := s.opts.Offers.Get(c.Offer); err == nil {
			od = OfferData{Name: o.Name, Summary: o.Summary(), ValidUntil: o.LastDay(s.opts.Location)}
		}
	}
	var buf bytes.Buffer
	out := make([]Message, len(ds))
	for i, d := range ds {
		data := Data{CustomerID: d.CustomerID, Name: names[d.CustomerID], Code: d.Code, Offer: od, Campaign: c.Name,
			Unsubscribe: s.UnsubscribeURL(c.Name, d.CustomerID, ch)}
		if ch == Email {
			data.Email = to[d.CustomerID]
		}
		if s.opts.Recommend != nil {
			if data.Recommendations, err = s.opts.Recommend.Recommend(ctx, d.CustomerID, 3); err != nil {
				return nil, fmt.Errorf("recommend for customer %d: %w", d.CustomerID, err)
			}
		}
		subject, body, script, err := tps.render(&data, &buf)
		if err != nil {
			return nil, fmt.Errorf("render the message of campaign %q to customer %d: %w", c.Name, d.CustomerID, err)
		}
		out[i] = Message{Key: Key(c.Name, d.CustomerID, d.Step), Campaign: c.Name, Step: d.Step, CustomerID: d.CustomerID, Channel: ch,
			To: to[d.CustomerID], Subject: subject, Body: body, Script: script, Offer: d.Offer, Code: d.Code, Unsubscribe: data.Unsubscribe}
	}
	return out, nil
}

// names reads the customers' names for templates.
func (s *Service) names(ctx context.Context, ids []int64) (map[int64]string, error) {
	names, err := s.opts.Store.AttributeOf(ctx, "name", ids)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range ids {
		if names[id] == "" {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		first, err := s.opts.Store.AttributeOf(ctx, "first_name", missing)
		if err != nil {
			return nil, err
		}
		for _, id := range missing {
			if n := first[id]; n != "" {
				names[id] = n
			} else {
				names[id] = "customer"
			}
		}
	}
	return names, nil
}

// journeys polls for the events that trigger journeys until ctx ends.
func (s *Service) journeys(ctx context.Context) {
	last := map[string]time.Time{}
	t := time.NewTicker(s.opts.PollEvery)
	defer t.Stop()
	for {
		if err := s.pollJourneys(ctx, last); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("journeys", "error", err)
		}
		if err := s.pollPeriods(ctx); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("recurring campaigns", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type runningCampaign struct {
	c   Saved
	run store.CampaignRun
}

// running lists the campaigns launched and running, with their runs.
func (s *Service) running(ctx context.Context) ([]runningCampaign, error) {
	var out []runningCampaign
	for _, c := range s.List() {
		run, err := s.opts.Store.CampaignRun(ctx, c.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if run.State == store.RunRunning {
			out = append(out, runningCampaign{c, run})
		}
	}
	return out, nil
}
