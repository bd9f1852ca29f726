//go:build unix

package campaign_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkDispatchEmail measures dispatch end to end: every iteration
// launches a campaign with an offer over the shop (SAGITTA_BENCH_CUSTOMERS,
// default 20,000) and sends it to the in-process SMTP server — eligibility,
// budget and codes, consent, caps over the shared history, rendering, the
// outbox and the contact history in SQLite, SMTP on loopback (plain, no
// auth; SAGITTA_BENCH_TLS=1: STARTTLS and AUTH). Reports messages per
// second and CPU per message.
func BenchmarkDispatchEmail(b *testing.B) {
	n := envInt("SAGITTA_BENCH_CUSTOMERS", 20_000)
	dir := b.TempDir()
	st, in := markettest.Shop(b, dir, n)
	// SAGITTA_BENCH_TLS=1: STARTTLS and AUTH PLAIN, as against a real relay
	tlsOn := os.Getenv("SAGITTA_BENCH_TLS") == "1"
	user, mode := "", "none"
	if tlsOn {
		user, mode = "bench", "starttls"
	}
	mb, tlsCfg := markettest.NewMailbox(b, user, "pw", tlsOn)
	mb.Keep = false
	clock := func() time.Time { return markettest.AsOf }
	// caps are checked on every send but set high enough that campaigns of
	// the same day are not stopped by them
	if err := marketing.SaveRules(context.Background(), st, contact.Rules{Caps: []contact.Cap{{Channel: "*", Max: 1 << 20, Window: contact.Duration(24 * time.Hour)}}}, "bench", clock()); err != nil {
		b.Fatal(err)
	}
	// SAGITTA_BENCH_JOURNAL=0: without the acceptance journal, to measure its cost
	journal := dir
	if os.Getenv("SAGITTA_BENCH_JOURNAL") == "0" {
		journal = ""
	}
	m, err := marketing.Open(context.Background(), st, in, marketing.Config{SMTPAddr: mb.Addr, SMTPFrom: "shop@example.org", SMTPTLS: mode,
		SMTPUser: user, SMTPPassword: "pw", SMTPTLSConfig: tlsCfg,
		SMTPConns: envInt("SAGITTA_BENCH_CONNS", 16), PublicURL: "https://shop.example", Clock: clock, DataDir: journal,
		Workers: envInt("SAGITTA_BENCH_WORKERS", 4), Batch: envInt("SAGITTA_BENCH_BATCH", 1000),
		SendChunk: envInt("SAGITTA_BENCH_CHUNK", 0)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Offers.Save(context.Background(), offer.Offer{Name: "ten", Type: offer.CouponAmount, Amount: 10, BudgetCount: 1 << 40,
		PerCustomer: 1 << 20, ValidUntil: markettest.AsOf.AddDate(1, 0, 0), Rule: "frequency >= 0"}, "bench"); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Campaigns.Run(ctx)
	b.ReportAllocs()
	sent, i := 0, 0
	var elapsed, cpu time.Duration
	for b.Loop() {
		name := fmt.Sprint("bench-", i)
		i++
		c := campaign.Campaign{Name: name, Rule: "frequency >= 0", Offer: "ten", Channels: []string{campaign.Email},
			Subject: "A gift for you, {{.Name}}", Body: "Hello {{.Name}},\nyour code {{.Code}} gives {{.Offer.Summary}} until {{.Offer.ValidUntil}}.\nUnsubscribe: {{.Unsubscribe}}\n"}
		if _, err := m.Campaigns.Save(ctx, c, "bench"); err != nil {
			b.Fatal(err)
		}
		before := mb.Count()
		cpu0 := cpuTime()
		start := time.Now()
		if _, err := m.Campaigns.Launch(ctx, name); err != nil {
			b.Fatal(err)
		}
		if err := m.Campaigns.Wait(ctx, name); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		got := mb.Count() - before
		st, _ := m.Campaigns.Status(ctx, name)
		if int64(got) != st.Deliveries[store.DeliverySent] || got < n*8/10 {
			b.Fatalf("campaign %s: %d mails, status %+v", name, got, st)
		}
		sent += got
	}
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "msgs/s")
	// CPU of the whole process (dispatcher, SQLite and the SMTP server)
	// per message: what the machine's load does not change much.
	b.ReportMetric(float64(cpu.Microseconds())/float64(sent), "cpu-µs/msg")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tableAudience serves rules over a hand-made feature table with the real
// rule engine, for an audience of a million customers without a million
// imported.
type tableAudience struct {
	tbl *feature.Table
	mu  sync.Mutex
	rs  map[string]*rule.Rule
}

func (a *tableAudience) SegmentRule(string) (string, error) { return "", fmt.Errorf("no segments") }
func (a *tableAudience) compile(src string) (*rule.Rule, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.rs[src]; r != nil {
		return r, nil
	}
	r, err := rule.Compile(src, rule.Schema{Columns: a.tbl.Cols})
	if err == nil {
		a.rs[src] = r
	}
	return r, err
}
func (a *tableAudience) Check(src string) error { _, err := a.compile(src); return err }
func (a *tableAudience) Explain(context.Context, string, int64) (rule.Explanation, bool, error) {
	return rule.Explanation{}, false, nil
}
func (a *tableAudience) Profile(int64) (offer.Profile, bool) { return offer.Profile{}, false }
func (a *tableAudience) Select(ctx context.Context, src string) ([]int64, error) {
	r, err := a.compile(src)
	if err != nil {
		return nil, err
	}
	bm, err := r.Eval(ctx, rule.Input{Table: a.tbl})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, bm.GetCardinality())
	it := bm.Iterator()
	for it.HasNext() {
		ids = append(ids, a.tbl.IDs[it.Next()])
	}
	return ids, nil
}

// BenchmarkLaunchMillion materializes the audience of a campaign over a
// million customers (a rule over the feature table, the holdout hook),
// freezes it in the store (SQLite) and queues it in jobs. Reports ms per launch.
func BenchmarkLaunchMillion(b *testing.B) {
	n := envInt("SAGITTA_BENCH_AUDIENCE", 1_000_000)
	r := rand.New(rand.NewPCG(1, 2))
	tbl := &feature.Table{AsOf: markettest.AsOf, IDs: make([]int64, n), Num: map[string][]float64{"frequency": make([]float64, n), "monetary": make([]float64, n)},
		Text: map[string][]string{}, Cols: []feature.Column{{Name: "frequency", Type: feature.Number, TypeName: "number"}, {Name: "monetary", Type: feature.Number, TypeName: "number"}}}
	for i := range n {
		tbl.IDs[i] = int64(i + 1)
		tbl.Num["frequency"][i] = float64(1 + r.IntN(10))
		tbl.Num["monetary"][i] = r.Float64() * 1000
	}
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := campaign.New(campaign.Options{Store: st, Audience: &tableAudience{tbl: tbl, rs: map[string]*rule.Rule{}},
		Senders: map[string]campaign.Sender{campaign.Email: nopSender{}}, Secret: []byte("0123456789abcdef0123"), Clock: func() time.Time { return markettest.AsOf }})
	if err != nil {
		b.Fatal(err)
	}
	benchLaunches(b, svc, "m", func(audience int64) bool { return audience == int64(n) })
}

// benchLaunches saves and launches a new campaign over the rule
// "frequency >= 1" each iteration; ok checks the launched audience.
func benchLaunches(b *testing.B, svc *campaign.Service, prefix string, ok func(audience int64) bool) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		name := fmt.Sprint(prefix, i)
		i++
		if _, err := svc.Save(context.Background(), campaign.Campaign{Name: name, Rule: "frequency >= 1", Channels: []string{campaign.Email},
			Subject: "s", Body: "b"}, "bench"); err != nil {
			b.Fatal(err)
		}
		st, err := svc.Launch(context.Background(), name)
		if err != nil {
			b.Fatal(err)
		}
		if !ok(st.Audience) {
			b.Fatalf("audience %d", st.Audience)
		}
	}
}

type nopSender struct{}

func (nopSender) Send(_ context.Context, msgs []campaign.Message) []error {
	return make([]error, len(msgs))
}
