package web_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/app"
	"github.com/sagitta-dev/sagitta/internal/cli"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"github.com/sagitta-dev/sagitta/internal/synth"
)

// shop is a real synthetic shop in a real SQLite store, with the
// intelligence computed and one API key per role, shared by the tests of
// this package.
type shop struct {
	st      store.Store
	in      *insight.Service
	mk      *marketing.Service
	rec     *recommend.Service
	handler http.Handler
	keys    map[string]string // role -> secret
	xssID   int64             // the customer whose attributes try to inject HTML
	end     time.Time         // the synthetic shop's last day; later orders come from tests
}

var (
	shopOnce sync.Once
	theShop  *shop
	shopErr  error
)

// The customer records whose values try to break out of the HTML.
const xssCSV = "customer,email,phone,name,city\n" +
	"xss-1,ann.lee@example.com,+86 138 0013 8000,\"<script>alert('name')</script>Ann\",<img src=x onerror=alert(1)>\n"

func newShop(t testing.TB) *shop {
	t.Helper()
	shopOnce.Do(func() { theShop, shopErr = buildShop() })
	if shopErr != nil {
		t.Fatalf("build the test shop: %v", shopErr)
	}
	return theShop
}

func buildShop() (*shop, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sagitta-web-test")
	if err != nil {
		return nil, err
	}
	m, err := synth.Generate(ctx, filepath.Join(dir, "input"), synth.Options{Customers: 2000, Seed: 7})
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "data"), sqlite.Options{})
	if err != nil {
		return nil, err
	}
	order := map[string]int{"items": 0, "customers": 1, "orders": 2, "events": 3}
	files := append([]synth.File(nil), m.Files...)
	sort.SliceStable(files, func(i, j int) bool { return order[files[i].Kind] < order[files[j].Kind] })
	xss := filepath.Join(dir, "xss.csv")
	if err := os.WriteFile(xss, []byte(xssCSV), 0o644); err != nil {
		return nil, err
	}
	files = append(files, synth.File{Kind: "customers", Source: "crm", Path: xss})
	res := identity.NewResolver(identity.DefaultPolicy())
	for _, f := range files {
		kind, err := ingest.ParseKind(f.Kind)
		if err != nil {
			return nil, err
		}
		if _, err := ingest.Import(ctx, st, res, []string{f.Path}, ingest.Options{Kind: kind, Source: f.Source,
			Rejects: filepath.Join(dir, "rejects.csv")}); err != nil {
			return nil, err
		}
	}
	// the features as of five dates two weeks apart, with two saved
	// segments, give a real history of segment sizes
	clock := m.End.AddDate(0, 0, -56)
	in, err := insight.Open(ctx, st, insight.Options{DataDir: filepath.Join(dir, "data"), Clock: func() time.Time { return clock }})
	if err != nil {
		return nil, err
	}
	if _, err := in.Recompute(ctx, clock, false); err != nil {
		return nil, err
	}
	for _, sg := range []segment.Segment{{Name: "win_back", Rule: "(silent or churned) and monetary > 100"}, {Name: "vip", Rule: "class_a"}} {
		if _, err := in.Segs.Save(ctx, sg, "test"); err != nil {
			return nil, err
		}
	}
	for ; !clock.After(m.End); clock = clock.AddDate(0, 0, 14) {
		if _, err := in.Recompute(ctx, clock, true); err != nil {
			return nil, err
		}
	}
	clock = m.End
	// the models: churn, CLV with a 90-day holdout (for the diagnostics),
	// recommendations from the orders; then the offers and campaigns
	if _, _, err := predict.TrainShopChurn(ctx, st, predict.ShopChurnOptions{DataDir: filepath.Join(dir, "data"), Clock: func() time.Time { return clock }}); err != nil {
		return nil, err
	}
	endDay := predict.Day(m.End, time.UTC)
	if _, err := in.FitCLV(ctx, predict.CLVOptions{CalibrationEnd: endDay - 90, HoldoutEnd: endDay}); err != nil {
		return nil, err
	}
	if _, err := in.Recompute(ctx, clock, true); err != nil {
		return nil, err
	}
	rec, err := trainRecommender(ctx, st)
	if err != nil {
		return nil, err
	}
	// calls go to customers who did not opt out; the marketing clock stands
	// at noon, out of the quiet hours
	rules := contact.DefaultRules()
	rules.OptOutOnly = []string{"call"}
	if err := marketing.SaveRules(ctx, st, rules, "test", clock); err != nil {
		return nil, err
	}
	noon := clock.Truncate(24 * time.Hour).Add(12 * time.Hour)
	mk, err := marketing.Open(ctx, st, in, marketing.Config{Clock: func() time.Time { return noon }, PublicURL: "http://console.test"})
	if err != nil {
		return nil, err
	}
	go mk.Campaigns.Run(context.Background())
	s := &shop{st: st, in: in, mk: mk, rec: rec, keys: map[string]string{}, end: m.End}
	// keys by role, and a second agent ("agent2")
	for _, role := range []string{store.RoleAdmin, store.RoleAnalyst, store.RoleOperator, store.RoleAgent, "agent2"} {
		secret, k, err := apikey.Generate(strings.TrimSuffix(role, "2"), "test-"+role, time.Now())
		if err != nil {
			return nil, err
		}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			return nil, err
		}
		s.keys[role] = secret
	}
	if s.xssID, err = profile.Lookup(ctx, st, "crm:xss-1"); err != nil {
		return nil, err
	}
	// an offer buyers may get, and two contacts of a customer with a class
	if _, err := mk.Offers.Save(ctx, offer.Offer{Name: "vip10", Description: "10% off for buyers", Type: offer.CouponPercent, Percent: 10,
		Code: offer.CodeUnique, Prefix: "VIP", ValidUntil: clock.AddDate(0, 2, 0), BudgetCount: 5000, Rule: "frequency >= 1",
		Script: "Offer <b>10%</b> off the next order."}, "test"); err != nil {
		return nil, err
	}
	classy := s.classy(nil)
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return contact.Record(ctx, tx, []store.Contact{
			{CustomerID: classy, Channel: "email", Kind: store.ContactSent, Campaign: "spring", Step: "main", At: clock.AddDate(0, 0, -3)},
			{CustomerID: classy, Channel: "call", Kind: store.ContactIntent, Campaign: "spring", Step: "main", At: clock.AddDate(0, 0, -1),
				Detail: "<i>wants</i> the blue one"}})
	})
	if err != nil {
		return nil, err
	}
	s.handler = app.NewHandler(cli.Services{Store: st, Resolver: res, Insight: in, Marketing: mk, Recommend: rec})
	return s, nil
}

// client is a browser-like HTTP client: a cookie jar, no redirects followed
// unless asked.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
}

func newClient(t testing.TB, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) (int, string, http.Header) {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	body := b.String()
	if m := csrfRE.FindStringSubmatch(body); m != nil {
		c.csrf = m[1]
	}
	return res.StatusCode, body, res.Header
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	code, body, _ := c.do(req)
	return code, body
}

// post sends a form with the page's CSRF token (unless the form sets csrf).
func (c *client) post(path string, form url.Values) (int, string, http.Header) {
	c.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// login logs in with the key of a role.
func (c *client) login(secret string) {
	c.t.Helper()
	if code, _ := c.get("/login"); code != http.StatusOK {
		c.t.Fatalf("GET /login: %d", code)
	}
	code, body, h := c.post("/login", url.Values{"key": {secret}, "next": {"/"}})
	home := h.Get("Location") // the overview; the call queue for an agent
	if code != http.StatusSeeOther || (home != "/" && home != "/calls") {
		c.t.Fatalf("POST /login: %d %s\n%s", code, home, body)
	}
	if code, _ := c.get(home); code != http.StatusOK { // picks up the session's CSRF token
		c.t.Fatalf("GET %s after login: %d", home, code)
	}
}

// newKey stores a fresh key of a role.
func newKey(t *testing.T, s *shop, role string) (string, store.APIKey) {
	t.Helper()
	secret, k, err := apikey.Generate(role, "extra-"+role, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.CreateAPIKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return secret, k
}

// classy returns a customer with a value–loyalty class.
func (s *shop) classy(t testing.TB) int64 {
	if t != nil {
		t.Helper()
	}
	tbl := s.in.Table()
	for i, c := range tbl.Text["value_loyalty_class"] {
		if c != "" {
			return tbl.IDs[i]
		}
	}
	t.Fatal("no customer has a class")
	return 0
}

// recShopConfig is the test shop's recommendation model.
var recShopConfig = recommend.Config{Model: "itemknn"}

// trainRecommender trains a recommendation model on the store's orders, as
// 'sagitta recommend train --from-store' does (with its held-out
// evaluation), and serves it.
func trainRecommender(ctx context.Context, st store.Store) (*recommend.Service, error) {
	d, cat, err := recommend.OrderInteractions(ctx, st, time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	m, err := recommend.TrainEvaluated(ctx, d, recShopConfig, recommend.EvalOptions{})
	if err != nil {
		return nil, err
	}
	m.SetCatalogue(cat)
	rec := recommend.NewService(recommend.ServiceOptions{Items: st, History: recommend.StoreHistory{Store: st}})
	rec.Swap(m)
	return rec, nil
}
