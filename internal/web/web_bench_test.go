package web

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"github.com/sagitta-dev/sagitta/internal/synth"
)

// The page benchmarks run the console over a large shop: a real SQLite
// store holding a small synthetic shop (for the customer pages), and a
// feature table of $SAGITTA_BENCH_CUSTOMERS customers (default 1,000,000)
// with random values in every column of the real schema, loaded as `sagitta
// serve` loads it, with the built-in tags and three segments evaluated.
//
//	go test -run x -bench Page -count 5 ./internal/web/

type benchShop struct {
	srv    *Server
	cookie *http.Cookie
	csrf   string
	n      int
}

var (
	benchOnce sync.Once
	benchFix  *benchShop
	benchErr  error
)

func bigShop(b *testing.B) *benchShop {
	benchOnce.Do(func() {
		n := 1_000_000
		if v, err := strconv.Atoi(os.Getenv("SAGITTA_BENCH_CUSTOMERS")); err == nil && v > 0 {
			n = v
		}
		benchFix, benchErr = buildBigShop(b.TempDir(), n)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFix
}

func buildBigShop(dir string, n int) (*benchShop, error) {
	ctx := context.Background()
	m, err := synth.Generate(ctx, filepath.Join(dir, "input"), synth.Options{Customers: 300, Seed: 3})
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	st, err := sqlite.Open(ctx, data, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	order := map[string]int{"items": 0, "customers": 1, "orders": 2, "events": 3}
	sort.SliceStable(m.Files, func(i, j int) bool { return order[m.Files[i].Kind] < order[m.Files[j].Kind] })
	res := identity.NewResolver(identity.DefaultPolicy())
	for _, f := range m.Files {
		kind, _ := ingest.ParseKind(f.Kind)
		if _, err := ingest.Import(ctx, st, res, []string{f.Path}, ingest.Options{Kind: kind, Source: f.Source}); err != nil {
			return nil, err
		}
	}
	// the real schema, then a big random table in its place
	in, err := insight.Open(ctx, st, insight.Options{})
	if err != nil {
		return nil, err
	}
	tbl := randomTable(in.Table().Cols, n, 11)
	f, err := os.Create(filepath.Join(data, insight.FeatureFile))
	if err != nil {
		return nil, err
	}
	if err := tbl.Save(f); err != nil {
		return nil, err
	}
	f.Close()
	if in, err = insight.Open(ctx, st, insight.Options{DataDir: data}); err != nil {
		return nil, err
	}
	for _, sg := range []segment.Segment{{Name: "win_back", Rule: "(silent or churned) and monetary > 100"},
		{Name: "vip", Rule: "class_a"}, {Name: "b_at_risk", Rule: "class_b and at_risk"}} {
		if _, err := in.Segs.Save(ctx, sg, "bench"); err != nil {
			return nil, err
		}
	}
	for i := range 30 { // a month of daily sizes
		sizes := []store.SegmentSize{}
		for _, s := range in.Segs.List() {
			sizes = append(sizes, store.SegmentSize{Segment: s.Name, At: time.Now().AddDate(0, 0, -30+i), Count: s.Count + int64(i*10)})
		}
		if err := st.AddSegmentSizes(ctx, sizes); err != nil {
			return nil, err
		}
	}
	if err := addLifecycleHistory(ctx, st, n); err != nil {
		return nil, err
	}
	var entries []store.AdmissionEntry
	for id := int64(1); id <= 100_000; id++ {
		entries = append(entries, store.AdmissionEntry{List: store.ListBlack, CustomerID: id * 7, Reason: "bench", Source: "bench", AddedAt: time.Now()})
	}
	if err := in.Lists.Add(ctx, entries); err != nil {
		return nil, err
	}
	_, k, err := apikey.Generate(store.RoleOperator, "bench", time.Now())
	if err != nil {
		return nil, err
	}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return nil, err
	}
	mk, err := benchMarketing(ctx, st, in, k.ID)
	if err != nil {
		return nil, err
	}
	if err := benchSent(ctx, st, mk, n); err != nil {
		return nil, err
	}
	// the models of the small shop in the store, for the models page
	if _, err := predict.FitCLV(ctx, st, predict.CLVOptions{DataDir: data, CalibrationEnd: predict.Day(m.End, time.UTC) - 60,
		HoldoutEnd: predict.Day(m.End, time.UTC)}); err != nil {
		return nil, err
	}
	if _, _, err := predict.TrainShopChurn(ctx, st, predict.ShopChurnOptions{DataDir: data, Clock: func() time.Time { return m.End }}); err != nil {
		return nil, err
	}
	srv := New(Options{Store: st, Insight: in, Marketing: mk, DataDir: data, SummaryTTL: time.Hour})
	token := srv.sessions.create(k)
	sess, _ := srv.sessions.get(token)
	return &benchShop{srv: srv, cookie: &http.Cookie{Name: sessionCookie, Value: token}, csrf: sess.csrf, n: n}, nil
}

var textValues = map[string][]string{
	"rfm_segment":         {"champions", "loyal", "potential_loyalist", "new", "promising", "need_attention", "about_to_sleep", "at_risk", "cannot_lose", "hibernating", "lost", ""},
	"value_loyalty_class": {"A", "B", "B", "C", "C", ""},
	"value_level":         {"low", "medium", "high", ""},
	"loyalty_level":       {"low", "medium", "high", ""},
	"lifecycle_stage":     {"prospect", "new", "active", "won_back", "silent", "churned"},
	"top_category":        {"fashion/women/dresses", "home/kitchen/mugs", "books/fiction", ""},
	"preferred_channel":   {"web", "app", "store", ""},
}

// randomTable makes n customers with random values in every column.
func randomTable(cols []feature.Column, n int, seed uint64) *feature.Table {
	t := &feature.Table{AsOf: time.Now().UTC().Truncate(24 * time.Hour), IDs: make([]int64, n),
		Num: map[string][]float64{}, Text: map[string][]string{}, Cols: cols}
	for i := range t.IDs {
		t.IDs[i] = int64(i + 1)
	}
	for ci, c := range cols {
		rng := rand.New(rand.NewPCG(seed, uint64(ci)))
		if c.Type == feature.Text {
			vals := textValues[c.Name]
			if vals == nil {
				vals = []string{"x", "y", ""}
			}
			col := make([]string, n)
			for i := range col {
				col[i] = vals[rng.IntN(len(vals))]
			}
			t.Text[c.Name] = col
			continue
		}
		col := make([]float64, n)
		for i := range col {
			switch {
			case rng.IntN(20) == 0:
				col[i] = math.NaN()
			case strings.Contains(c.Name, "probability"), c.Name == "p_alive", strings.HasPrefix(c.Name, "propensity"):
				col[i] = rng.Float64()
			case c.Name == "clv":
				col[i] = math.Round(rng.ExpFloat64()*20000) / 100
			case strings.HasPrefix(c.Name, "rfm_") && c.Name != "rfm_score":
				col[i] = float64(1 + rng.IntN(5))
			case strings.Contains(c.Name, "monetary"), strings.Contains(c.Name, "spend"):
				col[i] = math.Round(rng.ExpFloat64()*30000) / 100
			case strings.Contains(c.Name, "days"):
				col[i] = float64(rng.IntN(1500))
			case strings.Contains(c.Name, "share"), strings.Contains(c.Name, "rate"), strings.Contains(c.Name, "sensitivity"):
				col[i] = rng.Float64()
			default:
				col[i] = float64(rng.IntN(12))
			}
		}
		t.Num[c.Name] = col
	}
	return t
}

func (bs *benchShop) request(method, path, body string) *http.Request {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(csrfHeader, bs.csrf)
	} else {
		r = httptest.NewRequest(method, path, nil)
	}
	r.AddCookie(bs.cookie)
	return r
}

// BenchmarkPage renders every page over the large shop; the overview's
// aggregates are precomputed (BenchmarkOverviewCompute measures that).
func BenchmarkPage(b *testing.B) {
	bs := bigShop(b)
	lastPage := strconv.Itoa(bs.n/pageSize - 1)
	pages := []struct{ name, method, path, body string }{
		{"overview", "GET", "/", ""},
		{"customers", "GET", "/customers", ""},
		{"customers_deep", "GET", "/customers?page=" + lastPage, ""},
		{"segment_members_deep", "GET", "/customers?segment=win_back&page=2000", ""},
		{"customer360", "GET", "/customers/7", ""},
		{"tags", "GET", "/tags", ""},
		{"tag", "GET", "/tags/churned", ""},
		{"segments", "GET", "/segments", ""},
		{"segment_builder", "GET", "/segments/win_back", ""},
		{"admission", "GET", "/admission", ""},
		{"admission_deep", "GET", "/admission?list=black&after=650000", ""},
		{"live_count", "POST", "/rule/count", `{"rule":"class_b and at_risk and monetary > 50"}`},
		{"models", "GET", "/models", ""},
		{"offers", "GET", "/offers", ""},
		{"offer", "GET", "/offers/bench10", ""},
		{"campaigns", "GET", "/campaigns", ""},
		{"campaign", "GET", "/campaigns/bench_calls", ""},
		{"campaign_report", "GET", "/campaigns/bench_calls/report", ""},
		{"campaign_preview_small", "GET", "/campaigns/bench_small/preview", ""},
		{"campaign_preview_vip", "GET", "/campaigns/bench_calls/preview", ""},
		{"calls", "GET", "/calls", ""},
		{"call_task", "GET", "/calls/1", ""},
		{"contact_rules", "GET", "/contact-rules", ""},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			bs.srv.ServeHTTP(w, bs.request(p.method, p.path, p.body))
			if w.Code != http.StatusOK {
				b.Fatalf("%s %s: %d\n%s", p.method, p.path, w.Code, w.Body.String())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w := httptest.NewRecorder()
				bs.srv.ServeHTTP(w, bs.request(p.method, p.path, p.body))
			}
			b.ReportMetric(float64(w.Body.Len()), "bytes/page")
		})
	}
}

// benchMarketing opens the marketing service with an offer, a call
// campaign over the vip segment (a sixth of the table) with 2,000 call
// tasks (half of them assigned to key), and a small campaign.
func benchMarketing(ctx context.Context, st store.Store, in *insight.Service, key string) (*marketing.Service, error) {
	rules := contact.DefaultRules()
	rules.OptOutOnly = []string{"call"}
	if err := marketing.SaveRules(ctx, st, rules, "bench", time.Now()); err != nil {
		return nil, err
	}
	noon := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	mk, err := marketing.Open(ctx, st, in, marketing.Config{Clock: func() time.Time { return noon }})
	if err != nil {
		return nil, err
	}
	if _, err := mk.Offers.Save(ctx, offer.Offer{Name: "bench10", Type: offer.CouponPercent, Percent: 10, Code: offer.CodeUnique, Prefix: "B",
		ValidUntil: noon.AddDate(0, 1, 0), BudgetCount: 1_000_000, Rule: "frequency >= 1", Script: "Offer 10% off."}, "bench"); err != nil {
		return nil, err
	}
	for _, c := range []campaign.Campaign{
		{Name: "bench_calls", Segment: "vip", Offer: "bench10", Channels: []string{campaign.Call}, Script: "Hello {{.Name}}: {{.Offer.Summary}}, {{.Code}}"},
		{Name: "bench_small", Rule: "class_a and frequency == 11 and recency_days < 30", Channels: []string{campaign.Call}, Script: "Hello {{.Name}}"},
	} {
		if _, err := mk.Campaigns.Save(ctx, c, "bench"); err != nil {
			return nil, err
		}
	}
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for i := range 2000 {
			t := store.CallTask{Campaign: "bench_calls", CustomerID: int64(i + 1), Offer: "bench10", Script: "Hello: 10% off",
				State: store.CallOpen, CreatedAt: noon, UpdatedAt: noon}
			if i%2 == 0 {
				t.State, t.Assignee = store.CallAssigned, key
			}
			if _, err := tx.PutCallTask(ctx, &t); err != nil {
				return err
			}
		}
		return nil
	})
	return mk, err
}

// BenchmarkOverviewCompute is the background computation of the overview's
// aggregates over the whole table.
func BenchmarkOverviewCompute(b *testing.B) {
	bs := bigShop(b)
	b.ReportAllocs()
	for range b.N {
		if _, _, err := bs.srv.computeOverview(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreviewCompute is the background computation of a campaign's
// preview over the vip segment (a sixth of the table).
func BenchmarkPreviewCompute(b *testing.B) {
	bs := bigShop(b)
	b.ReportAllocs()
	for range b.N {
		if _, err := bs.srv.mk.Campaigns.Preview(context.Background(), "bench_calls", 3); err != nil {
			b.Fatal(err)
		}
	}
}
