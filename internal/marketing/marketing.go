package marketing

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/email"
	"github.com/sagitta-dev/sagitta/internal/channel/webhook"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Config are the channel settings.
type Config struct {
	SMTPAddr, SMTPFrom, SMTPUser, SMTPPassword, SMTPTLS string
	SMTPConns                                           int
	SMTPTLSConfig                                       *tls.Config // nil: system roots
	WebhookTimeout                                      time.Duration
	Retry                                               time.Duration // first retry delay of failed sends
	PollEvery                                           time.Duration // how often journeys look for trigger events
	SMSWebhook, PushWebhook, WebhookSecret              string
	PublicURL                                           string
	Workers, Batch, SendChunk                           int
	Holdout                                             campaign.Holdout
	// Measure configures holdouts (default 10% per campaign, a global
	// holdout) and uplift models; nil: no holdout unless a campaign sets
	// one. FromEnv always sets it.
	Measure   *campaign.Measurement
	Recommend campaign.Recommender
	Logger    *slog.Logger
	Clock     func() time.Time
	Location  *time.Location
	// DataDir of the dispatching process: its acceptance journals go to
	// DataDir/inflight ("": none; see campaign.Options.JournalDir).
	DataDir string
}

// FromEnv reads the settings from SAGITTA_* variables.
func FromEnv(getenv func(string) string) Config {
	return Config{
		SMTPAddr: getenv("SAGITTA_SMTP_ADDR"), SMTPFrom: getenv("SAGITTA_SMTP_FROM"), SMTPUser: getenv("SAGITTA_SMTP_USER"),
		SMTPPassword: getenv("SAGITTA_SMTP_PASSWORD"), SMTPTLS: getenv("SAGITTA_SMTP_TLS"),
		SMSWebhook: getenv("SAGITTA_SMS_WEBHOOK"), PushWebhook: getenv("SAGITTA_PUSH_WEBHOOK"), WebhookSecret: getenv("SAGITTA_WEBHOOK_SECRET"),
		PublicURL: getenv("SAGITTA_PUBLIC_URL"),
		Measure:   &campaign.Measurement{Salt: getenv("SAGITTA_HOLDOUT_SALT")},
	}
}

// MeasureFromEnv reads SAGITTA_HOLDOUT_PERCENT (the default holdout of a
// campaign, 10 when unset) and SAGITTA_GLOBAL_HOLDOUT (the share held out of
// every campaign, 0 when unset) into m.
func MeasureFromEnv(m *campaign.Measurement, getenv func(string) string) error {
	for _, v := range []struct {
		name string
		dst  func(float64)
	}{{"SAGITTA_HOLDOUT_PERCENT", func(f float64) { m.DefaultPercent = &f }}, {"SAGITTA_GLOBAL_HOLDOUT", func(f float64) { m.Global = f }}} {
		s := strings.TrimSpace(getenv(v.name))
		if s == "" {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil || f < 0 || f >= 100 {
			return fmt.Errorf("environment variable %s: want a percentage from 0 to less than 100, got %q", v.name, s)
		}
		v.dst(f)
	}
	return nil
}

// Service is offers, policy and campaigns over one store.
type Service struct {
	Store     store.Store
	Insight   *insight.Service
	Offers    *offer.Engine
	Campaigns *campaign.Service
	SMTP      *email.Sender // nil when not configured
	cfg       Config
	mu        sync.RWMutex
	policy    offer.Policy
}

// secretKind keeps the signing secret of unsubscribe links and codes.
const secretKind = "secret"

// RulesKind is the definition kind of the contact rules (one, "default").
const RulesKind = "contact_rules"

func loadSecret(ctx context.Context, st store.Store, now time.Time) ([]byte, error) {
	h, err := st.DefinitionHistory(ctx, secretKind, "marketing")
	if err == nil && len(h) > 0 {
		return h[0].Body, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	if _, err := st.PutDefinition(ctx, store.Definition{Kind: secretKind, Name: "marketing", Body: b, CreatedAt: now, Author: "sagitta"}); err != nil {
		return nil, err
	}
	h, err = st.DefinitionHistory(ctx, secretKind, "marketing")
	if err != nil {
		return nil, err
	}
	return h[0].Body, nil // the first one wins if two processes raced
}

// LoadRules returns the stored contact rules, or the defaults.
func LoadRules(ctx context.Context, st store.Store) (contact.Rules, error) {
	h, err := st.DefinitionHistory(ctx, RulesKind, "default")
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(h) == 0) {
		return contact.DefaultRules(), nil
	}
	if err != nil {
		return contact.Rules{}, err
	}
	var r contact.Rules
	if err := json.Unmarshal(h[len(h)-1].Body, &r); err != nil {
		return contact.Rules{}, fmt.Errorf("load contact rules: %w", err)
	}
	return r, r.Validate()
}

// SaveRules validates and stores the contact rules; they apply to
// services opened afterwards.
func SaveRules(ctx context.Context, st store.Store, r contact.Rules, author string, now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	body, _ := json.Marshal(r)
	_, err := st.PutDefinition(ctx, store.Definition{Kind: RulesKind, Name: "default", Body: body, CreatedAt: now.UTC().Truncate(time.Microsecond), Author: author})
	return err
}

// Open builds the service; configured channels get senders.
func Open(ctx context.Context, st store.Store, in *insight.Service, cfg Config) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	now := cfg.Clock().UTC().Truncate(time.Microsecond)
	secret, err := loadSecret(ctx, st, now)
	if err != nil {
		return nil, fmt.Errorf("load the signing secret: %w", err)
	}
	aud := offer.NewAudience(in)
	s := &Service{Store: st, Insight: in, cfg: cfg}
	s.Offers = offer.New(offer.Options{Store: st, Audience: aud, Lists: in.Lists, Logger: cfg.Logger, Clock: cfg.Clock, Location: cfg.Location})
	if err := s.Offers.Load(ctx); err != nil {
		return nil, err
	}
	if s.policy, err = offer.LoadPolicy(ctx, st); err != nil {
		return nil, err
	}
	rules, err := LoadRules(ctx, st)
	if err != nil {
		return nil, err
	}
	senders := map[string]campaign.Sender{}
	if cfg.SMTPAddr != "" {
		if s.SMTP, err = email.New(email.Options{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUser, Password: cfg.SMTPPassword,
			TLS: cfg.SMTPTLS, Conns: cfg.SMTPConns, TLSConfig: cfg.SMTPTLSConfig}); err != nil {
			return nil, err
		}
		senders[campaign.Email] = s.SMTP
	}
	for ch, url := range map[string]string{campaign.SMS: cfg.SMSWebhook, campaign.Push: cfg.PushWebhook} {
		if url == "" {
			continue
		}
		if n := len(cfg.WebhookSecret); n < webhook.MinSecret {
			// only sending needs the secret: campaigns can still be listed,
			// shown and reported on, and launch says what to fix
			senders[ch] = unusable{fmt.Errorf("SAGITTA_WEBHOOK_SECRET must be at least %d bytes to sign %s webhooks (it is %d); "+
				"set a longer one, e.g. openssl rand -hex 32", webhook.MinSecret, ch, n)}
			continue
		}
		w, err := webhook.New(webhook.Options{URL: url, Secret: []byte(cfg.WebhookSecret), Timeout: cfg.WebhookTimeout, Backoff: cfg.Retry})
		if err != nil {
			return nil, fmt.Errorf("%s webhook: %w", ch, err)
		}
		senders[ch] = w
	}
	journal := ""
	if cfg.DataDir != "" {
		journal = filepath.Join(cfg.DataDir, "inflight")
	}
	s.Campaigns, err = campaign.New(campaign.Options{Store: st, JournalDir: journal, Offers: s.Offers, Audience: aud, Lists: in.Lists, Rules: rules,
		Location: cfg.Location, Senders: senders, Holdout: cfg.Holdout, Measure: cfg.Measure, Features: features{in}, Recommend: cfg.Recommend, Secret: secret, PublicURL: cfg.PublicURL,
		LoadRules: func(ctx context.Context) (contact.Rules, error) { return LoadRules(ctx, st) },
		Logger:    cfg.Logger, Clock: cfg.Clock, Workers: cfg.Workers, Batch: cfg.Batch, SendChunk: cfg.SendChunk, Retry: cfg.Retry, PollEvery: cfg.PollEvery})
	if err != nil {
		return nil, err
	}
	if err := s.Campaigns.Load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Policy returns the differentiated-offer table in force.
func (s *Service) Policy() offer.Policy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.policy
}

// SetPolicy validates, stores and applies a new policy table.
func (s *Service) SetPolicy(ctx context.Context, p offer.Policy, author string) (int, error) {
	v, err := offer.SavePolicy(ctx, s.Store, p, author, s.cfg.Clock())
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.policy = p
	s.mu.Unlock()
	return v, nil
}

// View is the unified policy view of one customer for assisted channels
// (store, hotline, call centre): the offers they may get now, best first,
// with scripts, and their recent contacts on every channel (only those they
// received or answered: no holdout or arbitration rows, see Received).
type View struct {
	offer.Best
	Contacts []store.Contact `json:"recent_contacts"`
}

// NextBestOffers assembles the view.
func (s *Service) NextBestOffers(ctx context.Context, id int64, contacts int, withRefused bool) (View, error) {
	p := s.Policy()
	b, err := s.Offers.Best(ctx, id, &p, withRefused)
	if err != nil {
		return View{}, err
	}
	// all of the history, then the received ones: holdout and arbitration
	// rows may be the newest (a customer's history is short: caps bound it)
	all, err := s.Store.Contacts(ctx, id, time.Time{}, 0)
	if err != nil {
		return View{}, err
	}
	cs := []store.Contact{}
	for _, c := range all {
		if contacts > 0 && len(cs) == contacts {
			break
		}
		if Received(c) {
			cs = append(cs, c)
		}
	}
	return View{Best: b, Contacts: cs}, nil
}

// Received reports whether a row of the contact history is a contact the
// customer received or a response of theirs, not a record the engine keeps
// for measurement: a holdout (the customer was kept out of a campaign) or
// an arbitration decision (another campaign won them) reached nobody.
func Received(c store.Contact) bool {
	return c.Kind != campaign.ContactHoldout && c.Kind != campaign.ContactArbitration
}

// unusable stands for a channel whose settings are wrong: it is not ready,
// so launch and resume refuse campaigns on it, and a send (by a campaign
// launched before the settings changed) fails with the reason, to be
// retried once they are fixed.
type unusable struct{ err error }

func (u unusable) Ready() error { return u.err }

func (u unusable) Send(_ context.Context, msgs []campaign.Message) []error {
	errs := make([]error, len(msgs))
	for i := range errs {
		errs[i] = u.err
	}
	return errs
}
