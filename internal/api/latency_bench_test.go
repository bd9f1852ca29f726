package api_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// BenchmarkMembershipLatency measures event-to-segment-membership latency:
// a server with 20,000 customers (SAGITTA_BENCH_CUSTOMERS), features, the built-in tags and a saved
// segment receives 10,000 events/s (batches of 100 every 10 ms); an event
// is reflected in the tags and segments when its POST is answered, so the
// latency is the time from sending a batch to its answer. Reports p50 and
// p99 in ms.
func BenchmarkMembershipLatency(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	customers := 20_000
	if v := os.Getenv("SAGITTA_BENCH_CUSTOMERS"); v != "" {
		if _, err := fmt.Sscan(v, &customers); err != nil || customers <= 0 {
			b.Fatalf("SAGITTA_BENCH_CUSTOMERS=%q: want a positive number", v)
		}
	}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch ingest.Batch
	for i := range customers {
		batch.Lines = append(batch.Lines, ingest.OrderLineRecord{Source: "shop", Order: fmt.Sprint("o", i),
			Customer: fmt.Sprint("c", i), Time: t0.Add(time.Duration(i) * time.Minute), Item: fmt.Sprint("i", i%300),
			Quantity: 1, UnitPrice: 10, Amount: 10, Kind: "sale"})
	}
	res := identity.NewResolver(identity.DefaultPolicy())
	if _, err := ingest.NewLoader(st, res).Load(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	in, err := insight.Open(ctx, st, insight.Options{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	asOf := t0.AddDate(0, 1, 0)
	if _, err := in.Recompute(ctx, asOf, false); err != nil {
		b.Fatal(err)
	}
	for _, sg := range []segment.Segment{{Name: "browsers", Rule: "views_30d >= 1"},
		{Name: "browsing_regulars", Rule: "repeat_buyer or (views_7d >= 2 and not in_list(\"black\"))"}} {
		if _, err := in.Segs.Save(ctx, sg, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(api.New(api.Options{Store: st, Resolver: res, Insight: in, Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	secret := adminKey(b, st)

	var lat []time.Duration
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for b.Loop() {
		<-tick.C
		var body bytes.Buffer
		body.WriteByte('[')
		for i := range 100 {
			if i > 0 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, `{"event":"e%d","customer":"c%d","type":"view","time":"%s","item":"i%d"}`,
				n, (n*7919)%customers, asOf.Add(time.Duration(n)*time.Millisecond).Format(time.RFC3339Nano), n%300)
			n++
		}
		body.WriteByte(']')
		req, _ := http.NewRequest("POST", srv.URL+"/v1/events?source=shop", &body)
		req.Header.Set("Authorization", "Bearer "+secret)
		start := time.Now()
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		lat = append(lat, time.Since(start))
	}
	browsers, err := in.Count(ctx, "views_30d >= 1")
	if err != nil || browsers == 0 {
		b.Fatalf("no customer became a browser (%d, %v): the events did not reach the segments", browsers, err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

func adminKey(b *testing.B, st interface {
	CreateAPIKey(context.Context, store.APIKey) error
}) string {
	secret, k, err := apikey.Generate("admin", "bench", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateAPIKey(context.Background(), k); err != nil {
		b.Fatal(err)
	}
	return secret
}
