package campaign

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/measure"
)

// BenchmarkCampaignReport1M is the report of a 1M-customer campaign (900k
// treated, 100k held out, 300k orders around it, a competing campaign
// touching 200k of them) once its inputs are read: attribution and summary.
func BenchmarkCampaignReport1M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := &reportInput{campaign: "big", touchAt: at, opts: ReportOptions{Window: 7 * 24 * time.Hour}, kpiWindow: 7 * 24 * time.Hour,
		offerCost: 0.05 * 800_000}
	for id := int64(1); id <= 1_000_000; id++ {
		if id%10 == 0 {
			in.held = append(in.held, id)
			continue
		}
		in.treated = append(in.treated, id)
		if id%5 == 0 {
			in.others = append(in.others, measure.Touch{Customer: id, Campaign: "other", At: at.Add(36 * time.Hour)})
		}
	}
	for range 300_000 {
		id := 1 + r.Int64N(1_000_000)
		in.orders = append(in.orders, measure.Order{Customer: id, At: at.Add(time.Duration(r.Int64N(int64(14*24*time.Hour))) - 7*24*time.Hour),
			Revenue: 10 + 90*r.Float64()})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, n, err := buildReport(in)
		if err != nil || rep.Treatment.Customers != 900_000 || n == 0 {
			b.Fatal(err, rep.Treatment.Customers, n)
		}
	}
}
