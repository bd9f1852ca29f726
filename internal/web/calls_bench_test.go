package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// BenchmarkCallQueue renders the call queue (first page, a deep page) and
// a campaign's page and report over a call campaign of 100,000 and then
// 1,000,000 tasks in the test shop's SQLite store (a sixth of them the
// agent's, a sixth done, a sixth call backs), in process: server time.
// Storing the 1.1 million tasks takes a minute or two before the timing.
func BenchmarkCallQueue(b *testing.B) {
	s := newShop(b)
	srv := httptest.NewServer(s.handler)
	defer srv.Close()
	c := newClient(b, srv)
	c.login(s.keys[store.RoleOperator])
	u, _ := url.Parse(srv.URL)
	cookies := c.hc.Jar.Cookies(u)
	me := keyID(s.keys[store.RoleOperator])
	for _, n := range []int{100_000, 1_000_000} {
		name := "bench_q" + strconv.Itoa(n/1000) + "k"
		if _, err := s.mk.Campaigns.Save(context.Background(), campaign.Campaign{Name: name, Rule: "frequency >= 1",
			Channels: []string{campaign.Call}, Script: "Hello"}, "bench"); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		benchTasks(b, s, name, n, me)
		b.Logf("stored %d call tasks in %v", n, time.Since(start).Round(time.Millisecond))
		deep := deepQueuePage(b, s, name)
		for _, p := range []struct{ name, path string }{
			{"queue", "/calls?campaign=" + name},
			{"queue_all", "/calls"},
			{"queue_deep", deep},
			{"campaign", "/campaigns/" + name},
			{"campaign_report", "/campaigns/" + name + "/report"},
		} {
			b.Run(strconv.Itoa(n/1000)+"k/"+p.name, func(b *testing.B) {
				get := func() *httptest.ResponseRecorder {
					r := httptest.NewRequest(http.MethodGet, p.path, nil)
					for _, ck := range cookies {
						r.AddCookie(ck)
					}
					w := httptest.NewRecorder()
					s.handler.ServeHTTP(w, r)
					return w
				}
				if w := get(); w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", p.path, w.Code)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					get()
				}
			})
		}
	}
}

// benchTasks stores n tasks of a campaign in transactions of 50,000.
func benchTasks(b *testing.B, s *shop, name string, n int, agent string) {
	ctx := context.Background()
	now := time.Now().UTC()
	for lo := 0; lo < n; lo += 50_000 {
		err := s.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
			for i := lo; i < min(lo+50_000, n); i++ {
				tk := store.CallTask{Campaign: name, CustomerID: int64(i + 1), Offer: "vip10", Script: "Hello: 10% off",
					State: store.CallOpen, CreatedAt: now, UpdatedAt: now}
				switch i % 6 {
				case 0:
					tk.State, tk.Assignee = store.CallAssigned, agent
				case 1:
					tk.State, tk.Assignee, tk.Result = store.CallDone, "other", store.ContactIntent
				case 2:
					tk.Assignee, tk.Result = "other", store.ContactCallBack
					tk.CallbackAt = now.Add(time.Duration(i%96-48) * time.Hour)
				}
				if _, err := tx.PutCallTask(ctx, &tk); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// deepQueuePage is the address of a page of open tasks near the end of the
// campaign's queue.
func deepQueuePage(b *testing.B, s *shop, name string) string {
	now := time.Now()
	c, err := s.st.CallTaskCounts(context.Background(), name)
	if err != nil {
		b.Fatal(err)
	}
	// the task 50 before the last open one, found from the end backward
	last, err := s.st.CallTaskPage(context.Background(), store.CallPage{Campaign: name, State: store.CallOpen, Now: now,
		Before: store.CallCursor{CallbackAt: now.AddDate(100, 0, 0), ID: 1 << 62}, Limit: 51})
	if err != nil || len(last) == 0 || c.ByState[store.CallOpen] < 100 {
		b.Fatalf("the end of the queue: %d tasks, %v", len(last), err)
	}
	cur := last[0].Cursor()
	cb := "0"
	if !cur.CallbackAt.IsZero() {
		cb = strconv.FormatInt(cur.CallbackAt.UnixMicro(), 10)
	}
	return "/calls?campaign=" + name + "&at=" + strconv.FormatInt(now.UnixMicro(), 10) + "&after=" + cb + "." + strconv.FormatInt(cur.ID, 10)
}
