package campaign_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/model/uplift"
)

// persuadableModel trains a two-model uplift model on a randomized
// experiment where only customers with frequency >= 2 respond to the
// campaign (+50 points); everyone else converts at 10% either way.
func persuadableModel(t *testing.T) string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	var freq, treat, conv []string
	for range 6000 {
		f := r.IntN(3)
		tr := r.IntN(2) == 1
		p := 0.1
		if tr && f >= 2 {
			p = 0.6
		}
		freq = append(freq, strconv.Itoa(f))
		treat = append(treat, map[bool]string{true: "t", false: "c"}[tr])
		conv = append(conv, map[bool]string{true: "1", false: "0"}[r.Float64() < p])
	}
	tb := &uplift.Table{Name: "experiment"}
	for _, c := range []struct {
		name string
		vals []string
	}{{"frequency", freq}, {"group", treat}, {"converted", conv}} {
		if err := tb.AddColumn(c.name, c.vals); err != nil {
			t.Fatal(err)
		}
	}
	m, err := uplift.Train(t.Context(), tb, uplift.Spec{TreatmentCol: "group", Treatment: "t", Control: "c", Outcome: "converted"},
		uplift.Options{Kind: uplift.TwoModel})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := m.Write(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBudgetedTargeting(t *testing.T) {
	model := persuadableModel(t)
	pct := 20.0
	f := newFixture(t, 300, func(c *marketing.Config) { c.Measure = &campaign.Measurement{Salt: "t"} })
	// without a model: refused, saying why
	plain := campaign.Campaign{Name: "plain", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b"}
	if _, err := f.m.Campaigns.Save(t.Context(), plain, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Campaigns.PlanTargeting(t.Context(), "plain", campaign.BudgetOptions{Budget: 10}); !errors.Is(err, campaign.ErrNoModel) {
		t.Errorf("targeting without a model: %v", err)
	}
	// a model needing a column the feature table lacks: refused at save, naming it
	bad := plain
	bad.Name, bad.UpliftModel = "bad", filepath.Join(t.TempDir(), "missing.json")
	var fe *campaign.FieldError
	if _, err := f.m.Campaigns.Save(t.Context(), bad, "test"); !errors.As(err, &fe) || fe.Field != "uplift_model" {
		t.Errorf("missing model file: %v", err)
	}
	c := campaign.Campaign{Name: "targeted", Rule: "frequency >= 0", Channels: []string{campaign.Email}, Subject: "s", Body: "b",
		HoldoutPercent: &pct, UpliftModel: model, ConversionValue: 10}
	if _, err := f.m.Campaigns.Save(t.Context(), c, "test"); err != nil {
		t.Fatal(err)
	}
	one := 3.0 // the model gives frequency 1 an uplift of a few points (linear), frequency 2 about 50: worth it only for 2
	free, err := f.m.Campaigns.PlanTargeting(t.Context(), c.Name, campaign.BudgetOptions{Cost: &one})
	if err != nil {
		t.Fatal(err)
	}
	// the shop's customer i has frequency i%3: the uplift plan is exactly those with 2 orders (not held out)
	tbl := f.m.Insight.Table()
	freq := tbl.Num["frequency"]
	a, err := f.m.Campaigns.Materialize(t.Context(), &c)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, id := range a.IDs {
		row, _ := tbl.Index(id)
		if freq[row] >= 2 {
			want++
		}
	}
	if free.Uplift.Customers != want || free.Eligible != len(a.IDs) || !(free.Uplift.Profit > free.Random.Profit) {
		t.Fatalf("uplift plan %+v of %d eligible; want the %d persuadables, more profit than random %+v", free.Uplift, free.Eligible, want, free.Random)
	}
	// a budget of 90 at cost 3 buys 30 offers; uplift beats propensity and random on expected profit
	tg, err := f.m.Campaigns.PlanTargeting(t.Context(), c.Name, campaign.BudgetOptions{Budget: 90, Cost: &one})
	if err != nil {
		t.Fatal(err)
	}
	if tg.Uplift.Customers != 30 || !(tg.Uplift.Profit > tg.Random.Profit) || !(tg.Uplift.Profit >= tg.Propensity.Profit) {
		t.Errorf("budget 30: uplift %+v propensity %+v random %+v", tg.Uplift, tg.Propensity, tg.Random)
	}
	// launch: only the uplift plan is treated; the holdout was drawn from every eligible customer
	if _, err := f.m.Campaigns.LaunchWith(t.Context(), c.Name, campaign.LaunchOptions{Target: "propensity"}); err == nil {
		t.Errorf("an unknown target was accepted")
	}
	st := launchAndWait(t, f, c.Name, campaign.LaunchOptions{Target: campaign.TargetUplift, Budget: campaign.BudgetOptions{Budget: 90, Cost: &one}})
	arms, err := f.m.Campaigns.ArmsOf(t.Context(), c.Name)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := arms.HeldOut()
	if st.Audience != 30 || int64(len(held)) != a.Holdout.Size || arms.Eligible != int64(len(a.IDs)+len(held)) || arms.Target == "" {
		t.Errorf("launched: audience %d, %d held (preview %d), eligible %d, target %q", st.Audience, len(held), a.Holdout.Size, arms.Eligible, arms.Target)
	}
	for _, m := range f.mb.Mails() {
		var i int
		if _, err := fmtSscanf(m.To, &i); err != nil || i%3 != 2 {
			t.Errorf("mail to %s, who is not persuadable", m.To)
		}
	}
	rep, err := f.m.Campaigns.Report(t.Context(), c.Name, campaign.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Treatment.Customers != int64(len(a.IDs)) || rep.Holdout.Customers != int64(len(held)) {
		t.Errorf("report of a targeted launch: treatment %d (want every eligible not held out, %d), holdout %d", rep.Treatment.Customers,
			len(a.IDs), rep.Holdout.Customers)
	}
}

// TestArbitrationByUpliftModel: a campaign with an uplift model (only
// frequent buyers respond) competes with one without (the prior) for the
// same customers under a one-a-day cap; each customer goes to the campaign
// whose expected incremental value is higher for them.
func TestArbitrationByUpliftModel(t *testing.T) {
	model := persuadableModel(t)
	f := newFixture(t, 150, nil)
	modelled := campaign.Campaign{Name: "modelled", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "modelled", Body: "b",
		UpliftModel: model, ConversionValue: 10}
	flat := campaign.Campaign{Name: "flat", Rule: "frequency >= 1", Channels: []string{campaign.Email}, Subject: "flat", Body: "b", ConversionValue: 150}
	// the modelled campaign's expected value per customer, to know the winner of each
	a, err := f.m.Campaigns.Materialize(t.Context(), &modelled)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.m.Campaigns.Score(t.Context(), &modelled, a.IDs)
	if err != nil {
		t.Fatal(err)
	}
	winner := map[int64]string{}
	wins := map[string]int{}
	for i, id := range a.IDs {
		w := "flat"
		if sc.Uplift[i]*10 > campaign.PriorUplift*150 {
			w = "modelled"
		}
		winner[id] = w
		wins[w]++
	}
	if wins["modelled"] == 0 || wins["flat"] == 0 {
		t.Fatalf("the model should favour some customers and not others: %v (uplift of the first: %v)", wins, sc.Uplift[:3])
	}
	launchTogether(t, f, flat, modelled) // the flat one first: first come would give it everyone
	addrs, err := f.st.AddressesOf(t.Context(), "email", a.IDs)
	if err != nil {
		t.Fatal(err)
	}
	byAddr := map[string]int64{}
	for id, ad := range addrs {
		byAddr[ad] = id
	}
	got := map[string]int{}
	for _, m := range f.mb.Mails() {
		id := byAddr[m.To]
		subj := m.Header.Get("Subject")
		got[subj]++
		if winner[id] != subj {
			t.Errorf("customer %d got %q, expected value says %q", id, subj, winner[id])
		}
	}
	t.Logf("expected winners %v, mails %v", wins, got)
	w, err := f.m.CampaignWhy(t.Context(), a.IDs[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Decisions) != 1 || len(w.Decisions[0].Candidates) != 2 {
		t.Fatalf("why: %+v", w)
	}
}
