package campaign_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
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

// BenchmarkCampaignReportStore1M is `sagitta campaign report` of a launched
// 1M-customer campaign over a real SQLite store, end to end: the frozen
// audience (900k treated), the arms (100k held out), 800k sent deliveries
// and a scan of 200k order lines placed in the window. Setup takes a
// while (it writes the deliveries and imports the orders); run on demand:
//
//	go test ./internal/campaign -run XXX -bench CampaignReportStore1M -benchtime 3x -count 5
func BenchmarkCampaignReportStore1M(b *testing.B) {
	const n, shop = 1_000_000, 2000
	dir := b.TempDir()
	st, in := markettest.Shop(b, dir, shop)
	mb, _ := markettest.NewMailbox(b, "", "", false)
	launch := markettest.AsOf.Add(time.Hour)
	m, err := marketing.Open(b.Context(), st, in, marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "s@example.org", SMTPTLS: "none",
		Clock: func() time.Time { return launch.Add(30 * 24 * time.Hour) }})
	if err != nil {
		b.Fatal(err)
	}
	c := campaign.Campaign{Name: "big", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b"}
	if _, err := m.Campaigns.Save(b.Context(), c, "bench"); err != nil {
		b.Fatal(err)
	}
	// the shop's customers plus synthetic ids make up the 1M
	ids, err := st.CustomerIDs(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	all := append([]int64{}, ids...)
	for id := int64(10_000_000); len(all) < n; id++ {
		all = append(all, id)
	}
	treated, held := roaring64.New(), roaring64.New()
	var deliveries []store.Delivery
	for i, id := range all {
		if i%10 == 0 {
			held.Add(uint64(id))
			continue
		}
		treated.Add(uint64(id))
		if i%9 != 0 {
			deliveries = append(deliveries, store.Delivery{Campaign: "big", CustomerID: id, Step: campaign.DefaultStep, Channel: campaign.Email,
				State: store.DeliverySent, Attempts: 1, CreatedAt: launch, UpdatedAt: launch})
		}
	}
	tb, _ := treated.MarshalBinary()
	hb, _ := held.MarshalBinary()
	arms, _ := json.Marshal(campaign.Arms{Campaign: "big", LaunchedAt: launch, TouchAt: launch, Holdout: measure.Holdout{Percent: 10}, Held: hb,
		Eligible: n})
	if _, err := st.PutDefinition(b.Context(), store.Definition{Kind: campaign.ArmsKind, Name: "big", Body: arms, CreatedAt: launch}); err != nil {
		b.Fatal(err)
	}
	err = st.UpdateMarketing(b.Context(), func(tx store.MarketingTx) error {
		if err := tx.PutCampaignRun(b.Context(), store.CampaignRun{Campaign: "big", State: store.RunDone, Audience: tb, Size: int64(treated.GetCardinality()),
			LaunchedAt: launch, UpdatedAt: launch}); err != nil {
			return err
		}
		for from := 0; from < len(deliveries); from += 50_000 {
			if _, err := tx.PutDeliveries(b.Context(), deliveries[from:min(from+50_000, len(deliveries))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	var batch ingest.Batch
	for k := range 200_000 {
		i := r.IntN(shop)
		batch.Lines = append(batch.Lines, ingest.OrderLineRecord{Source: "shop", Order: fmt.Sprint("b", k), Customer: fmt.Sprint("c", i),
			Time: launch.Add(time.Duration(r.Int64N(int64(14*24*time.Hour))) - 7*24*time.Hour), Item: "i1", Quantity: 1, UnitPrice: 20, Amount: 20, Kind: "sale"})
	}
	if _, err := ingest.NewLoader(st, identity.NewResolver(identity.DefaultPolicy())).Load(b.Context(), &batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := m.Campaigns.Report(b.Context(), "big", campaign.ReportOptions{})
		if err != nil || rep.Treatment.Customers != int64(treated.GetCardinality()) || rep.Orders == 0 {
			b.Fatal(err, rep.Treatment.Customers, rep.Orders)
		}
	}
}
