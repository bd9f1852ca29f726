package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// countsTTL is how old a campaign's delivery counts may get before a view
// starts counting them again in the background; reportTTL is that for its
// report.
const (
	countsTTL = 5 * time.Second
	reportTTL = time.Minute
)

// reportOf is a campaign's report and when it was computed.
type reportOf struct {
	rep campaign.Report
	err error // the report cannot be computed (kept, as the report is)
	at  time.Time
	gen uint64 // the intelligence service's Generation it was computed at
}

// figures keeps the campaign figures that grow with the audience: the
// delivery counts (a count over every delivery of the campaign, about a
// third of a second for a million) and the report (a second or more). A
// page shows the last ones and refreshes them in the background; the run's
// state is read fresh on every view.
type figures struct {
	s       *Server
	mu      sync.Mutex
	counts  map[string]*bgCache[map[string]int64]
	reports map[string]*bgCache[reportOf]
}

func (fg *figures) countsOf(name string) *bgCache[map[string]int64] {
	fg.mu.Lock()
	defer fg.mu.Unlock()
	if fg.counts == nil {
		fg.counts = map[string]*bgCache[map[string]int64]{}
	}
	c := fg.counts[name]
	if c == nil {
		s := fg.s
		c = &bgCache[map[string]int64]{ttl: countsTTL, now: s.now, log: s.log, what: "the delivery counts of campaign " + name,
			compute: func(ctx context.Context) (map[string]int64, error) { return s.st.DeliveryCounts(ctx, name) }}
		fg.counts[name] = c
	}
	return c
}

func (fg *figures) reportOf(name string) *bgCache[reportOf] {
	fg.mu.Lock()
	defer fg.mu.Unlock()
	if fg.reports == nil {
		fg.reports = map[string]*bgCache[reportOf]{}
	}
	c := fg.reports[name]
	if c == nil {
		s := fg.s
		c = &bgCache[reportOf]{ttl: reportTTL, now: s.now, log: s.log, what: "the report of campaign " + name}
		c.compute = func(ctx context.Context) (reportOf, error) {
			gen := s.generation()
			rep, err := s.mk.Campaigns.Report(ctx, name, campaign.ReportOptions{})
			if ctx.Err() != nil {
				return reportOf{}, ctx.Err()
			}
			return reportOf{rep: rep, err: err, at: s.now(), gen: gen}, nil
		}
		// orders ingested since: computed again at the next view, not a
		// minute later (the view still shows the last report at once)
		c.stale = func() bool { return c.cur != nil && c.cur.gen != s.generation() }
		fg.reports[name] = c
	}
	return c
}

// status is campaign.Service.Status with the delivery counts from the
// cache: the state, audience and launch are the run's as stored now.
func (fg *figures) status(ctx context.Context, name string) (campaign.Status, error) {
	st, _, err := fg.statusOf(ctx, name, true)
	return st, err
}

// statusOf is status; without wait, a launched campaign whose deliveries
// were never counted comes without counts (counted is false) and its count
// starts, so that a list of many campaigns never waits for all of them.
func (fg *figures) statusOf(ctx context.Context, name string, wait bool) (st campaign.Status, counted bool, err error) {
	st = campaign.Status{Campaign: name, State: "draft", Deliveries: map[string]int64{}}
	run, err := fg.s.st.CampaignRun(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return st, true, nil
	}
	if err != nil {
		return campaign.Status{}, false, err
	}
	st.State, st.Audience, st.LaunchedAt = run.State, run.Size, run.LaunchedAt
	var counts *map[string]int64
	if wait {
		if counts, err = fg.countsOf(name).get(ctx); err != nil {
			return campaign.Status{}, false, err
		}
	} else if counts = fg.countsOf(name).peek(); counts == nil {
		return st, false, nil
	}
	st.Deliveries = *counts
	var n int64
	for _, v := range st.Deliveries {
		n += v
	}
	st.Remaining = max(0, st.Audience-n)
	return st, true, nil
}

// report returns the campaign's last report, waiting only for the first.
func (fg *figures) report(ctx context.Context, name string) (reportOf, error) {
	got, err := fg.reportOf(name).get(ctx)
	if err != nil {
		return reportOf{}, err
	}
	return *got, nil
}

// warm counts the deliveries of every launched campaign in the background,
// one after the other, so that the first views after a start show them.
func (fg *figures) warm() {
	for _, c := range fg.s.mk.Campaigns.List() {
		if _, err := fg.s.st.CampaignRun(context.Background(), c.Name); err == nil {
			fg.countsOf(c.Name).get(context.Background())
		}
	}
}

// generation is the intelligence service's Generation, 0 without one.
func (s *Server) generation() uint64 {
	if s.in == nil {
		return 0
	}
	return s.in.Generation()
}
