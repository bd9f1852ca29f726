package measure

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkReport1M is the target: a report over a 1M-customer
// campaign (90% treated, 10% holdout, revenue and KPI) in ≤ 1 s.
func BenchmarkReport1M(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 1_000_000
	os := make([]Outcome, n)
	for i := range os {
		o := &os[i]
		o.Customer = int64(i)
		o.Holdout = Unit("", "bench", int64(i)) < 0.1
		p := 0.10
		if !o.Holdout {
			p = 0.12
			o.Cost = 0.2
		}
		if r.Float64() < p {
			o.Converted = true
			o.Revenue = 20 + 80*r.Float64()
		}
		o.KPIBefore = r.Float64() * 50
		o.KPIAfter = o.KPIBefore + o.Revenue
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Summarize(os, Options{KPI: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAttributeAndReport1M covers the whole path from contact history
// and orders to the report: 1M touches (two overlapping campaigns),
// 300k orders, split attribution, outcomes and report of one campaign.
func BenchmarkAttributeAndReport1M(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 1_000_000
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	touches := make([]Touch, 0, n)
	for i := range n {
		c := "a"
		if i%5 == 0 {
			c = "b"
		}
		touches = append(touches, Touch{Customer: int64(i % 800_000), Campaign: c, At: t0.Add(time.Duration(r.IntN(72)) * time.Hour),
			Holdout: Unit("", c, int64(i)) < 0.1})
	}
	orders := make([]Order, 300_000)
	for i := range orders {
		orders[i] = Order{Customer: int64(r.IntN(800_000)), At: t0.Add(time.Duration(r.IntN(240)) * time.Hour), Revenue: 50}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cs := Attribute(touches, orders, Attribution{Window: 7 * 24 * time.Hour, Rule: Split})
		if _, err := Summarize(CampaignOutcomes("a", touches, cs, nil), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStratify1M(b *testing.B) {
	ms := make([]Member, 1_000_000)
	for i := range ms {
		ms[i] = Member{int64(i), string(rune('A' + i%3))}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Stratify(Holdout{Percent: 10, Global: 2}, "c", ms); err != nil {
			b.Fatal(err)
		}
	}
}
