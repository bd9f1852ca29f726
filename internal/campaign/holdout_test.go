package campaign_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

func TestHoldoutStratifiedAndDurable(t *testing.T) {
	pct := 20.0
	f := newFixture(t, 400, func(c *marketing.Config) { c.Measure = &campaign.Measurement{Salt: "test"} })
	c := campaign.Campaign{Name: "measured", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "Hi", Body: "Hello {{.Name}}",
		HoldoutPercent: &pct}
	if _, err := f.m.Campaigns.Save(t.Context(), c, "test"); err != nil {
		t.Fatal(err)
	}
	pv, err := f.m.Campaigns.Preview(t.Context(), c.Name, 0)
	if err != nil {
		t.Fatal(err)
	}
	if pv.Holdout == nil || pv.Holdout.Percent != 20 || len(pv.Holdout.Strata) < 2 {
		t.Fatalf("preview holdout %+v; want 20%% over several classes", pv.Holdout)
	}
	var total int
	for k, s := range pv.Holdout.Strata {
		total += s.Audience
		if want := math.Round(0.2 * float64(s.Audience)); float64(s.Holdout) != want {
			t.Errorf("stratum %q: %d held out of %d; want %v", k, s.Holdout, s.Audience, want)
		}
	}
	if int64(total) != pv.Audience+pv.Holdout.Size || pv.Dropped["holdout"] != pv.Holdout.Size {
		t.Errorf("strata total %d, audience %d, holdout %d, dropped %v", total, pv.Audience, pv.Holdout.Size, pv.Dropped)
	}
	st := f.run(t, c)
	arms, err := f.m.Campaigns.ArmsOf(t.Context(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	held, err := arms.HeldOut()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(held)) != pv.Holdout.Size || st.Audience != pv.Audience || arms.Eligible != int64(total) {
		t.Fatalf("launch: %d held, audience %d, eligible %d; preview said %d held of %d", len(held), st.Audience, arms.Eligible, pv.Holdout.Size, total)
	}
	addrs, err := f.st.AddressesOf(t.Context(), store.KindEmail, held)
	if err != nil {
		t.Fatal(err)
	}
	isHeld := map[string]bool{}
	for _, a := range addrs {
		isHeld[a] = true
	}
	for _, m := range f.mb.Mails() {
		if isHeld[m.To] {
			t.Errorf("held-out customer %s got a mail", m.To)
		}
	}
	if int64(len(f.mb.Mails())) != st.Deliveries[store.DeliverySent] || len(f.mb.Mails()) == 0 {
		t.Errorf("%d mails, %d sent", len(f.mb.Mails()), st.Deliveries[store.DeliverySent])
	}
	// after a restart the arms are still known, and the history has one holdout row per held-out customer
	m2 := reopen(t, f, func() time.Time { return time.Now() })
	again, err := m2.Campaigns.ArmsOf(t.Context(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	held2, _ := again.HeldOut()
	if len(held2) != len(held) || again.Strata == nil || again.Holdout.Percent != 20 {
		t.Errorf("after reopening: %d held, %+v", len(held2), again.Holdout)
	}
	for _, id := range held {
		cs, err := f.st.Contacts(t.Context(), id, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ct := range cs {
			if ct.Kind == campaign.ContactHoldout && ct.Campaign == c.Name {
				n++
			}
			if ct.Kind == store.ContactSent && ct.Campaign == c.Name {
				t.Errorf("held-out customer %d has a send", id)
			}
		}
		if n != 1 {
			t.Errorf("customer %d: %d holdout rows, want 1", id, n)
		}
	}
}

func TestHoldoutPercentValidated(t *testing.T) {
	f := newFixture(t, 20, nil)
	for _, p := range []float64{-1, 100, math.NaN()} {
		c := campaign.Campaign{Name: "bad", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "Hi", Body: "b", HoldoutPercent: &p}
		_, err := f.m.Campaigns.Save(t.Context(), c, "test")
		var fe *campaign.FieldError
		if !errors.As(err, &fe) || fe.Field != "holdout_percent" {
			t.Errorf("holdout_percent %v: error %v; want a field error naming holdout_percent", p, err)
		}
	}
}

// A triggered journey holds out by the stateless hash as customers enter:
// the held out get a holdout row (once per trigger, also when the events
// are scanned again) and no delivery, and join the journey's arms.
func TestJourneyHoldout(t *testing.T) {
	pct := 50.0
	f := newFixture(t, 60, func(c *marketing.Config) {
		c.PollEvery = 20 * time.Millisecond
		c.Measure = &campaign.Measurement{Salt: "j"}
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	j := campaign.Campaign{Name: "cart", Channels: []string{campaign.Email}, Subject: "Your cart", Body: "Still thinking?", HoldoutPercent: &pct,
		Trigger: &campaign.Trigger{Event: store.EventCartAdd, Condition: "frequency >= 0"}}
	if _, err := f.m.Campaigns.Save(ctx, j, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Campaigns.Launch(ctx, "cart"); err != nil {
		t.Fatal(err)
	}
	ids, _ := f.st.CustomerIDs(ctx)
	var evs []store.Event
	for i, id := range ids {
		if i%10 != 9 { // e-mail consent
			evs = append(evs, store.Event{ID: int64(5000 + i), Source: "shop", CustomerID: id, Type: store.EventCartAdd, At: markettest.AsOf.Add(time.Second)}) // after the launch
		}
	}
	if err := f.st.Update(ctx, func(tx store.Tx) error { _, err := tx.PutEvents(ctx, evs); return err }); err != nil {
		t.Fatal(err)
	}
	go f.m.Campaigns.Run(ctx)
	h := measure.Holdout{Percent: 50, Salt: "j"}
	deadline := time.Now().Add(10 * time.Second)
	var held, treated int
	for _, e := range evs {
		if h.InHoldout("cart", e.CustomerID) {
			held++
		} else {
			treated++
		}
	}
	for time.Now().Before(deadline) && f.mb.Count() < treated {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // rescans may come; nothing may double
	if f.mb.Count() != treated || held == 0 {
		t.Fatalf("%d mails; want %d (held out %d)", f.mb.Count(), treated, held)
	}
	arms, err := f.m.Campaigns.ArmsOf(ctx, "cart")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := arms.HeldOut()
	if len(got) != held {
		t.Errorf("arms hold %d, want %d", len(got), held)
	}
	for _, id := range got {
		cs, _ := f.st.Contacts(ctx, id, time.Time{}, 0)
		n := 0
		for _, c := range cs {
			if c.Kind == campaign.ContactHoldout {
				n++
			}
		}
		if n != 1 || !h.InHoldout("cart", id) {
			t.Errorf("customer %d: %d holdout rows", id, n)
		}
	}
	if _, err := f.m.Campaigns.Report(ctx, "cart", campaign.ReportOptions{}); !errors.Is(err, campaign.ErrState) {
		t.Errorf("report of a journey: %v; want a clear refusal", err)
	}
}
