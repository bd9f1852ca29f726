package campaign_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/webhook"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// dyingSender passes the first `pass` messages of its first chunk to the
// real sender, then ends the worker goroutine as a crash would: the chunk's
// outcome never reaches the store, its acceptance journal stays.
type dyingSender struct {
	real  campaign.AckSender
	pass  int
	mu    sync.Mutex
	died  bool
	keys  []string // accepted before the "crash"
	ready chan struct{}
}

func (d *dyingSender) Send(ctx context.Context, msgs []campaign.Message) []error {
	return d.SendAck(ctx, msgs, nil)
}

func (d *dyingSender) SendAck(ctx context.Context, msgs []campaign.Message, accepted func(int)) []error {
	d.mu.Lock()
	if d.died {
		d.mu.Unlock()
		<-ctx.Done() // no other chunk gets through this dispatcher
		errs := make([]error, len(msgs))
		for i := range errs {
			errs[i] = ctx.Err()
		}
		return errs
	}
	d.died = true
	d.mu.Unlock()
	errs := d.real.SendAck(ctx, msgs[:d.pass], accepted)
	for i, err := range errs {
		if err == nil {
			d.keys = append(d.keys, msgs[i].Key)
		}
	}
	close(d.ready)
	runtime.Goexit() // deferred functions run: the journal is closed, not removed
	return nil
}

// A dispatcher dies mid-chunk after the receiver accepted some of its
// messages; the restarted one records those as sent from the leftover
// acceptance journal and sends the rest of the chunk (and of the
// campaign) once: every customer gets exactly one message at the receiver.
func TestJournalRecovery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		channel  string
		postgres bool // the store is PostgreSQL; the journal stays in the data directory
	}{{"email", campaign.Email, false}, {"webhook", campaign.SMS, false}, {"email on PostgreSQL", campaign.Email, true}} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			opts := func(c *marketing.Config) { c.DataDir, c.Workers, c.Batch, c.SendChunk = data, 1, 50, 20 }
			var f *fixture
			if tc.postgres {
				st, in := markettest.ShopIn(t, markettest.Postgres(t), t.TempDir(), 300)
				f = newFixtureOn(t, st, in, 300, opts)
			} else {
				f = newFixture(t, 300, opts)
			}
			var real campaign.AckSender = f.m.SMTP
			if tc.channel == campaign.SMS {
				w, err := webhook.New(webhook.Options{URL: f.hook.URL, Secret: []byte(hookSecret)})
				if err != nil {
					t.Fatal(err)
				}
				real = w
			}
			dying := &dyingSender{real: real, pass: 7, ready: make(chan struct{})}
			f.m.Campaigns.SetSender(tc.channel, dying)
			c := campaign.Campaign{Name: "crash", Rule: "frequency >= 1", Channels: []string{tc.channel}, Subject: "s", Body: "Hi {{.Name}} {{.Unsubscribe}}"}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if _, err := f.m.Campaigns.Save(ctx, c, "test"); err != nil {
				t.Fatal(err)
			}
			dctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); f.m.Campaigns.Run(dctx) }()
			if _, err := f.m.Campaigns.Launch(ctx, c.Name); err != nil {
				t.Fatal(err)
			}
			select {
			case <-dying.ready:
			case <-ctx.Done():
				t.Fatal("the dispatcher never sent")
			}
			time.Sleep(50 * time.Millisecond) // let the worker's deferred functions run
			stop()
			<-done
			left, _ := filepath.Glob(filepath.Join(data, "inflight", "*.log"))
			if len(left) != 1 || len(dying.keys) != 7 {
				t.Fatalf("after the crash: journals %v, %d accepted; want one journal and 7", left, len(dying.keys))
			}
			pending, _ := f.st.Deliveries(ctx, c.Name, store.DeliveryPending)
			if len(pending) <= 7 {
				t.Fatalf("%d deliveries pending after the crash; want the batch reserved (more than the 7 accepted)", len(pending))
			}

			// the restart: a new service over the same store and data directory
			m2, err := marketing.Open(ctx, f.st, f.m.Insight, marketing.Config{SMTPAddr: f.mb.Addr, SMTPFrom: "shop@example.org", SMTPUser: "sagitta",
				SMTPPassword: "s3cret", SMTPTLS: "starttls", SMTPTLSConfig: f.tls, SMSWebhook: f.hook.URL, WebhookSecret: hookSecret,
				PublicURL: "https://shop.example/sagitta", Retry: 20 * time.Millisecond, DataDir: data, Workers: 2, Batch: 50, Clock: f.clock})
			if err != nil {
				t.Fatal(err)
			}
			if err := m2.Campaigns.ResumeAfterCrash(ctx, c.Name); err != nil {
				t.Fatal(err)
			}
			dctx, stop = context.WithCancel(ctx)
			done = make(chan struct{})
			go func() { defer close(done); m2.Campaigns.Run(dctx) }()
			if err := m2.Campaigns.Wait(ctx, c.Name); err != nil {
				t.Fatal(err)
			}
			stop()
			<-done
			st, err := m2.Campaigns.Status(ctx, c.Name)
			if err != nil {
				t.Fatal(err)
			}
			sent := int(st.Deliveries[store.DeliverySent])
			if st.State != store.RunDone || st.Deliveries[store.DeliveryPending] != 0 {
				t.Errorf("status after the restart: %+v", st)
			}
			if left, _ := filepath.Glob(filepath.Join(data, "inflight", "*")); len(left) != 0 {
				t.Errorf("journals left after the restart: %v", left)
			}
			// at the receiver: one message per delivery, none twice
			if tc.channel == campaign.Email {
				want := buyersWithEmail(300)
				per := map[string]int{}
				for _, m := range f.mb.Mails() {
					per[m.To]++
				}
				for to := range want {
					if per[to] != 1 {
						t.Errorf("%s got %d mails; want 1", to, per[to])
					}
				}
				if len(per) != len(want) || sent != len(want) {
					t.Errorf("%d recipients, %d sent; want %d", len(per), sent, len(want))
				}
			} else {
				requests, _ := f.hook.Requests()
				if acc := len(f.hook.Accepted()); requests != acc || acc != sent || sent == 0 {
					t.Errorf("webhook: %d requests, %d accepted, %d sent; want all equal (nothing posted twice)", requests, acc, sent)
				}
			}
			// the journaled sends are in the shared history once, marked as recovered
			for _, k := range dying.keys {
				var id int64
				parts := strings.Split(k, "/")
				for _, ch := range parts[1] {
					id = id*10 + int64(ch-'0')
				}
				cs, err := f.st.Contacts(ctx, id, time.Time{}, 0)
				if err != nil || len(cs) != 1 || cs[0].Kind != store.ContactSent || cs[0].Detail != "accepted before a crash" || cs[0].Channel != tc.channel {
					t.Errorf("contacts of %s: %+v, %v; want one sent, recovered from the journal", k, cs, err)
				}
			}
		})
	}
}
