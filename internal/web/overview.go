package web

import (
	"context"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// overview is the precomputed content of the overview page.
type overview struct {
	Computed time.Time
	AsOf     time.Time
	Stats    store.Stats
	Summary  feature.Summary
	// RFM is the recency score × frequency score heatmap: RFM[r-1][f-1].
	RFM      [5][5]heatCell
	Sizes    []sizeSeries
	Segments int
	Tags     int
}

type heatCell struct {
	Customers int     `json:"customers"`
	Revenue   float64 `json:"revenue"`
}

// sizeSeries is one segment's recorded sizes.
type sizeSeries struct {
	Segment string   `json:"segment"`
	Points  [][2]any `json:"points"` // [RFC 3339 time, count]
	Last    int64    `json:"last"`
}

// overviewCache keeps the overview, recomputed in the background when it is
// older than ttl or the feature table was replaced, so a page view never
// waits for a scan of the table but the first.
type overviewCache struct {
	s       *Server
	ttl     time.Duration
	mu      sync.Mutex
	cur     *overview
	tbl     *feature.Table
	running bool
	done    chan struct{} // closed when the running computation ends
}

func newOverviewCache(s *Server, ttl time.Duration) *overviewCache {
	return &overviewCache{s: s, ttl: ttl}
}

// get returns the current overview, computing it when there is none yet.
func (c *overviewCache) get(ctx context.Context) (*overview, error) {
	c.mu.Lock()
	cur := c.cur
	stale := cur == nil || c.s.now().Sub(cur.Computed) > c.ttl || c.tbl != c.s.in.Table()
	if stale && !c.running {
		c.running = true
		c.done = make(chan struct{})
		go c.refresh()
	}
	done := c.done
	c.mu.Unlock()
	if cur != nil {
		return cur, nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return nil, errPage(http.StatusServiceUnavailable, "error.overview_failed")
	}
	return c.cur, nil
}

func (c *overviewCache) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ov, tbl, err := c.s.computeOverview(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.s.log.Warn("compute the console overview", "error", err)
	} else {
		c.cur, c.tbl = ov, tbl
	}
	c.running = false
	close(c.done)
}

func (s *Server) computeOverview(ctx context.Context) (*overview, *feature.Table, error) {
	ov := &overview{Computed: s.now()}
	var err error
	if ov.Stats, err = s.st.Stats(ctx); err != nil {
		return nil, nil, err
	}
	var tbl *feature.Table
	s.in.Read(func(t *feature.Table) {
		tbl = t
		ov.AsOf = t.AsOf
		ov.Summary = t.Summarize()
		ov.RFM = rfmHeat(t)
	})
	segs := s.in.Segs.List()
	ov.Segments, ov.Tags = len(segs), len(s.in.Tags.Names())
	slices.SortFunc(segs, func(a, b segInfo) int { return int(b.Count - a.Count) })
	from := s.now()
	if !ov.AsOf.IsZero() && ov.AsOf.Before(from) {
		from = ov.AsOf // an old shop's history was recorded around its as-of date
	}
	from = from.AddDate(0, 0, -90)
	for _, sg := range segs[:min(len(segs), 8)] {
		sizes, err := s.in.Segs.Sizes(ctx, sg.Name, from, time.Time{})
		if err != nil {
			return nil, nil, err
		}
		ser := sizeSeries{Segment: sg.Name, Last: sg.Count, Points: make([][2]any, 0, len(sizes))}
		for _, p := range sizes {
			ser.Points = append(ser.Points, [2]any{p.At.UTC().Format(time.RFC3339), p.Count})
		}
		ov.Sizes = append(ov.Sizes, ser)
	}
	return ov, tbl, nil
}

// rfmHeat counts customers by recency and frequency score.
func rfmHeat(t *feature.Table) [5][5]heatCell {
	var h [5][5]heatCell
	r, f, m := t.Num["rfm_r"], t.Num["rfm_f"], t.Num[feature.ColMonetary]
	if r == nil || f == nil {
		return h
	}
	for i := range r {
		ri, fi := int(r[i]), int(f[i])
		if math.IsNaN(r[i]) || math.IsNaN(f[i]) || ri < 1 || ri > 5 || fi < 1 || fi > 5 {
			continue
		}
		c := &h[ri-1][fi-1]
		c.Customers++
		if m != nil && !math.IsNaN(m[i]) {
			c.Revenue += m[i]
		}
	}
	return h
}

// overviewPage shows the shop at a glance.
func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	ov, err := s.overview.get(r.Context())
	if err != nil {
		return err
	}
	v := s.view(r, rq, "overview.title")
	v.Data = ov
	s.render(w, "overview", http.StatusOK, v)
	return nil
}

// Charts returns the figures the overview's charts draw, as JSON for app.js.
func (o *overview) Charts() map[string]any {
	grid := make([]map[string]any, 0, len(o.Summary.Grid))
	for _, c := range o.Summary.Grid {
		grid = append(grid, map[string]any{"value": c.Value, "loyalty": c.Loyalty, "class": c.Class,
			"customers": c.Customers, "share": c.RevenueShare})
	}
	var heat [][3]int
	for ri := range 5 {
		for fi := range 5 {
			heat = append(heat, [3]int{fi, ri, o.RFM[ri][fi].Customers})
		}
	}
	life := make([]map[string]any, 0, len(o.Summary.Lifecycle))
	for _, c := range o.Summary.Lifecycle {
		life = append(life, map[string]any{"stage": c.Value, "customers": c.Customers})
	}
	return map[string]any{"grid": grid, "rfm": heat, "lifecycle": life, "sizes": o.Sizes}
}

// GridRows returns the value–loyalty grid as 3 rows (value high→low) of 3
// cells (loyalty high→low).
func (o *overview) GridRows() [][]feature.GridCell {
	var rows [][]feature.GridCell
	for i := 0; i+3 <= len(o.Summary.Grid); i += 3 {
		rows = append(rows, o.Summary.Grid[i:i+3])
	}
	return rows
}

// HeatRows returns the RFM heatmap, recency 5 (recent) first.
func (o *overview) HeatRows() []heatRow {
	out := make([]heatRow, 0, 5)
	for ri := 4; ri >= 0; ri-- {
		out = append(out, heatRow{R: ri + 1, Cells: o.RFM[ri][:]})
	}
	return out
}

type heatRow struct {
	R     int
	Cells []heatCell
}

// Funnel returns the lifecycle stages with their width relative to the largest.
func (o *overview) Funnel() []funnelStep {
	maxN := 1
	for _, c := range o.Summary.Lifecycle {
		maxN = max(maxN, c.Customers)
	}
	out := make([]funnelStep, 0, len(o.Summary.Lifecycle))
	for _, c := range o.Summary.Lifecycle {
		out = append(out, funnelStep{Count: c, Width: 100 * float64(c.Customers) / float64(maxN)})
	}
	return out
}

type funnelStep struct {
	feature.Count
	Width float64
}
