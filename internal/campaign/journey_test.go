package campaign_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// A cart-abandonment journey: cart_add → wait 1 h → e-mail, unless the
// customer ordered in between. The clock is the test's.
func TestJourney(t *testing.T) {
	var mu sync.Mutex
	now := markettest.AsOf
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(d time.Duration) { mu.Lock(); now = markettest.AsOf.Add(d); mu.Unlock() }
	f := newFixture(t, 20, func(c *marketing.Config) { c.Clock = clock; c.PollEvery = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go f.m.Campaigns.Run(ctx)
	j := campaign.Campaign{Name: "cart", Channels: []string{campaign.Email}, Subject: "Your cart, {{.Name}}", Body: "Still thinking?",
		Trigger: &campaign.Trigger{Event: store.EventCartAdd, Condition: "frequency >= 1", Wait: contact.Duration(time.Hour), Goal: campaign.GoalOrder}}
	if _, err := f.m.Campaigns.Save(ctx, j, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Campaigns.Launch(ctx, "cart"); err != nil {
		t.Fatal(err)
	}
	ids, _ := f.st.CustomerIDs(ctx)
	// index 1: cart_add, buyer; 2: cart_add then an order; 4: a view only;
	// 3: cart_add but never bought (the condition fails); 19: cart_add, opted out of e-mail; 5: two cart_adds
	at := markettest.AsOf.Add(time.Minute)
	ev := func(i int, id int64, typ string, d time.Duration) store.Event {
		return store.Event{ID: int64(1000 + i), Source: "shop", CustomerID: id, Type: typ, At: at.Add(d)}
	}
	err := f.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.PutEvents(ctx, []store.Event{ev(1, ids[1], store.EventCartAdd, 0), ev(2, ids[2], store.EventCartAdd, 0),
			ev(3, ids[4], store.EventView, 0), ev(4, ids[3], store.EventCartAdd, 0), ev(5, ids[19], store.EventCartAdd, 0),
			ev(6, ids[5], store.EventCartAdd, 0), ev(7, ids[5], store.EventCartAdd, 2*time.Minute)}); err != nil {
			return err
		}
		o := store.Order{Source: "shop", ExtID: "late", CustomerID: ids[2], PlacedAt: at.Add(30 * time.Minute), Kind: store.OrderSale}
		_, err := tx.PutOrder(ctx, &o)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set(10 * time.Minute)
	time.Sleep(300 * time.Millisecond)
	if n := f.mb.Count(); n != 0 {
		t.Fatalf("%d mails before the wait is over", n)
	}
	set(2 * time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) { // five deliveries: c1, c2, c19, c5 twice
		ds, _ := f.st.DeliveryCounts(ctx, "cart")
		if ds[store.DeliverySent]+ds[store.DeliveryDropped] >= 5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // nothing more may come
	got := map[string]int{}
	for _, m := range f.mb.Mails() {
		got[m.To]++
	}
	// customer 5 triggered twice: two steps, but the daily cap lets one through
	want := map[string]int{"c1@example.org": 1, "c5@example.org": 1}
	if len(got) != len(want) || got["c1@example.org"] != 1 || got["c5@example.org"] != 1 {
		t.Errorf("mails %v; want %v", got, want)
	}
	ds, _ := f.st.Deliveries(ctx, "cart", "")
	reasons := map[int64]string{}
	for _, d := range ds {
		if d.State == store.DeliveryDropped {
			reasons[d.CustomerID] = d.Reason
		}
	}
	if r := reasons[ids[2]]; len(r) < 4 || r[:4] != "goal" {
		t.Errorf("customer who ordered: %q; want the goal", r)
	}
	if r := reasons[ids[19]]; len(r) < 7 || r[:7] != "consent" {
		t.Errorf("customer opted out: %q", r)
	}
	if r := reasons[ids[5]]; len(r) < 3 || r[:3] != "cap" {
		t.Errorf("second trigger of customer 5: %q; want the cap", r)
	}
	if _, ok := reasons[ids[3]]; ok {
		t.Errorf("the condition failed for customer 3, yet a delivery was recorded")
	}
	st, _ := f.m.Campaigns.Status(ctx, "cart")
	if st.State != store.RunRunning {
		t.Errorf("journey state %q; a journey runs until paused", st.State)
	}
	if _, err := f.m.Campaigns.Preview(ctx, "cart", 1); err == nil {
		t.Error("preview of a journey should say there is nothing to preview")
	}
	if _, err := f.m.Campaigns.Save(ctx, campaign.Campaign{Name: "j2", Channels: []string{"email"}, Subject: "s", Body: "b",
		Trigger: &campaign.Trigger{Event: "cart_add", Goal: "visit"}}, "t"); err == nil {
		t.Error("goal \"visit\" accepted")
	}
}

// A campaign repeated every day: each period evaluates the audience again
// and messages each customer once.
func TestRecurring(t *testing.T) {
	var mu sync.Mutex
	now := markettest.AsOf
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, 30, func(c *marketing.Config) { c.Clock = clock; c.PollEvery = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go f.m.Campaigns.Run(ctx)
	c := campaign.Campaign{Name: "daily", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "s", Body: "b",
		Every: contact.Duration(24 * time.Hour)}
	if _, err := f.m.Campaigns.Save(ctx, c, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Campaigns.Launch(ctx, "daily"); err != nil {
		t.Fatal(err)
	}
	want := len(buyersWithEmail(30))
	wait := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for f.mb.Count() < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if got := f.mb.Count(); got != n {
			t.Fatalf("%d mails; want %d", got, n)
		}
	}
	wait(want)
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	wait(2 * want)
	keys := map[string]int{}
	for _, m := range f.mb.Mails() {
		k := markettest.KeyOf(m)
		keys[k[len(k)-2:]]++
	}
	if keys["p0"] != want || keys["p1"] != want {
		t.Errorf("messages by period %v; want %d each", keys, want)
	}
	if st, _ := f.m.Campaigns.Status(ctx, "daily"); st.State != store.RunRunning {
		t.Errorf("state %q; a recurring campaign runs until paused", st.State)
	}
	if _, err := f.m.Campaigns.Save(ctx, campaign.Campaign{Name: "fast", Rule: "frequency >= 1", Channels: []string{"email"}, Subject: "s", Body: "b",
		Every: contact.Duration(time.Second)}, "t"); err == nil {
		t.Error("every 1s accepted")
	}
}
