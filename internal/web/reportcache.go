package web

import (
	"context"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
)

// reportTTL is how old a campaign's cached report may get before a view
// starts computing it again in the background.
const reportTTL = time.Minute

// reportOf is a campaign's report against its holdout, or why there is none.
type reportOf struct {
	r   campaign.Report
	err error // kept: a campaign without a report stays without one
	at  time.Time
}

// reports keeps one report per campaign. A report reads the frozen
// audience, the holdout and every order of those customers in the window
// (0.6 s for a million-customer campaign), so the page shows the last one,
// at most a minute old, and refreshes it in the background; only the first
// view of a campaign waits for it.
type reports struct {
	s  *Server
	mu sync.Mutex
	by map[string]*bgCache[reportOf]
}

func (rp *reports) get(ctx context.Context, name string) (reportOf, error) {
	rp.mu.Lock()
	if rp.by == nil {
		rp.by = map[string]*bgCache[reportOf]{}
	}
	c := rp.by[name]
	if c == nil {
		s := rp.s
		c = &bgCache[reportOf]{ttl: reportTTL, now: s.now, log: s.log, what: "the report of campaign " + name}
		c.compute = func(ctx context.Context) (reportOf, error) {
			at := s.now()
			r, err := s.mk.Campaigns.Report(ctx, name, campaign.ReportOptions{})
			if ctx.Err() != nil {
				return reportOf{}, ctx.Err()
			}
			return reportOf{r: r, err: err, at: at}, nil
		}
		rp.by[name] = c
	}
	rp.mu.Unlock()
	got, err := c.get(ctx)
	if err != nil {
		return reportOf{}, err
	}
	return *got, nil
}
