package web

import (
	"context"
	"math"
	"net/http"
	"slices"
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
	RFM   [5][5]heatCell
	Sizes []sizeSeries
	// Churn and CLV are the distributions of the models' scores; nil
	// before a model scored the table.
	Churn, CLV *histogram
	Segments   int
	Tags       int
	// Life is the recorded lifecycle history: flows between stages and
	// stage sizes over time (flows.go).
	Life *lifeHistory
}

// overviewOf is the cached overview and the table it was computed over.
type overviewOf struct {
	ov  *overview
	tbl *feature.Table
}

func newOverviewCache(s *Server, ttl time.Duration) *bgCache[overviewOf] {
	c := &bgCache[overviewOf]{ttl: ttl, now: s.now, log: s.log, what: "the overview"}
	c.compute = func(ctx context.Context) (overviewOf, error) {
		ov, tbl, err := s.computeOverview(ctx)
		return overviewOf{ov, tbl}, err
	}
	c.stale = func() bool { return c.cur != nil && c.cur.tbl != s.in.Table() } // the table was replaced
	return c
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

// computeOverview computes the overview over the whole feature table; it
// also returns the table it read.
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
		ov.Churn, ov.CLV = distributions(t)
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
	if ov.Life, err = s.lifeHistoryOf(ctx, ov.AsOf); err != nil {
		return nil, nil, err
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
	got, err := s.overview.get(r.Context())
	if err != nil {
		return err
	}
	ov := got.ov
	v := s.view(r, rq, "overview.title")
	v.Data = s.newOverviewPage(r, ov, v)
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
	out := map[string]any{"grid": grid, "rfm": heat, "lifecycle": life, "sizes": o.Sizes}
	if o.Churn != nil {
		out["churn"] = o.Churn
	}
	if o.CLV != nil {
		out["clv"] = o.CLV
	}
	return out
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
