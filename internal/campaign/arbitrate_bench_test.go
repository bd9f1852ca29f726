package campaign_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
)

// BenchmarkDispatchArbitration dispatches a 20k-customer e-mail campaign to
// the in-process SMTP server over SQLite, alone and with a rival running
// campaign (scheduled for later) that wants every customer, so that every
// customer is contested under the one-a-day cap and arbitrated. Reports
// messages per second (ns/op is one whole campaign). On demand:
//
//	go test ./internal/campaign -run XXX -bench DispatchArbitration -benchtime 1x -count 5
func BenchmarkDispatchArbitration(b *testing.B) {
	const n = 20_000
	for _, rival := range []bool{false, true} {
		b.Run(fmt.Sprint("rival=", rival), func(b *testing.B) {
			b.ReportAllocs()
			var sent int64
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				st, in := markettest.Shop(b, b.TempDir(), n)
				mb, _ := markettest.NewMailbox(b, "", "", false)
				mb.Keep = false
				m, err := marketing.Open(b.Context(), st, in, marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "s@example.org", SMTPTLS: "none",
					SMTPConns: 4, Clock: func() time.Time { return markettest.AsOf }})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				if rival {
					r := campaign.Campaign{Name: "later", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b",
						StartAt: markettest.AsOf.Add(24 * time.Hour), ConversionValue: 500}
					if _, err := m.Campaigns.Save(ctx, r, "b"); err != nil {
						b.Fatal(err)
					}
					if _, err := m.Campaigns.Launch(ctx, r.Name); err != nil {
						b.Fatal(err)
					}
				}
				c := campaign.Campaign{Name: "now", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "Hello {{.Name}}",
					ConversionValue: 1000} // wins every arbitration, so both variants send the same
				if _, err := m.Campaigns.Save(ctx, c, "b"); err != nil {
					b.Fatal(err)
				}
				dctx, stop := context.WithCancel(ctx)
				var wg sync.WaitGroup
				wg.Go(func() { m.Campaigns.Run(dctx) })
				b.StartTimer()
				start := time.Now()
				if _, err := m.Campaigns.Launch(ctx, c.Name); err != nil {
					b.Fatal(err)
				}
				if err := m.Campaigns.Wait(ctx, c.Name); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				b.StopTimer()
				stop()
				wg.Wait()
				s, _ := m.Campaigns.Status(ctx, c.Name)
				sent += s.Deliveries["sent"]
				if rival && s.Deliveries["sent"] < n*8/10 {
					b.Fatalf("the campaign that wins every arbitration sent only %d: %+v", s.Deliveries["sent"], s)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(sent)/elapsed.Seconds(), "msgs/s")
		})
	}
}
