package marketing_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/recommend"
)

// Templates get recommendations from a trained model; before one is
// trained they get none, and nothing fails.
func TestRecommendationsInMessages(t *testing.T) {
	ctx := context.Background()
	st, in := markettest.Shop(t, t.TempDir(), 60)
	svc := recommend.NewService(recommend.ServiceOptions{Items: st})
	open := func() *marketing.Service {
		m, err := marketing.Open(ctx, st, in, marketing.Config{SMTPAddr: "127.0.0.1:1", SMTPFrom: "a@b.c", SMTPTLS: "none",
			Recommend: marketing.Recommender(svc, st), Clock: func() time.Time { return markettest.AsOf }})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	c := campaign.Campaign{Name: "recs", Rule: "frequency >= 1", Channels: []string{"email"}, Subject: "s",
		Body: "For you:{{range .Recommendations}} {{.Title}}{{end}}."}
	if _, err := m.Campaigns.Save(ctx, c, "t"); err != nil {
		t.Fatal(err)
	}
	p, err := m.Campaigns.Preview(ctx, "recs", 2)
	if err != nil || len(p.Sample) != 2 || p.Sample[0].Body != "For you:." {
		t.Fatalf("without a model: %+v, %v", p.Sample, err)
	}
	ids, _ := st.CustomerIDs(ctx)
	d := recommend.NewDataset()
	for i, id := range ids {
		for k := range 4 {
			d.Add(strconv.FormatInt(id, 10), fmt.Sprint("i", (i+k*7)%50), 1)
		}
	}
	cfg := recommend.DefaultConfig()
	cfg.ALS.Factors = 4
	model, err := recommend.Train(ctx, d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Swap(model)
	p, err = m.Campaigns.Preview(ctx, "recs", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Sample {
		if n := strings.Count(s.Body, " i"); n != 3 {
			t.Errorf("body %q: want 3 recommended items", s.Body)
		}
	}
}
