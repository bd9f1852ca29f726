package campaign_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// consentEvent is one change of a customer's consent, as the test made it.
type consentEvent struct {
	at     time.Time
	status string
}

// TestCapsAndConsentProperty runs random schedules — campaigns on random
// audiences and channels, launched at random instants, with consent
// changes and unsubscribes in between — and checks against the shared
// history that no frequency cap was ever exceeded and nothing was sent on
// a channel without consent at the time of the send.
func TestCapsAndConsentProperty(t *testing.T) {
	rules := contact.Rules{Caps: []contact.Cap{
		{Channel: "email", Max: 1, Window: contact.Duration(24 * time.Hour)},
		{Channel: "*", Max: 2, Window: contact.Duration(72 * time.Hour)},
		{Channel: "*", Max: 3, Window: contact.Duration(7 * 24 * time.Hour)},
	}}
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 42))
			var mu sync.Mutex
			now := markettest.AsOf
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			tweak := func(c *marketing.Config) { c.Clock = clock; c.Batch = 16 }
			var f *fixture
			if seed == 4 { // one schedule on PostgreSQL
				st, in := markettest.ShopIn(t, markettest.Postgres(t), t.TempDir(), 80)
				f = newFixtureOn(t, st, in, 80, tweak)
			} else {
				f = newFixture(t, 80, tweak)
			}
			if err := marketing.SaveRules(t.Context(), f.st, rules, "test", now); err != nil {
				t.Fatal(err)
			}
			// reopen with the rules in force
			f.m = reopen(t, f, clock)
			ids, _ := f.st.CustomerIDs(t.Context())
			consents := map[string][]consentEvent{} // "id/channel" -> changes after the fixture's
			for i, id := range ids {
				email := store.ConsentOptIn
				if i%10 == 9 {
					email = store.ConsentOptOut
				}
				consents[fmt.Sprint(id, "/email")] = []consentEvent{{markettest.AsOf.AddDate(-1, 0, 0), email}}
				if i%2 == 0 {
					consents[fmt.Sprint(id, "/sms")] = []consentEvent{{markettest.AsOf.AddDate(-1, 0, 0), store.ConsentOptIn}}
				}
			}
			audiences := []string{"frequency >= 1", "frequency >= 0", "monetary > 30", "frequency >= 2"}
			chans := [][]string{{"email"}, {"sms"}, {"email", "sms"}, {"sms", "email"}}
			for step := range 14 {
				mu.Lock()
				now = now.Add(time.Duration(r.IntN(40)) * time.Hour)
				at := now
				mu.Unlock()
				// consent changes and unsubscribes
				for range r.IntN(6) {
					id := ids[r.IntN(len(ids))]
					ch := []string{"email", "sms"}[r.IntN(2)]
					k := fmt.Sprint(id, "/", ch)
					if r.IntN(2) == 0 {
						link := f.m.Campaigns.UnsubscribeURL("any", id, ch)
						u, _ := url.Parse(link)
						if _, _, err := f.m.Campaigns.Unsubscribe(t.Context(), u.Query().Get("t")); err != nil {
							t.Fatal(err)
						}
						consents[k] = append(consents[k], consentEvent{at, store.ConsentOptOut})
						continue
					}
					st := []string{store.ConsentOptIn, store.ConsentOptOut}[r.IntN(2)]
					err := f.st.Update(t.Context(), func(tx store.Tx) error {
						_, err := tx.PutConsent(t.Context(), store.Consent{CustomerID: id, Channel: ch, Status: st, At: at, Source: "test"})
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					consents[k] = append(consents[k], consentEvent{at, st})
				}
				c := campaign.Campaign{Name: fmt.Sprint("c", step), Rule: audiences[r.IntN(len(audiences))], Channels: chans[r.IntN(len(chans))],
					Subject: "s", Body: "b"}
				f.run(t, c)
			}
			checkHistory(t, f, ids, rules, consents)
		})
	}
}

func reopen(t *testing.T, f *fixture, clock func() time.Time) *marketing.Service {
	t.Helper()
	in := f.m.Insight
	m, err := marketing.Open(t.Context(), f.st, in, marketing.Config{SMTPAddr: f.mb.Addr, SMTPFrom: "shop@example.org", SMTPUser: "sagitta",
		SMTPPassword: "s3cret", SMTPTLS: "starttls", SMTPTLSConfig: f.tls, SMSWebhook: f.hook.URL, WebhookSecret: hookSecret,
		PublicURL: "https://shop.example", Clock: clock, Batch: 16, Workers: 2, Retry: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// consentAt is the customer's decision for a channel at an instant.
func consentAt(evs []consentEvent, at time.Time) string {
	st := ""
	for _, e := range evs {
		if !e.at.After(at) {
			st = e.status
		}
	}
	return st
}

func checkHistory(t *testing.T, f *fixture, ids []int64, rules contact.Rules, consents map[string][]consentEvent) {
	t.Helper()
	total := 0
	for _, id := range ids {
		cs, err := f.st.Contacts(context.Background(), id, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		var sent []store.Contact
		for _, c := range cs {
			if c.Kind == store.ContactSent {
				sent = append(sent, c)
			}
		}
		sort.Slice(sent, func(i, j int) bool { return sent[i].At.Before(sent[j].At) })
		total += len(sent)
		for i, s := range sent {
			if st := consentAt(consents[fmt.Sprint(id, "/", s.Channel)], s.At); st != store.ConsentOptIn {
				t.Errorf("customer %d: %s sent at %s by %s while consent was %q", id, s.Channel, s.At, s.Campaign, st)
			}
			for _, c := range rules.Caps {
				n := 0
				for _, p := range sent[:i+1] {
					if (c.Channel == "*" || p.Channel == c.Channel) && s.At.Sub(p.At) < time.Duration(c.Window) {
						n++
					}
				}
				if n > c.Max {
					t.Errorf("customer %d: %d sends on %s within %s up to %s; the cap is %d", id, n, c.Channel, time.Duration(c.Window), s.At, c.Max)
				}
			}
		}
	}
	if total == 0 {
		t.Fatal("nothing was sent: the property holds vacuously")
	}
	t.Logf("%d sends checked", total)
}
