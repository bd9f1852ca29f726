package campaign_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// externalIDs maps internal customer ids to the fixture's "c<i>".
func externalIDs(t *testing.T, st store.Store, ids []int64) map[int64]string {
	t.Helper()
	addrs, err := st.AddressesOf(t.Context(), store.KindEmail, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for id, a := range addrs {
		out[id] = strings.TrimSuffix(a, "@example.org")
	}
	return out
}

// TestReportEndToEnd launches a campaign to a real SMTP server over a real
// SQLite shop, imports orders afterwards for some treated and some held-out
// customers with a known difference, and checks the report's counts and
// uplift against it.
func TestReportEndToEnd(t *testing.T) {
	const n = 1200
	pct := 25.0
	f := newFixture(t, n, func(c *marketing.Config) { c.Measure = &campaign.Measurement{Salt: "e2e"} })
	c := campaign.Campaign{Name: "winback", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "Hi", Body: "Hello {{.Name}}",
		HoldoutPercent: &pct}
	st := f.run(t, c)
	arms, err := f.m.Campaigns.ArmsOf(t.Context(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := arms.HeldOut()
	run, err := f.st.CampaignRun(t.Context(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	treated := decode(t, run.Audience)
	if len(treated)+len(held) != n || st.Deliveries[store.DeliverySent] == 0 {
		t.Fatalf("%d treated + %d held, want %d; status %+v", len(treated), len(held), n, st)
	}
	// known truth: 40% of the treated buy 50 within the week, 12% of the held out; plus
	// orders outside the window (not counted) and a cancellation (not a sale)
	ext := externalIDs(t, f.st, append(append([]int64{}, treated...), held...))
	var b ingest.Batch
	buy := func(id int64, k int, at time.Time, kind store.OrderKind) {
		b.Lines = append(b.Lines, ingest.OrderLineRecord{Source: "shop", Order: fmt.Sprintf("r%d-%d", id, k), Customer: ext[id], Time: at,
			Item: "i1", Quantity: 1, UnitPrice: 50, Amount: 50, Kind: kind})
	}
	touch := arms.TouchAt
	var wantT, wantH int
	for i, id := range treated {
		if i%5 < 2 {
			buy(id, 0, touch.Add(time.Duration(1+i%100)*time.Hour), "sale")
			wantT++
		} else if i%5 == 2 {
			buy(id, 1, touch.Add(8*24*time.Hour), "sale") // after the window
		}
	}
	for i, id := range held {
		if i%25 < 3 {
			buy(id, 0, touch.Add(48*time.Hour), "sale")
			wantH++
		} else if i%25 == 3 {
			buy(id, 2, touch.Add(24*time.Hour), "cancel")
		}
	}
	if _, err := ingest.NewLoader(f.st, identity.NewResolver(identity.DefaultPolicy())).Load(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	r, err := f.m.Campaigns.Report(t.Context(), c.Name, campaign.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rT, rH := float64(wantT)/float64(len(treated)), float64(wantH)/float64(len(held))
	if r.Treatment.Customers != int64(len(treated)) || r.Holdout.Customers != int64(len(held)) ||
		r.Treatment.Conversions != int64(wantT) || r.Holdout.Conversions != int64(wantH) {
		t.Fatalf("report arms %+v / %+v; want %d/%d and %d/%d conversions", r.Treatment, r.Holdout, wantT, len(treated), wantH, len(held))
	}
	if math.Abs(float64(r.Uplift.Value)-(rT-rH)) > 1e-12 || !(float64(r.Uplift.Low) > 0) || float64(r.Uplift.PValue) > 1e-6 ||
		r.Verdict != measure.Win {
		t.Errorf("uplift %+v verdict %s; want %.4f, significant win", r.Uplift, r.Verdict, rT-rH)
	}
	if math.Abs(r.Treatment.RevenuePerCustomer-50*rT) > 1e-9 || math.Abs(float64(r.IncrementalRevenue.Value)-50*(rT-rH)*float64(len(treated))) > 1e-6 {
		t.Errorf("revenue per customer %v, incremental %v; want %v and %v", r.Treatment.RevenuePerCustomer, r.IncrementalRevenue.Value,
			50*rT, 50*(rT-rH)*float64(len(treated)))
	}
	if r.Orders != wantT+wantH || r.Sent != st.Deliveries[store.DeliverySent] || r.KPI == nil || math.Abs(r.KPI.TreatmentAfter-50*rT) > 1e-9 || r.KPI.TreatmentBefore != 0 {
		t.Errorf("orders %d (want %d), sent %d (want %d), KPI %+v", r.Orders, wantT+wantH, r.Sent, st.Deliveries[store.DeliverySent], r.KPI)
	}
	// a second campaign touching everyone the day after: under split, orders after it are shared
	c2 := campaign.Campaign{Name: "second", Rule: "frequency >= 0", Channels: []string{campaign.SMS}, Body: "b"}
	f.run(t, c2)
	if _, err := f.m.Campaigns.ArmsOf(t.Context(), c2.Name); err != nil {
		t.Fatal(err)
	}
	split, err := f.m.Campaigns.Report(t.Context(), c.Name, campaign.ReportOptions{Rule: measure.Split})
	if err != nil {
		t.Fatal(err)
	}
	if split.Treatment.Revenue > r.Treatment.Revenue || split.Attribution != "split" {
		t.Errorf("split: revenue %v > last-touch %v", split.Treatment.Revenue, r.Treatment.Revenue)
	}
	last, err := f.m.Campaigns.Report(t.Context(), c.Name, campaign.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if last.Treatment.Conversions > r.Treatment.Conversions || last.Holdout.Conversions > r.Holdout.Conversions {
		t.Errorf("a later campaign cannot add conversions under last touch: %+v then %+v", r.Treatment, last.Treatment)
	}
	// the report survives a restart of the service
	m2 := reopen(t, f, func() time.Time { return markettest.AsOf.Add(30 * 24 * time.Hour) })
	again, err := m2.Campaigns.Report(t.Context(), c.Name, campaign.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Treatment != last.Treatment || again.Holdout != last.Holdout || !again.Complete {
		t.Errorf("after a restart: %+v / %+v complete %v", again.Treatment, again.Holdout, again.Complete)
	}
}

func decode(t *testing.T, blob []byte) []int64 {
	t.Helper()
	bm := roaring64.New()
	if err := bm.UnmarshalBinary(blob); err != nil {
		t.Fatal(err)
	}
	out := []int64{}
	it := bm.Iterator()
	for it.HasNext() {
		out = append(out, int64(it.Next()))
	}
	return out
}
