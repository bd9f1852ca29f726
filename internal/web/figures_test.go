package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// A campaign's delivery counts and report come from the console's cache:
// a change of the run's state shows at once, new deliveries within the
// counts' few seconds, and the report page says when its report was
// computed and shows the same one again.
func TestCampaignFiguresCached(t *testing.T) {
	s, srv := server(t)
	ctx := context.Background()
	c := campaign.Campaign{Name: "fig_mail", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "Hi", Body: "Hi"}
	if _, err := s.mk.Campaigns.Save(ctx, c, "test"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	audience := roaring64.New()
	audience.AddRange(1, 101)
	members, _ := audience.MarshalBinary()
	put := func(state string, from, to int64) {
		t.Helper()
		err := s.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
			run := store.CampaignRun{Campaign: c.Name, State: state, Audience: members, Size: 100, LaunchedAt: at, UpdatedAt: time.Now()}
			if err := tx.PutCampaignRun(ctx, run); err != nil {
				return err
			}
			var ds []store.Delivery
			for id := from; id < to; id++ {
				ds = append(ds, store.Delivery{Campaign: c.Name, CustomerID: id, Step: campaign.DefaultStep, Channel: campaign.Email,
					State: store.DeliverySent, Attempts: 1, CreatedAt: at, UpdatedAt: at})
			}
			_, err := tx.PutDeliveries(ctx, ds)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(store.RunRunning, 1, 31)
	t.Cleanup(func() { put(store.RunDone, 0, 0) }) // the other tests' campaigns do not compete with it
	cl := loggedIn(t, srv, s, store.RoleAnalyst)
	page := func(path string) string {
		t.Helper()
		code, body := cl.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		return body
	}
	if body := page("/campaigns/fig_mail"); !strings.Contains(body, `id="st-sent">30<`) {
		t.Fatal("the campaign page does not count 30 sent")
	}
	put(store.RunPaused, 31, 41)
	body := page("/campaigns/fig_mail")
	if !strings.Contains(body, `<td>paused</td>`) {
		t.Error("the run's new state does not show at once")
	}
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(body, `id="st-sent">40<`); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the campaign page never counts the 10 new deliveries")
		}
		body = page("/campaigns/fig_mail")
	}
	if body := page("/campaigns"); !strings.Contains(body, "sent 40") {
		t.Error("the campaign list does not count 40 sent")
	}
	computed := regexp.MustCompile(`id="report-at">([^<]+)<`)
	first := computed.FindStringSubmatch(page("/campaigns/fig_mail/report"))
	if first == nil {
		t.Fatal("the report page does not say when the report was computed")
	}
	if again := computed.FindStringSubmatch(page("/campaigns/fig_mail/report")); again == nil || again[1] != first[1] {
		t.Errorf("a second view computed the report again: %v, then %v", first[1], again)
	}
}
