package campaign_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

const hookSecret = "0123456789abcdef0123456789abcdef"

type fixture struct {
	st   store.Store
	m    *marketing.Service
	mb   *markettest.Mailbox
	hook *markettest.Hook
	tls  *tls.Config
	n    int
}

// newFixture builds a shop of n customers, an SMTP server with STARTTLS
// and AUTH, a webhook receiver, and the marketing service over them.
func newFixture(t *testing.T, n int, tweak func(*marketing.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, in := markettest.Shop(t, dir, n)
	return newFixtureOn(t, st, in, n, tweak)
}

func newFixtureOn(t *testing.T, st store.Store, in *insight.Service, n int, tweak func(*marketing.Config)) *fixture {
	t.Helper()
	mb, tlsCfg := markettest.NewMailbox(t, "sagitta", "s3cret", true)
	hook := markettest.NewHook(t, []byte(hookSecret))
	start := time.Now()
	cfg := marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "shop@example.org", SMTPUser: "sagitta", SMTPPassword: "s3cret",
		SMTPTLS: "starttls", SMTPTLSConfig: tlsCfg, SMSWebhook: hook.URL, WebhookSecret: hookSecret, WebhookTimeout: 200 * time.Millisecond,
		PublicURL: "https://shop.example/sagitta", Retry: 20 * time.Millisecond, Batch: 50, Workers: 2,
		Clock: func() time.Time { return markettest.AsOf.Add(time.Since(start)) }}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := marketing.Open(t.Context(), st, in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, m: m, mb: mb, hook: hook, tls: tlsCfg, n: n}
}

func (f *fixture) offer(t *testing.T, o offer.Offer) {
	t.Helper()
	if o.ValidUntil.IsZero() {
		o.ValidUntil = markettest.AsOf.AddDate(0, 1, 0)
	}
	if _, err := f.m.Offers.Save(t.Context(), o, "test"); err != nil {
		t.Fatal(err)
	}
}

// run launches a campaign and dispatches until it is done.
func (f *fixture) run(t *testing.T, c campaign.Campaign) campaign.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := f.m.Campaigns.Save(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	dctx, stop := context.WithCancel(ctx)
	go func() { defer wg.Done(); f.m.Campaigns.Run(dctx) }()
	if _, err := f.m.Campaigns.Launch(ctx, c.Name); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Campaigns.Wait(ctx, c.Name); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	st, err := f.m.Campaigns.Status(ctx, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// expected lists the customers (by external index) the fixture's rule
// "frequency >= 1" selects with e-mail consent.
func buyersWithEmail(n int) map[string]bool {
	out := map[string]bool{}
	for i := range n {
		if i%3 != 0 && i%10 != 9 {
			out[fmt.Sprintf("c%d@example.org", i)] = true
		}
	}
	return out
}

func TestEmailCampaignExactlyOnce(t *testing.T) {
	testEmailCampaign(t, newFixture(t, 300, nil))
}

// The same campaign with PostgreSQL as the store.
func TestEmailCampaignExactlyOncePostgres(t *testing.T) {
	st, in := markettest.ShopIn(t, markettest.Postgres(t), t.TempDir(), 300)
	testEmailCampaign(t, newFixtureOn(t, st, in, 300, nil))
}

func testEmailCampaign(t *testing.T, f *fixture) {
	f.offer(t, offer.Offer{Name: "ten-off", Type: offer.CouponAmount, Amount: 10, BudgetCount: 1000, Rule: "frequency >= 1", Prefix: "TEN-"})
	st := f.run(t, campaign.Campaign{Name: "spring", Rule: "frequency >= 1", Offer: "ten-off", Channels: []string{campaign.Email},
		Subject: "A gift for you, {{.Name}}", Body: "Hello {{.Name}}, your code {{.Code}} gives {{.Offer.Summary}} until {{.Offer.ValidUntil}}.\nUnsubscribe: {{.Unsubscribe}}\n"})
	want := buyersWithEmail(300)
	mails := f.mb.Mails()
	seen := map[string]int{}
	codes := map[string]bool{}
	for _, m := range mails {
		seen[m.To]++
		if !want[m.To] {
			t.Errorf("mail to %s, who is not eligible or has no e-mail consent", m.To)
		}
		if !m.TLS || m.Auth != "sagitta" {
			t.Errorf("mail to %s: TLS %v, auth %q; want STARTTLS and AUTH", m.To, m.TLS, m.Auth)
		}
		lu := m.Header.Get("List-Unsubscribe")
		if !strings.HasPrefix(lu, "<https://shop.example/sagitta/v1/unsubscribe?t=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("mail to %s: List-Unsubscribe %q, List-Unsubscribe-Post %q", m.To, lu, m.Header.Get("List-Unsubscribe-Post"))
		}
		if !strings.Contains(m.Body, "Hello Customer ") || !strings.Contains(m.Body, "TEN-") || !strings.Contains(m.Body, "10 off") {
			t.Errorf("mail to %s: body %q", m.To, m.Body)
		}
		i := strings.Index(m.Body, "TEN-")
		codes[m.Body[i:i+16]] = true
	}
	for to := range want {
		if seen[to] != 1 {
			t.Errorf("%s got %d mails, want 1", to, seen[to])
		}
	}
	if len(mails) != len(want) || len(codes) != len(want) {
		t.Errorf("%d mails, %d distinct codes; want %d of each", len(mails), len(codes), len(want))
	}
	if st.State != store.RunDone || st.Deliveries[store.DeliverySent] != int64(len(want)) || st.Remaining != 0 {
		t.Errorf("status %+v; want done with %d sent", st, len(want))
	}
	// opted out of e-mail: dropped for consent (i%10 == 9 among buyers)
	drops, _ := f.st.Deliveries(t.Context(), "spring", store.DeliveryDropped)
	for _, d := range drops {
		if !strings.HasPrefix(d.Reason, "consent") {
			t.Errorf("customer %d dropped for %q; want consent", d.CustomerID, d.Reason)
		}
	}
	use, _ := f.st.OfferUse(t.Context(), "ten-off")
	if use.Count != int64(len(want)) || use.Cost != float64(10*len(want)) {
		t.Errorf("offer use %+v; want %d issued costing %d", use, len(want), 10*len(want))
	}
	// the shared history has the send
	sent, _ := f.st.Deliveries(t.Context(), "spring", store.DeliverySent)
	cs, err := f.st.Contacts(t.Context(), sent[0].CustomerID, time.Time{}, 0)
	if err != nil || len(cs) != 1 || cs[0].Kind != store.ContactSent || cs[0].Channel != "email" || cs[0].Campaign != "spring" {
		t.Errorf("contacts of a recipient: %+v, %v", cs, err)
	}
	// a second launch is refused; resuming finds nothing to do
	if _, err := f.m.Campaigns.Launch(t.Context(), "spring"); !errors.Is(err, campaign.ErrState) {
		t.Errorf("second launch: %v; want ErrState", err)
	}
	if err := f.m.Campaigns.Recover(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	if n := f.mb.Count(); n != len(want) {
		t.Errorf("after Recover: %d mails; want still %d", n, len(want))
	}
}

func TestBudgetAndLimits(t *testing.T) {
	f := newFixture(t, 200, nil)
	f.offer(t, offer.Offer{Name: "few", Type: offer.Threshold, Threshold: 100, Amount: 15, BudgetCount: 12, Rule: "frequency >= 1"})
	st := f.run(t, campaign.Campaign{Name: "few-a", Rule: "frequency >= 1", Offer: "few", Channels: []string{campaign.Email},
		Subject: "s", Body: "{{.Offer.Summary}} {{.Code}}"})
	if st.Deliveries[store.DeliverySent] != 12 || f.mb.Count() != 12 {
		t.Errorf("sent %d (mails %d); want the budget of 12", st.Deliveries[store.DeliverySent], f.mb.Count())
	}
	drops, _ := f.st.Deliveries(t.Context(), "few-a", store.DeliveryDropped)
	budget := 0
	for _, d := range drops {
		if strings.HasPrefix(d.Reason, "budget") {
			budget++
		}
	}
	if budget == 0 {
		t.Errorf("no delivery dropped for the budget: %+v", drops[:min(3, len(drops))])
	}
	// a second campaign with the same offer: those who got it reached their limit of 1, the budget is spent
	st2 := f.run(t, campaign.Campaign{Name: "few-b", Rule: "frequency >= 1", Offer: "few", Channels: []string{campaign.Email},
		Subject: "s", Body: "{{.Code}}"})
	if st2.Deliveries[store.DeliverySent] != 0 {
		t.Errorf("second campaign sent %d; the budget was spent", st2.Deliveries[store.DeliverySent])
	}
}

func TestTemplateMissingField(t *testing.T) {
	f := newFixture(t, 10, nil)
	_, err := f.m.Campaigns.Save(t.Context(), campaign.Campaign{Name: "typo", Rule: "frequency >= 1", Channels: []string{campaign.Email},
		Subject: "hi", Body: "Hello {{.Nmae}}"}, "test")
	var fe *campaign.FieldError
	if !errors.As(err, &fe) || fe.Field != "body" || !strings.Contains(err.Error(), `"Nmae"`) {
		t.Fatalf("Save with {{.Nmae}}: %v; want a FieldError on body naming Nmae", err)
	}
	for _, tc := range []struct {
		name string
		c    campaign.Campaign
		want string
	}{
		{"no audience", campaign.Campaign{Name: "x", Channels: []string{"email"}, Subject: "s", Body: "b"}, `"segment"`},
		{"bad channel", campaign.Campaign{Name: "x", Rule: "frequency >= 1", Channels: []string{"fax"}, Body: "b"}, `"fax"`},
		{"bad rule", campaign.Campaign{Name: "x", Rule: "frequncy >= 1", Channels: []string{"email"}, Subject: "s", Body: "b"}, "column"},
		{"unknown offer", campaign.Campaign{Name: "x", Rule: "frequency >= 1", Offer: "nope", Channels: []string{"email"}, Subject: "s", Body: "b"}, `"offer"`},
		{"parse error", campaign.Campaign{Name: "x", Rule: "frequency >= 1", Channels: []string{"email"}, Subject: "s", Body: "{{.Name"}, `"body"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.m.Campaigns.Save(t.Context(), tc.c, "test")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Save: %v; want an error mentioning %s", err, tc.want)
			}
		})
	}
}

func TestWebhookRetriedNeverDuplicated(t *testing.T) {
	f := newFixture(t, 60, nil)
	f.hook.FailFirst, f.hook.Stall = 3, 400*time.Millisecond // 500, stall past the 200 ms timeout, 500, then accept
	st := f.run(t, campaign.Campaign{Name: "sms", Rule: "frequency >= 1", Channels: []string{campaign.SMS}, Body: "Hi {{.Name}}"})
	acc := f.hook.Accepted()
	want := 0
	for i := range 60 {
		if i%3 != 0 && i%2 == 0 {
			want++
		}
	}
	reqs, bad := f.hook.Requests()
	if len(acc) != want || st.Deliveries[store.DeliverySent] != int64(want) || bad != 0 {
		t.Errorf("accepted %d keys, sent %d, bad signatures %d; want %d", len(acc), st.Deliveries[store.DeliverySent], bad, want)
	}
	if reqs < 4*want {
		t.Errorf("%d requests for %d messages failing 3 times each: retries missing", reqs, want)
	}
	for k, p := range acc {
		if k != campaign.Key("sms", p.CustomerID, campaign.DefaultStep) || !strings.HasPrefix(p.To, "4915") || p.Channel != "sms" {
			t.Errorf("payload %+v under key %s", p, k)
		}
	}
}

// unsubscriber unsubscribes a customer through its link while the first
// batch is being sent.
type unsubscriber struct {
	campaign.Sender
	once   sync.Once
	svc    *campaign.Service
	target int64
}

func (u *unsubscriber) Send(ctx context.Context, msgs []campaign.Message) []error {
	u.once.Do(func() {
		link := u.svc.UnsubscribeURL("mid", u.target, campaign.Email)
		p, _ := url.Parse(link)
		if _, _, err := u.svc.Unsubscribe(ctx, p.Query().Get("t")); err != nil {
			panic(err)
		}
	})
	return u.Sender.Send(ctx, msgs)
}

func TestUnsubscribeMidCampaign(t *testing.T) {
	f := newFixture(t, 120, func(c *marketing.Config) { c.Batch, c.Workers = 10, 1 })
	ids, _ := f.st.CustomerIDs(t.Context())
	target := ids[len(ids)-1] // c119: a buyer with consent, in the last batch
	u := &unsubscriber{Sender: f.m.SMTP, svc: f.m.Campaigns, target: target}
	// swap the e-mail sender for the wrapping one
	f.m.Campaigns.SetSender(campaign.Email, u)
	f.run(t, campaign.Campaign{Name: "mid", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "s", Body: "b {{.Unsubscribe}}"})
	for _, m := range f.mb.Mails() {
		if m.To == "c119@example.org" {
			t.Fatalf("c119 unsubscribed during the campaign and still got a mail")
		}
	}
	d, _ := f.st.DeliveriesOf(t.Context(), "mid", campaign.DefaultStep, []int64{target})
	if got := d[target]; got.State != store.DeliveryDropped || !strings.HasPrefix(got.Reason, "consent") && !strings.HasPrefix(got.Reason, "suppressed") {
		t.Errorf("delivery to the unsubscribed customer: %+v", got)
	}
	cs, _ := f.st.ConsentsOf(t.Context(), "email", []int64{target})
	if cs[target].Status != store.ConsentOptOut {
		t.Errorf("consent after unsubscribe: %+v", cs[target])
	}
	if _, _, err := f.m.Campaigns.Unsubscribe(t.Context(), "forged.token"); !errors.Is(err, campaign.ErrToken) {
		t.Errorf("forged token: %v", err)
	}
}

func TestHardBounceSuppresses(t *testing.T) {
	f := newFixture(t, 30, nil)
	f.mb.Reject = func(to string) error {
		if to == "c1@example.org" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	}
	st := f.run(t, campaign.Campaign{Name: "b1", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "s", Body: "b"})
	if st.Deliveries[store.DeliveryFailed] != 1 {
		t.Errorf("status %+v; want one failed delivery", st)
	}
	ids, _ := f.st.CustomerIDs(t.Context())
	sup, _ := f.st.SuppressionsOf(t.Context(), ids)
	if len(sup) != 1 || sup[0].Channel != "email" || !strings.Contains(sup[0].Reason, "550") {
		t.Errorf("suppressions after a hard bounce: %+v", sup)
	}
	// the next campaign skips the bounced address
	f.run(t, campaign.Campaign{Name: "b2", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "s", Body: "b"})
	d, _ := f.st.DeliveriesOf(t.Context(), "b2", campaign.DefaultStep, []int64{sup[0].CustomerID})
	if r := d[sup[0].CustomerID].Reason; !strings.HasPrefix(r, "suppressed") {
		t.Errorf("second campaign, bounced customer: reason %q; want suppressed", r)
	}
}

func TestLaunchNeedsConfiguredChannels(t *testing.T) {
	f := newFixture(t, 10, nil)
	c := campaign.Campaign{Name: "push", Rule: "frequency >= 1", Channels: []string{campaign.Push}, Body: "hi"}
	if _, err := f.m.Campaigns.Save(t.Context(), c, "test"); err != nil {
		t.Fatalf("save: %v", err)
	}
	_, err := f.m.Campaigns.Launch(t.Context(), "push")
	var fe *campaign.FieldError
	if !errors.As(err, &fe) || fe.Field != "channels" || !strings.Contains(err.Error(), `"push"`) {
		t.Fatalf("launch without a push sender: %v", err)
	}
	if _, err := f.st.CampaignRun(t.Context(), "push"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused launch left a run: %v", err)
	}
}

// pauser pauses the campaign while its first batch is being sent.
type pauser struct {
	campaign.Sender
	once sync.Once
	svc  *campaign.Service
}

func (p *pauser) Send(ctx context.Context, msgs []campaign.Message) []error {
	p.once.Do(func() {
		if err := p.svc.Pause(ctx, msgs[0].Campaign); err != nil {
			panic(err)
		}
	})
	return p.Sender.Send(ctx, msgs)
}

func TestPauseResume(t *testing.T) {
	f := newFixture(t, 150, func(c *marketing.Config) { c.Batch, c.Workers = 10, 1 })
	f.m.Campaigns.SetSender(campaign.Email, &pauser{Sender: f.m.SMTP, svc: f.m.Campaigns})
	st := f.run(t, campaign.Campaign{Name: "pz", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "s", Body: "b"})
	want := len(buyersWithEmail(150))
	if st.State != store.RunPaused || st.Deliveries[store.DeliverySent] == 0 || f.mb.Count() >= want || st.Deliveries[store.DeliveryPending] != 0 {
		t.Fatalf("after the pause: %+v, %d mails", st, f.mb.Count())
	}
	paused := f.mb.Count()
	if err := f.m.Campaigns.Pause(t.Context(), "pz"); !errors.Is(err, campaign.ErrState) {
		t.Errorf("pausing a paused campaign: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { f.m.Campaigns.Run(dctx); close(done) }()
	if err := f.m.Campaigns.Resume(ctx, "pz"); err != nil {
		t.Fatal(err)
	}
	if err := f.m.Campaigns.Wait(ctx, "pz"); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	st, _ = f.m.Campaigns.Status(ctx, "pz")
	seen := map[string]int{}
	for _, m := range f.mb.Mails() {
		seen[m.To]++
	}
	if st.State != store.RunDone || f.mb.Count() != want || len(seen) != want {
		t.Errorf("after resume: %+v; %d mails to %d addresses (%d before the pause); want %d", st, f.mb.Count(), len(seen), paused, want)
	}
}
