package web

import (
	"context"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/feature"
)

// previewTTL is how old a campaign's cached preview may get before a view
// starts computing it again in the background.
const previewTTL = 30 * time.Second

// previewSpend keeps a preview for at least 20 times its computation: one
// over 1.67M customers takes 7–10 s at 10M (1.5 GB allocated), so it is
// kept for minutes rather than recomputed every 30 s while watched.
const previewSpend = 20

// previewOf is a campaign's preview and what it was computed over.
type previewOf struct {
	p       campaign.Preview
	err     error // the campaign cannot be previewed (kept, as the preview is)
	version int
	tbl     *feature.Table
	at      time.Time
}

// previews keeps one preview per campaign: a preview materializes the
// audience and runs every send-time check over it, which takes about half a
// second for 170,000 customers, so a page shows the last one (at most 30 s
// old, or 20 times its computation's duration when longer, unless the
// campaign or the feature table changed) and refreshes it in the
// background. Saving a campaign starts its first computation.
type previews struct {
	s  *Server
	mu sync.Mutex
	by map[string]*bgCache[previewOf]
}

func (pv *previews) cache(name string) *bgCache[previewOf] {
	pv.mu.Lock()
	defer pv.mu.Unlock()
	if pv.by == nil {
		pv.by = map[string]*bgCache[previewOf]{}
	}
	c := pv.by[name]
	if c == nil {
		s := pv.s
		c = &bgCache[previewOf]{ttl: previewTTL, spend: previewSpend, now: s.now, log: s.log, what: "the preview of campaign " + name}
		c.compute = func(ctx context.Context) (previewOf, error) {
			sv, err := s.mk.Campaigns.Get(name)
			if err != nil {
				return previewOf{}, err
			}
			var tbl *feature.Table
			if s.in != nil {
				tbl = s.in.Table()
			}
			p, err := s.mk.Campaigns.Preview(ctx, name, 3)
			if ctx.Err() != nil {
				return previewOf{}, ctx.Err()
			}
			return previewOf{p: p, err: err, version: sv.Version, tbl: tbl, at: s.now()}, nil
		}
		c.stale = func() bool {
			if c.cur == nil {
				return false
			}
			sv, err := s.mk.Campaigns.Get(name)
			return err != nil || sv.Version != c.cur.version || (s.in != nil && s.in.Table() != c.cur.tbl)
		}
		pv.by[name] = c
	}
	return c
}

// get returns the campaign's preview, waiting only for the first one; a
// preview of an older version of the campaign is never returned.
func (pv *previews) get(ctx context.Context, name string, version int) (previewOf, error) {
	c := pv.cache(name)
	got, err := c.get(ctx)
	if err != nil {
		return previewOf{}, err
	}
	if got.version != version { // saved since: compute this version now
		if err := c.refreshNow(ctx); err != nil {
			return previewOf{}, err
		}
		if got, err = c.get(ctx); err != nil {
			return previewOf{}, err
		}
	}
	return *got, nil
}

// warm starts computing a campaign's preview in the background.
func (pv *previews) warm(name string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		pv.cache(name).refreshNow(ctx)
	}()
}
