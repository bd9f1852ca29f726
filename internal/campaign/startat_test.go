package campaign_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// start_at is compared with the service's clock, not the wall clock: with a
// clock before it nothing is sent however long the dispatcher runs, and
// once the clock passes it the campaign goes out.
func TestStartAtFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	st, in := markettest.Shop(t, t.TempDir(), 40)
	mb, _ := markettest.NewMailbox(t, "", "", false)
	var now atomic.Int64
	now.Store(markettest.AsOf.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	m, err := marketing.Open(ctx, st, in, marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "s@example.org", SMTPTLS: "none",
		Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	start := markettest.AsOf.Add(24 * time.Hour) // long before the wall clock's now
	c := campaign.Campaign{Name: "later", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b",
		StartAt: start, HoldoutPercent: new(float64)}
	if _, err := m.Campaigns.Save(ctx, c, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Campaigns.Launch(ctx, c.Name); err != nil {
		t.Fatal(err)
	}
	dctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { m.Campaigns.Run(dctx) })
	defer func() { stop(); wg.Wait() }()
	time.Sleep(400 * time.Millisecond)
	if n := mb.Count(); n != 0 {
		t.Fatalf("%d messages sent before start_at by the service's clock", n)
	}
	if s, _ := m.Campaigns.Status(ctx, c.Name); s.Deliveries["sent"] != 0 {
		t.Fatalf("deliveries before start_at: %+v", s)
	}
	now.Store(start.Add(time.Minute).UnixNano())
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for mb.Count() == 0 && wctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if mb.Count() == 0 {
		t.Fatal("nothing sent once the clock passed start_at")
	}
}

// A journey with start_at is triggered only by events from then on, by the
// service's clock: an event before it sends nothing, even once its wait is
// over and the clock has passed start_at.
func TestJourneyStartsAtStartAt(t *testing.T) {
	var mu sync.Mutex
	now := markettest.AsOf
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(d time.Duration) { mu.Lock(); now = markettest.AsOf.Add(d); mu.Unlock() }
	f := newFixture(t, 20, func(c *marketing.Config) { c.Clock = clock; c.PollEvery = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go f.m.Campaigns.Run(ctx)
	start := markettest.AsOf.Add(3 * time.Hour)
	j := campaign.Campaign{Name: "later_cart", Channels: []string{campaign.Email}, Subject: "s", Body: "b", StartAt: start,
		HoldoutPercent: new(float64), Trigger: &campaign.Trigger{Event: store.EventCartAdd, Wait: contact.Duration(time.Minute)}}
	if _, err := f.m.Campaigns.Save(ctx, j, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Campaigns.Launch(ctx, j.Name); err != nil {
		t.Fatal(err)
	}
	ids, _ := f.st.CustomerIDs(ctx)
	put := func(id int64, evID int64, at time.Time) {
		t.Helper()
		if err := f.st.Update(ctx, func(tx store.Tx) error {
			_, err := tx.PutEvents(ctx, []store.Event{{ID: evID, Source: "shop", CustomerID: id, Type: store.EventCartAdd, At: at}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	put(ids[1], 2001, markettest.AsOf.Add(time.Minute)) // before start_at
	set(10 * time.Minute)
	time.Sleep(300 * time.Millisecond)
	if n := f.mb.Count(); n != 0 {
		t.Fatalf("%d mails before start_at by the service's clock", n)
	}
	put(ids[2], 2002, start.Add(30*time.Minute)) // after start_at
	set(4 * time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for f.mb.Count() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	got := map[string]int{}
	for _, m := range f.mb.Mails() {
		got[m.To]++
	}
	if len(got) != 1 || got["c2@example.org"] != 1 {
		t.Errorf("mails %v; want one to c2 (whose cart_add came after start_at)", got)
	}
}
