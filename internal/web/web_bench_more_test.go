package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// benchSent adds what the later console pages read over a large shop: 40
// more offers (the customer page checks every one) and a sent e-mail
// campaign over a tenth of the table, with its run, holdout and one sent
// delivery per treated customer (the campaign list, page and report count
// them).
func benchSent(ctx context.Context, st store.Store, mk *marketing.Service, n int) error {
	noon := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	for i := range 40 {
		o := offer.Offer{Name: fmt.Sprintf("bench_o%02d", i), Type: offer.CouponAmount, Amount: float64(5 + i), Threshold: 50,
			Code: offer.CodeShared, SharedCode: "SAVE", ValidUntil: noon.AddDate(0, 1, 0), BudgetCount: 100_000, Value: float64(i)}
		if i%2 == 0 {
			o.Segment = "vip"
		} else {
			o.Rule = fmt.Sprintf("monetary > %d and recency_days < 900", 10*i)
		}
		if _, err := mk.Offers.Save(ctx, o, "bench"); err != nil {
			return err
		}
	}
	c := campaign.Campaign{Name: "bench_sent", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b"}
	if _, err := mk.Campaigns.Save(ctx, c, "bench"); err != nil {
		return err
	}
	launch := noon.AddDate(0, 0, -7)
	treated, held := roaring64.New(), roaring64.New()
	var ds []store.Delivery
	for id := int64(1); id <= int64(n); id += 10 {
		if id%100 == 1 {
			held.Add(uint64(id))
			continue
		}
		treated.Add(uint64(id))
		ds = append(ds, store.Delivery{Campaign: c.Name, CustomerID: id, Step: campaign.DefaultStep, Channel: campaign.Email,
			State: store.DeliverySent, Attempts: 1, CreatedAt: launch, UpdatedAt: launch})
	}
	tb, _ := treated.MarshalBinary()
	hb, _ := held.MarshalBinary()
	arms, _ := json.Marshal(campaign.Arms{Campaign: c.Name, LaunchedAt: launch, TouchAt: launch, Holdout: measure.Holdout{Percent: 10},
		Held: hb, Eligible: int64(treated.GetCardinality() + held.GetCardinality())})
	if _, err := st.PutDefinition(ctx, store.Definition{Kind: campaign.ArmsKind, Name: c.Name, Body: arms, CreatedAt: launch}); err != nil {
		return err
	}
	return st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		if err := tx.PutCampaignRun(ctx, store.CampaignRun{Campaign: c.Name, State: store.RunDone, Audience: tb,
			Size: int64(treated.GetCardinality()), LaunchedAt: launch, UpdatedAt: launch}); err != nil {
			return err
		}
		for from := 0; from < len(ds); from += 50_000 {
			if _, err := tx.PutDeliveries(ctx, ds[from:min(from+50_000, len(ds))]); err != nil {
				return err
			}
		}
		return nil
	})
}

var (
	adminOnce   sync.Once
	adminCookie *http.Cookie
	adminCSRF   string
)

// admin is an admin session on the large shop (the import page is theirs).
func (bs *benchShop) admin(b *testing.B) (*http.Cookie, string) {
	adminOnce.Do(func() {
		_, k, err := apikey.Generate(store.RoleAdmin, "bench admin", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := bs.srv.st.CreateAPIKey(context.Background(), k); err != nil {
			b.Fatal(err)
		}
		token := bs.srv.sessions.create(k)
		sess, _ := bs.srv.sessions.get(token)
		adminCookie, adminCSRF = &http.Cookie{Name: sessionCookie, Value: token}, sess.csrf
	})
	return adminCookie, adminCSRF
}

// BenchmarkPageMore renders the pages BenchmarkPage leaves out: the forms,
// the form errors the server renders, the import page, the export, and the
// pages of a sent campaign of a tenth of the shop.
func BenchmarkPageMore(b *testing.B) {
	bs := bigShop(b)
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	pages := []struct {
		name, method, path, body string
		code                     int
		admin, public            bool
	}{
		{name: "login", method: "GET", path: "/login", public: true},
		{name: "tag_new", method: "GET", path: "/tags/new"},
		{name: "segment_new", method: "GET", path: "/segments/new"},
		{name: "segment_members", method: "GET", path: "/customers?segment=vip"},
		{name: "segment_export", method: "GET", path: "/segments/win_back/export.csv"},
		{name: "segment_save_error", method: "POST", path: "/segments", code: http.StatusUnprocessableEntity,
			body: form("new", "1", "name", "bench_bad", "rule", "class_b and monetry > 5")},
		{name: "admission_add_error", method: "POST", path: "/admission/add", code: http.StatusUnprocessableEntity,
			body: form("list", "black", "customer", "", "reason", "")},
		{name: "import", method: "GET", path: "/import", admin: true},
		{name: "offer_new", method: "GET", path: "/offers/new"},
		{name: "offer_save_error", method: "POST", path: "/offers", code: http.StatusUnprocessableEntity,
			body: form("new", "1", "name", "bench_bad", "type", "coupon_percent", "percent", "ten", "code", "none")},
		{name: "campaign_new", method: "GET", path: "/campaigns/new"},
		{name: "campaign_edit", method: "GET", path: "/campaigns/bench_small/edit"},
		{name: "campaign_save_error", method: "POST", path: "/campaigns", code: http.StatusUnprocessableEntity,
			body: form("new", "1", "name", "bench_bad", "segment", "vip")},
		{name: "customer360_offers", method: "GET", path: "/customers/11"},
		{name: "campaigns_sent", method: "GET", path: "/campaigns"},
		{name: "campaign_sent", method: "GET", path: "/campaigns/bench_sent"},
		{name: "campaign_sent_report", method: "GET", path: "/campaigns/bench_sent/report"},
	}
	for _, p := range pages {
		if p.code == 0 {
			p.code = http.StatusOK
		}
		cookie, csrf := bs.cookie, bs.csrf
		if p.admin {
			cookie, csrf = bs.admin(b)
		}
		req := func() *http.Request {
			r := httptest.NewRequest(p.method, p.path, strings.NewReader(p.body))
			if p.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set(csrfHeader, csrf)
			}
			if !p.public {
				r.AddCookie(cookie)
			}
			return r
		}
		b.Run(p.name, func(b *testing.B) {
			w := httptest.NewRecorder()
			bs.srv.ServeHTTP(w, req())
			if w.Code != p.code {
				b.Fatalf("%s %s: %d, want %d\n%.2000s", p.method, p.path, w.Code, p.code, w.Body.String())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				bs.srv.ServeHTTP(httptest.NewRecorder(), req())
			}
			b.ReportMetric(float64(w.Body.Len()), "bytes/page")
		})
	}
}

// BenchmarkCampaignFiguresCompute is what the console keeps per campaign
// and computes in the background for the sent campaign of a tenth of the
// shop: the delivery counts and the report (before they were kept, every
// view of the campaign list, the campaign and its report paid for them).
func BenchmarkCampaignFiguresCompute(b *testing.B) {
	bs := bigShop(b)
	b.Run("delivery_counts", func(b *testing.B) {
		for range b.N {
			if _, err := bs.srv.st.DeliveryCounts(context.Background(), "bench_sent"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("report", func(b *testing.B) {
		for range b.N {
			if _, err := bs.srv.mk.Campaigns.Report(context.Background(), "bench_sent", campaign.ReportOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
