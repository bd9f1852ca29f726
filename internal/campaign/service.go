package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/definition"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// DefinitionKind is the kind of campaign definitions in the store.
const DefinitionKind = "campaign"

// Store is what campaigns keep and read; a store.Store implements it.
type Store interface {
	store.Marketing
	ScanEvents(ctx context.Context, from, to time.Time, fn func(e *store.Event) error) error
	Orders(ctx context.Context, customerID int64, asOf time.Time, limit int) ([]store.Order, error)
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
}

// Lists tells a customer's admission; *admission.Engine implements it.
type Lists interface {
	Check(customerID int64) (admission.Decision, bool)
}

// Options configure a Service.
type Options struct {
	Store     Store          // required
	Offers    *offer.Engine  // required when campaigns carry offers
	Audience  offer.Audience // required: evaluates audience rules and segments
	Lists     Lists          // nil: no admission lists
	Rules     contact.Rules  // caps, quiet hours, consent; zero: contact.DefaultRules
	Location  *time.Location // time zone of customers without one; UTC when nil
	Senders   map[string]Sender
	Queue     Queue        // nil: a MemQueue
	Holdout   Holdout      // nil: Measure decides
	Features  Features     // feature columns for uplift models; nil: campaigns cannot have one
	Measure   *Measurement // holdouts and uplift models; nil: no holdout unless a campaign sets one
	Recommend Recommender  // nil: no recommendations
	// Secret signs unsubscribe links and derives unique codes (required).
	Secret []byte
	// PublicURL is the base of unsubscribe links, e.g. https://shop.example/sagitta.
	PublicURL string
	// PollEvery: how often Run looks for the events that trigger journeys (default 5 s).
	PollEvery time.Duration
	Logger    *slog.Logger
	Clock     func() time.Time
	Batch     int           // customers per job; default 500
	SendChunk int           // messages sent between two records of their outcome; default 64
	Workers   int           // jobs dispatched at once; default 4
	Retry     time.Duration // first retry delay of a failed send; default 1 s, doubling up to 10 min
	MaxTries  int           // sends of one message before it is marked failed; default 12
	// StaleAfter: a delivery pending for longer is taken as abandoned by
	// a dispatcher that died, and sent again (default 30 s).
	StaleAfter time.Duration
	// RecoverEvery: how often Run looks for work left by others (default 10 s).
	RecoverEvery time.Duration
	// JournalDir keeps the acceptance journals of the chunks in flight
	// (see AckSender): a crashed dispatcher's messages that the receiver
	// accepted are then not sent again. It must be local to the process
	// that dispatches (DATA_DIR/inflight), also with a shared store.
	// "": no journal (up to a chunk per worker is sent again after a crash).
	JournalDir string
	// LoadRules, when set, is asked every RecoverEvery for the contact
	// rules in force; a change applies to the sends decided afterwards.
	LoadRules func(ctx context.Context) (contact.Rules, error)
}

// Service keeps campaigns, previews, launches and dispatches them.
type Service struct {
	opts  Options
	guard atomic.Pointer[contact.Guard]
	mu    sync.RWMutex // guards opts.Senders
	camps *definition.Set[Campaign]
	wake  chan string // a campaign changed state
	runMu sync.Mutex
	live  map[string]int // jobs queued or running per campaign, in this process
	// periods: the last period of each recurring campaign queued by this process
	periods map[string]int
	done    *sync.Cond
	loop    loopState // uplift models and rival audiences (arbitrate.go)
	// journalMu: one recovery of acceptance journals at a time
	journalMu sync.Mutex
	// idle: empty acceptance journals for the next chunks (journal.go)
	idleMu sync.Mutex
	idle   []*journal
}

// Saved is a campaign as stored.
type Saved struct {
	Campaign
	definition.Meta
}

func saved(e definition.Entry[Campaign]) Saved { return Saved{Campaign: e.Value, Meta: e.Meta} }

// New returns a Service; call Load, then Run to dispatch.
func New(opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Rules.Caps == nil && opts.Rules.QuietStart == "" && opts.Rules.OptOutOnly == nil {
		opts.Rules = contact.DefaultRules()
	}
	if opts.Queue == nil {
		opts.Queue = NewMemQueue(opts.Clock)
	}
	if opts.Batch <= 0 {
		opts.Batch = 500
	}
	if opts.SendChunk <= 0 {
		opts.SendChunk = 64
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Retry <= 0 {
		opts.Retry = time.Second
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = 12
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 30 * time.Second
	}
	if opts.RecoverEvery <= 0 {
		opts.RecoverEvery = 10 * time.Second
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 5 * time.Second
	}
	if len(opts.Secret) < 16 {
		return nil, errors.New("campaign service: a secret of at least 16 bytes is required")
	}
	if opts.Senders == nil {
		opts.Senders = map[string]Sender{}
	}
	g, err := contact.NewGuard(opts.Rules, opts.Location, blackLists{opts.Lists})
	if err != nil {
		return nil, err
	}
	s := &Service{opts: opts, camps: definition.NewSet(DefinitionKind, func(c *Campaign, name string) { c.Name = name }), live: map[string]int{}, periods: map[string]int{}}
	s.guard.Store(g)
	s.done = sync.NewCond(&s.runMu)
	return s, nil
}

// blackLists serves the black list to the guard.
type blackLists struct{ l Lists }

func (b blackLists) Black(id int64) (string, bool) {
	if b.l == nil {
		return "", false
	}
	d, ok := b.l.Check(id)
	if ok && d.List == store.ListBlack {
		return d.Reason, true
	}
	return "", false
}

// Guard returns the contact guard of the service.
func (s *Service) Guard() *contact.Guard { return s.guard.Load() }

// reloadRules applies the contact rules LoadRules gives, when they changed.
func (s *Service) reloadRules(ctx context.Context) error {
	if s.opts.LoadRules == nil {
		return nil
	}
	r, err := s.opts.LoadRules(ctx)
	if err != nil {
		return err
	}
	if reflect.DeepEqual(r, s.guard.Load().Rules()) {
		return nil
	}
	g, err := contact.NewGuard(r, s.opts.Location, blackLists{s.opts.Lists})
	if err != nil {
		return err
	}
	s.guard.Store(g)
	s.opts.Logger.Info("contact rules changed")
	return nil
}

// Load reads the campaigns from the store.
func (s *Service) Load(ctx context.Context) error {
	return s.camps.Load(ctx, s.opts.Store)
}

// Save validates and stores a campaign; a launched campaign cannot change.
func (s *Service) Save(ctx context.Context, c Campaign, author string) (Saved, error) {
	if err := c.Validate(); err != nil {
		return Saved{}, err
	}
	if c.Offer != "" {
		if s.opts.Offers == nil {
			return Saved{}, &FieldError{Campaign: c.Name, Field: "offer", Problem: "offers are not available"}
		}
		if _, err := s.opts.Offers.Get(c.Offer); err != nil {
			return Saved{}, &FieldError{Campaign: c.Name, Field: "offer", Problem: err.Error()}
		}
	}
	if c.Trigger != nil {
		if _, err := s.journeyRule(&c); err != nil {
			return Saved{}, err
		}
	} else if _, err := s.audienceRule(&c); err != nil {
		return Saved{}, err
	}
	if err := s.checkModel(ctx, &c); err != nil {
		return Saved{}, err
	}
	if _, err := s.opts.Store.CampaignRun(ctx, c.Name); err == nil {
		return Saved{}, fmt.Errorf("campaign %q has been launched and cannot change; save it under a new name: %w", c.Name, ErrState)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Saved{}, err
	}
	en, err := s.camps.Save(ctx, s.opts.Store, c.Name, c, author, s.opts.Clock())
	if err != nil {
		return Saved{}, err
	}
	return saved(en), nil
}

// Get returns a campaign.
func (s *Service) Get(name string) (Saved, error) {
	en, ok := s.camps.Get(name)
	if !ok {
		return Saved{}, fmt.Errorf("campaign %q: %w", name, ErrNotFound)
	}
	return saved(en), nil
}

// List returns the campaigns by name.
func (s *Service) List() []Saved {
	es := s.camps.List()
	out := make([]Saved, len(es))
	for i, en := range es {
		out[i] = saved(en)
	}
	return out
}

func (s *Service) audienceRule(c *Campaign) (string, error) {
	var parts []string
	if c.Segment != "" {
		r, err := s.opts.Audience.SegmentRule(c.Segment)
		if err != nil {
			return "", &FieldError{Campaign: c.Name, Field: "segment", Problem: err.Error()}
		}
		parts = append(parts, "("+r+")")
	}
	if c.Rule != "" {
		if err := s.opts.Audience.Check(c.Rule); err != nil {
			return "", &FieldError{Campaign: c.Name, Field: "rule", Problem: err.Error()}
		}
		parts = append(parts, "("+c.Rule+")")
	}
	if len(parts) == 1 {
		return parts[0][1 : len(parts[0])-1], nil
	}
	return parts[0] + " and " + parts[1], nil
}

// Drops counts the customers a step leaves out, by reason.
type Drops map[string]int64

// Audience is a campaign's audience, materialized.
type Audience struct {
	IDs   []int64 // ascending
	Size  int64   // customers the segment or rule selects
	Drops Drops   // left out before sending: admission lists, holdout, offer validity
	// Held are the customers held out (ascending); Holdout describes them.
	Held    []int64
	Holdout *HoldoutPreview
	// Target is the targeting plan that restricted IDs ("": none);
	// Untargeted the eligible customers it left out (ascending).
	Target     string
	Untargeted []int64
}

// Materialize evaluates the audience: the segment or rule, the offer's
// eligibility, the admission lists (black never; grey held for review
// unless IncludeGrey) and the holdout.
func (s *Service) Materialize(ctx context.Context, c *Campaign) (Audience, error) {
	src, err := s.audienceRule(c)
	if err != nil {
		return Audience{}, err
	}
	ids, err := s.opts.Audience.Select(ctx, src)
	if err != nil {
		return Audience{}, fmt.Errorf("select the audience of campaign %q: %w", c.Name, err)
	}
	a := Audience{Size: int64(len(ids)), Drops: Drops{}}
	if c.Offer != "" {
		p, err := s.opts.Offers.Select(ctx, c.Offer, ids)
		if err != nil {
			return Audience{}, err
		}
		if p.Invalid {
			a.Drops[offer.CheckValidity] = int64(len(ids))
			return a, nil
		}
		a.Drops["admission_black"] = int64(p.Black)
		ids = p.Eligible
		if c.IncludeGrey {
			ids = merge(ids, p.GreyIDs)
		} else {
			a.Drops["admission_grey"] = int64(p.Grey)
		}
		a.Drops[offer.CheckRule] = a.Size - int64(len(p.Eligible)+p.Black+p.Grey)
	} else if s.opts.Lists != nil {
		out := ids[:0:0]
		for _, id := range ids {
			if d, ok := s.opts.Lists.Check(id); ok {
				if d.List == store.ListBlack {
					a.Drops["admission_black"]++
					continue
				}
				if d.List == store.ListGrey && !c.IncludeGrey {
					a.Drops["admission_grey"]++
					continue
				}
			}
			out = append(out, id)
		}
		ids = out
	}
	kept, held, hp, err := s.holdout(c, ids)
	if err != nil {
		return Audience{}, err
	}
	ids, a.Held, a.Holdout = kept, held, hp
	a.Drops["holdout"] = int64(len(held))
	for k, v := range a.Drops {
		if v == 0 {
			delete(a.Drops, k)
		}
	}
	a.IDs = ids
	return a, nil
}

func merge(a, b []int64) []int64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return out
}

// Status is where a campaign stands.
type Status struct {
	Campaign   string           `json:"campaign"`
	State      string           `json:"state"` // draft, running, paused, done
	Audience   int64            `json:"audience"`
	LaunchedAt time.Time        `json:"launched_at,omitzero"`
	Deliveries map[string]int64 `json:"deliveries"` // by state: pending, sent, failed, dropped
	Remaining  int64            `json:"remaining"`  // audience members without a delivery yet
}

// Status reports a campaign's state and counts.
func (s *Service) Status(ctx context.Context, name string) (Status, error) {
	if _, err := s.Get(name); err != nil {
		return Status{}, err
	}
	st := Status{Campaign: name, State: "draft", Deliveries: map[string]int64{}}
	run, err := s.opts.Store.CampaignRun(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return Status{}, err
	}
	st.State, st.Audience, st.LaunchedAt = run.State, run.Size, run.LaunchedAt
	if st.Deliveries, err = s.opts.Store.DeliveryCounts(ctx, name); err != nil {
		return Status{}, err
	}
	var n int64
	for _, v := range st.Deliveries {
		n += v
	}
	st.Remaining = max(0, st.Audience-n)
	return st, nil
}

// Launch materializes and freezes the audience in the store, marks the
// campaign running and queues its customers. A campaign launches once.
func (s *Service) Launch(ctx context.Context, name string) (Status, error) {
	return s.LaunchWith(ctx, name, LaunchOptions{})
}

// LaunchWith is Launch with options (budgeted targeting, target.go).
func (s *Service) LaunchWith(ctx context.Context, name string, lo LaunchOptions) (Status, error) {
	c, err := s.Get(name)
	if err != nil {
		return Status{}, err
	}
	if err := c.Validate(); err != nil { // templates may refer to fields that no longer exist
		return Status{}, err
	}
	if err := s.checkChannels(&c.Campaign); err != nil {
		return Status{}, err
	}
	if _, err := s.opts.Store.CampaignRun(ctx, name); err == nil {
		return Status{}, fmt.Errorf("campaign %q was launched already (see its status; pause or resume it): %w", name, ErrState)
	} else if !errors.Is(err, store.ErrNotFound) {
		return Status{}, err
	}
	if c.Trigger != nil { // a journey: its customers come with their events
		now := s.opts.Clock().UTC().Truncate(time.Microsecond)
		run := store.CampaignRun{Campaign: name, State: store.RunRunning, LaunchedAt: now, UpdatedAt: now}
		if err := s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error { return tx.PutCampaignRun(ctx, run) }); err != nil {
			return Status{}, fmt.Errorf("launch journey %q: %w", name, err)
		}
		return Status{Campaign: name, State: store.RunRunning, LaunchedAt: now, Deliveries: map[string]int64{}}, nil
	}
	a, err := s.Materialize(ctx, &c.Campaign)
	if err != nil {
		return Status{}, err
	}
	if lo.Target != "" {
		if err := s.applyTarget(ctx, &c.Campaign, &a, lo); err != nil {
			return Status{}, err
		}
	}
	bm := roaring64.New()
	bm.AddMany(toUint64(a.IDs))
	bm.RunOptimize()
	blob, err := bm.MarshalBinary()
	if err != nil {
		return Status{}, fmt.Errorf("launch campaign %q: %w", name, err)
	}
	now := s.opts.Clock().UTC().Truncate(time.Microsecond)
	arms, err := s.saveArms(ctx, &c, &a, now)
	if err != nil {
		return Status{}, err
	}
	run := store.CampaignRun{Campaign: name, State: store.RunRunning, Audience: blob, Size: int64(len(a.IDs)), LaunchedAt: now, UpdatedAt: now}
	if err := s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		if err := tx.PutCampaignRun(ctx, run); err != nil {
			return err
		}
		return s.recordHoldout(ctx, tx, &c, a.Held, arms.TouchAt)
	}); err != nil {
		return Status{}, fmt.Errorf("launch campaign %q: %w", name, err)
	}
	s.loop.forget(name) // rivals see it running now
	first := ""
	if c.Every != 0 {
		first = periodStep(0)
		s.runMu.Lock()
		s.periods[name] = 0
		s.runMu.Unlock()
	}
	if err := s.enqueueStep(ctx, name, a.IDs, c.StartAt, first); err != nil {
		return Status{}, err
	}
	s.opts.Logger.Info("campaign launched", "campaign", name, "audience", len(a.IDs), "holdout", len(a.Held))
	return Status{Campaign: name, State: store.RunRunning, Audience: int64(len(a.IDs)), LaunchedAt: now,
		Deliveries: map[string]int64{}, Remaining: int64(len(a.IDs))}, nil
}

func toUint64(ids []int64) []uint64 {
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = uint64(id)
	}
	return out
}

// enqueue queues the ids in jobs of Batch customers.
func (s *Service) enqueue(ctx context.Context, name string, ids []int64, notBefore time.Time) error {
	return s.enqueueStep(ctx, name, ids, notBefore, "")
}

func (s *Service) enqueueStep(ctx context.Context, name string, ids []int64, notBefore time.Time, step string) error {
	for from := 0; from < len(ids); from += s.opts.Batch {
		j := Job{Campaign: name, IDs: ids[from:min(from+s.opts.Batch, len(ids))], NotBefore: notBefore, Step: step}
		if err := s.publish(ctx, j); err != nil {
			return fmt.Errorf("queue campaign %q: %w", name, err)
		}
	}
	return nil
}

func (s *Service) publish(ctx context.Context, j Job) error {
	s.runMu.Lock()
	s.live[j.Campaign]++
	s.runMu.Unlock()
	if err := s.opts.Queue.Publish(ctx, j); err != nil {
		s.finished(j.Campaign)
		return err
	}
	return nil
}

func (s *Service) finished(campaign string) {
	s.runMu.Lock()
	s.live[campaign]--
	if s.live[campaign] <= 0 {
		delete(s.live, campaign)
	}
	s.runMu.Unlock()
	s.done.Broadcast()
}

// setState changes the state of a launched campaign.
func (s *Service) setState(ctx context.Context, name, from, to string) error {
	return s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		run, err := tx.CampaignRun(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("campaign %q has not been launched: %w", name, ErrState)
		}
		if err != nil {
			return err
		}
		if run.State != from {
			return fmt.Errorf("campaign %q is %s, not %s: %w", name, run.State, from, ErrState)
		}
		run.State, run.UpdatedAt = to, s.opts.Clock().UTC().Truncate(time.Microsecond)
		return tx.PutCampaignRun(ctx, run)
	})
}

// Pause stops sending; queued jobs are dropped as they come and Resume
// queues what is left.
func (s *Service) Pause(ctx context.Context, name string) error {
	if _, err := s.Get(name); err != nil {
		return err
	}
	return s.setState(ctx, name, store.RunRunning, store.RunPaused)
}

// Resume continues a paused campaign.
func (s *Service) Resume(ctx context.Context, name string) error {
	c, err := s.Get(name)
	if err != nil {
		return err
	}
	if err := s.checkChannels(&c.Campaign); err != nil {
		return err
	}
	if err := s.setState(ctx, name, store.RunPaused, store.RunRunning); err != nil {
		return err
	}
	if _, err := s.recoverJournals(ctx); err != nil {
		return err
	}
	return s.recoverOne(ctx, name, s.opts.StaleAfter)
}

// ResumeAfterCrash queues what is left of a running campaign now, sending
// every pending delivery again (same key) but those a leftover acceptance
// journal lists as accepted (recorded as sent): for an operator who knows
// no other dispatcher is working on it.
func (s *Service) ResumeAfterCrash(ctx context.Context, name string) error {
	c, err := s.Get(name)
	if err != nil {
		return err
	}
	if err := s.checkChannels(&c.Campaign); err != nil {
		return err
	}
	if _, err := s.recoverJournals(ctx); err != nil {
		return err
	}
	return s.recoverOne(ctx, name, 0)
}

// ReadySender is a Sender that can tell before sending anything that it
// cannot send, its settings being wrong (a webhook secret too short, say).
// Launch and resume refuse a campaign on such a channel with the reason;
// everything that only reads campaigns works regardless.
type ReadySender interface {
	Sender
	Ready() error
}

// checkChannels reports a channel of c that has no sender here or whose
// sender is not ready.
func (s *Service) checkChannels(c *Campaign) error {
	for _, ch := range c.Channels {
		if ch == Call {
			continue
		}
		snd := s.sender(ch)
		if snd == nil {
			return &FieldError{Campaign: c.Name, Field: "channels", Problem: fmt.Sprintf("channel %q is not configured here (see SAGITTA_SMTP_ADDR, SAGITTA_SMS_WEBHOOK, SAGITTA_PUSH_WEBHOOK)", ch)}
		}
		if r, ok := snd.(ReadySender); ok {
			if err := r.Ready(); err != nil {
				return &FieldError{Campaign: c.Name, Field: "channels", Problem: fmt.Sprintf("channel %q cannot send: %v", ch, err)}
			}
		}
	}
	return nil
}

// SetSender sets (or, with nil, removes) the sender of a channel.
func (s *Service) SetSender(channel string, snd Sender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	senders := maps.Clone(s.opts.Senders)
	if snd == nil {
		delete(senders, channel)
	} else {
		senders[channel] = snd
	}
	s.opts.Senders = senders
}

func (s *Service) sender(channel string) Sender {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.opts.Senders[channel]
}
