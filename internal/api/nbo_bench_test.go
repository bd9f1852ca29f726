package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// BenchmarkNextBestOffersLatency serves GET /v1/customers/{ref}/next-best-offers
// over loopback at a steady 500 requests/s (open loop: a request starts
// every 2 ms whether or not the previous ones are answered) for a shop of
// 5,000 customers with 12 offers, the default policy and a contact history
// of 3 contacts per customer. Reports p50 and p99 in ms.
func BenchmarkNextBestOffersLatency(b *testing.B) {
	const customers = 5000
	e, m, _ := newMarketingEnv(b, customers)
	ctx := context.Background()
	kinds := []offer.Offer{
		{Type: offer.CouponAmount, Amount: 10}, {Type: offer.CouponPercent, Percent: 10, UnitCost: 5}, {Type: offer.Threshold, Threshold: 200, Amount: 20},
		{Type: offer.FreeShipping, UnitCost: 4}, {Type: offer.Gift, Gift: "i1", UnitCost: 3}, {Type: offer.Content, Content: "new range"},
	}
	rules := []string{"frequency >= 1", "monetary > 50", "frequency >= 0"}
	for i := range 12 {
		o := kinds[i%len(kinds)]
		o.Name, o.ValidUntil, o.BudgetCount, o.Rule, o.Script = fmt.Sprint("o", i), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), 1<<30, rules[i%3], "say hello"
		if _, err := m.Offers.Save(ctx, o, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	ids, _ := e.st.CustomerIDs(ctx)
	err := e.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		var cs []store.Contact
		for _, id := range ids {
			for k := range 3 {
				cs = append(cs, store.Contact{CustomerID: id, Channel: []string{"email", "sms", "call"}[k], Kind: store.ContactSent, At: now.Add(-time.Duration(k) * time.Hour)})
			}
		}
		return tx.AddContacts(ctx, cs)
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(e.h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(i int) (time.Duration, error) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/v1/customers/shop:c%d/next-best-offers", srv.URL, (i*7919)%customers), nil)
		req.Header.Set("Authorization", "Bearer "+e.keys["analyst"])
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		var buf [32 << 10]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}
	for i := range 200 { // warm up: connections, compiled rules
		if _, err := get(i); err != nil {
			b.Fatal(err)
		}
	}
	const perIter = 1000 // 2 s at 500/s
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		tick := time.NewTicker(2 * time.Millisecond)
		var wg sync.WaitGroup
		for range perIter {
			<-tick.C
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				d, err := get(i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
			}(n)
			n++
		}
		tick.Stop()
		wg.Wait()
	}
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
