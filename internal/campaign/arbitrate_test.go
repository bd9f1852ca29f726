package campaign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// launchTogether launches the campaigns in order, then dispatches them all.
func launchTogether(t *testing.T, f *fixture, cs ...campaign.Campaign) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for _, c := range cs {
		if _, err := f.m.Campaigns.Save(ctx, c, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cs {
		if _, err := f.m.Campaigns.Launch(ctx, c.Name); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	dctx, stop := context.WithCancel(ctx)
	wg.Go(func() { f.m.Campaigns.Run(dctx) })
	for _, c := range cs {
		if err := f.m.Campaigns.Wait(ctx, c.Name); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	wg.Wait()
}

// TestArbitrationRoutesToHigherValue: two campaigns want the same customers,
// whom the cap (one message a day) allows only one of. The one launched
// first is worth less; the engine gives every contested customer to the
// more valuable one and records why.
func TestArbitrationRoutesToHigherValue(t *testing.T) {
	f := newFixture(t, 120, nil)
	cheap := campaign.Campaign{Name: "cheap", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "cheap", Body: "b", ConversionValue: 10}
	rich := campaign.Campaign{Name: "rich", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "rich", Body: "b", ConversionValue: 100}
	launchTogether(t, f, cheap, rich)
	want := buyersWithEmail(f.n)
	got := map[string]string{}
	for _, m := range f.mb.Mails() {
		if prev, ok := got[m.To]; ok {
			t.Errorf("%s got %q and %q; the cap allows one", m.To, prev, m.Header.Get("Subject"))
		}
		got[m.To] = m.Header.Get("Subject")
	}
	for to := range want {
		if got[to] != "rich" {
			t.Errorf("%s got %q, want the more valuable campaign", to, got[to])
		}
	}
	st, err := f.m.Campaigns.Status(t.Context(), "cheap")
	if err != nil {
		t.Fatal(err)
	}
	if st.Deliveries[store.DeliverySent] != 0 {
		t.Errorf("cheap sent %d", st.Deliveries[store.DeliverySent])
	}
	ds, err := f.st.Deliveries(t.Context(), "cheap", store.DeliveryDropped)
	if err != nil {
		t.Fatal(err)
	}
	arb := 0
	for _, d := range ds {
		if len(d.Reason) > len(campaign.ReasonArbitration) && d.Reason[:len(campaign.ReasonArbitration)] == campaign.ReasonArbitration {
			arb++
		}
	}
	if arb == 0 {
		t.Fatalf("no delivery of cheap was dropped by arbitration: %+v", ds[:min(3, len(ds))])
	}
	// why: the decision names both candidates with their scores
	var contested int64
	for _, d := range ds {
		if d.Reason[:len(campaign.ReasonArbitration)] == campaign.ReasonArbitration {
			contested = d.CustomerID
			break
		}
	}
	w, err := f.m.CampaignWhy(t.Context(), contested)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Decisions) != 1 || len(w.Decisions[0].Candidates) != 2 || w.Decisions[0].Chosen[0] != "rich" ||
		w.Decisions[0].Candidates[0].Campaign != "rich" || w.Decisions[0].Candidates[0].Score != campaign.PriorUplift*100 ||
		w.Decisions[0].Candidates[1].Score != campaign.PriorUplift*10 || w.Decisions[0].Candidates[1].Reason == "" {
		t.Errorf("why customer %d: %+v", contested, w)
	}
}

func launchAndWait(t *testing.T, f *fixture, name string, lo campaign.LaunchOptions) campaign.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	if _, err := f.m.Campaigns.LaunchWith(ctx, name, lo); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	dctx, stop := context.WithCancel(ctx)
	wg.Go(func() { f.m.Campaigns.Run(dctx) })
	if err := f.m.Campaigns.Wait(ctx, name); err != nil {
		t.Fatal(err)
	}
	stop()
	wg.Wait()
	st, err := f.m.Campaigns.Status(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fmtSscanf(addr string, i *int) (int, error) { return fmt.Sscanf(addr, "c%d@example.org", i) }

// TestArbitrationSkipsUnreachableRival: the valuable campaign goes by SMS,
// which only even customers accept; odd customers stay with the cheap
// e-mail campaign instead of getting nothing.
func TestArbitrationSkipsUnreachableRival(t *testing.T) {
	f := newFixture(t, 120, nil)
	cheap := campaign.Campaign{Name: "cheap", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "cheap", Body: "b", ConversionValue: 10}
	rich := campaign.Campaign{Name: "rich", Rule: "frequency >= 1", Channels: []string{campaign.SMS}, Body: "rich", ConversionValue: 100}
	launchTogether(t, f, cheap, rich)
	mails := map[string]bool{}
	for _, m := range f.mb.Mails() {
		mails[m.To] = true
	}
	sms := map[string]bool{}
	for _, p := range f.hook.Accepted() {
		sms[p.To] = true
	}
	for i := range f.n {
		if i%3 == 0 || i%10 == 9 { // no orders, or (odd, opted out of e-mail) neither channel
			continue
		}
		mail, text := mails[fmt.Sprintf("c%d@example.org", i)], sms[fmt.Sprintf("4915%08d", i)]
		switch {
		case i%2 == 0 && (!text || mail):
			t.Errorf("customer c%d (SMS opt-in): sms %v, mail %v; want the valuable SMS only", i, text, mail)
		case i%2 == 1 && (text || !mail):
			t.Errorf("customer c%d (no SMS consent): sms %v, mail %v; want the e-mail", i, text, mail)
		}
	}
}
