package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/model/rfm"
)

// The overview reads the lifecycle snapshots of the last lifeDays (by as-of)
// and shows at most maxPeriods flow periods and maxLifePoints points of the
// stage sizes: a few hundred small rows, whatever the number of customers.
const (
	lifeDays      = 90
	maxPeriods    = 120
	maxLifePoints = 400
)

// lifeHistory is what the overview shows of the recorded lifecycle
// snapshots (lifecycle.Recorder): the flows of each period and the stage
// sizes over time.
type lifeHistory struct {
	Periods []lifePeriod // snapshots with flows, oldest first
	Stages  []string     // the stages of Points' counts: rfm.Stages(), then any other recorded
	Points  []lifePoint  // stage sizes, one per as-of (the latest recorded), oldest first
	// computed once for every page view: the chart's instants (RFC 3339)
	// and counts by stage, the table's rows (one a day, newest first)
	times  []string
	counts [][]int64
	Rows   []lifeRowText
}

// lifeRowText is a row of the stage sizes table, formatted.
type lifeRowText struct {
	AsOf  string
	Cells []string
}

// lifePeriod is one recorded flow.
type lifePeriod struct {
	ID           string // the snapshot's At in unix microseconds, for the selector
	Label        string // "from → to", for the selector
	From, To, At time.Time
	Matrix       lifecycle.Matrix
	// customers who entered, changed stage, left (merged away)
	Entered, Moved, Left int64
}

// lifePoint is the stage sizes at one as-of.
type lifePoint struct {
	AsOf   time.Time
	Counts []int64 // by lifeHistory.Stages
}

// lifeHistoryOf reads the snapshots recorded in the lifeDays before asOf.
func (s *Server) lifeHistoryOf(ctx context.Context, asOf time.Time) (*lifeHistory, error) {
	from := asOf
	if from.IsZero() {
		from = s.now()
	}
	snaps, err := s.st.LifecycleSnapshots(ctx, from.AddDate(0, 0, -lifeDays), time.Time{})
	if err != nil {
		return nil, err
	}
	h := &lifeHistory{Stages: rfm.Stages()}
	for _, sn := range snaps {
		for _, c := range sn.Stages {
			if !slices.Contains(h.Stages, c.Stage) {
				h.Stages = append(h.Stages, c.Stage)
			}
		}
	}
	for _, sn := range snaps {
		counts := make([]int64, len(h.Stages))
		for _, c := range sn.Stages {
			counts[slices.Index(h.Stages, c.Stage)] = c.Customers
		}
		// by as-of then at: a later record of the same as-of replaces the point
		if n := len(h.Points); n > 0 && h.Points[n-1].AsOf.Equal(sn.AsOf) {
			h.Points[n-1].Counts = counts
		} else {
			h.Points = append(h.Points, lifePoint{AsOf: sn.AsOf, Counts: counts})
		}
		if !sn.HasFlows() {
			continue
		}
		p := lifePeriod{ID: strconv.FormatInt(sn.At.UnixMicro(), 10), From: sn.PrevAsOf, To: sn.AsOf, At: sn.At,
			Label:  sn.PrevAsOf.UTC().Format(minuteLayout) + " → " + sn.AsOf.UTC().Format(minuteLayout),
			Matrix: lifecycle.MatrixOf(sn.Flows, rfm.Stages())}
		for _, f := range sn.Flows {
			switch {
			case f.From == "":
				p.Entered += f.Customers
			case f.To == "":
				p.Left += f.Customers
			case f.From != f.To:
				p.Moved += f.Customers
			}
		}
		h.Periods = append(h.Periods, p)
	}
	// flows sort by their period's end (as-of), then by when they were recorded
	slices.SortStableFunc(h.Periods, func(a, b lifePeriod) int { return a.To.Compare(b.To) })
	h.Periods = h.Periods[max(0, len(h.Periods)-maxPeriods):]
	if n := len(h.Points); n > maxLifePoints { // every k-th point, and the last
		k := (n + maxLifePoints - 1) / maxLifePoints
		var thin []lifePoint
		for i := 0; i < n; i += k {
			thin = append(thin, h.Points[i])
		}
		if thin[len(thin)-1].AsOf != h.Points[n-1].AsOf {
			thin = append(thin, h.Points[n-1])
		}
		h.Points = thin
	}
	h.counts = make([][]int64, len(h.Stages))
	for _, pt := range h.Points {
		h.times = append(h.times, pt.AsOf.UTC().Format(time.RFC3339))
		for k, c := range pt.Counts {
			h.counts[k] = append(h.counts[k], c)
		}
	}
	for i := len(h.Points) - 1; i >= 0; i-- { // the last point of each day, newest first
		pt := h.Points[i]
		day := pt.AsOf.UTC().Format(time.DateOnly)
		if n := len(h.Rows); n > 0 && h.Rows[n-1].AsOf[:len(day)] == day {
			continue
		}
		r := lifeRowText{AsOf: pt.AsOf.UTC().Format(minuteLayout), Cells: make([]string, len(pt.Counts))}
		for k, c := range pt.Counts {
			r.Cells[k] = formatInt(c)
		}
		h.Rows = append(h.Rows, r)
	}
	return h, nil
}

const minuteLayout = "2006-01-02 15:04"

// overviewPage is the overview with what one request chose: the flow
// period to show (?flows=ID; the latest by default).
type overviewPage struct {
	*overview
	Flow *lifePeriod
	v    *view
}

func (s *Server) newOverviewPage(r *http.Request, ov *overview, v *view) *overviewPage {
	p := &overviewPage{overview: ov, v: v}
	if ov.Life == nil || len(ov.Life.Periods) == 0 {
		return p
	}
	p.Flow = &ov.Life.Periods[len(ov.Life.Periods)-1]
	if id := r.URL.Query().Get("flows"); id != "" {
		for i := range ov.Life.Periods {
			if ov.Life.Periods[i].ID == id {
				p.Flow = &ov.Life.Periods[i]
			}
		}
	}
	return p
}

// StageLabel is a stage's name in the page's language; side says what ""
// is: "from" (entered) or "to" (left). A stage without a translation shows
// as recorded.
func (p *overviewPage) StageLabel(stage, side string) string {
	switch {
	case stage == "" && side == "from":
		return p.v.T("flows.entered")
	case stage == "":
		return p.v.T("flows.left")
	}
	if k := "stage." + stage; p.v.T(k) != k {
		return p.v.T(k)
	}
	return stage
}

// Charts adds the lifecycle flows (the sankey) and the stage sizes over
// time to the overview's charts.
func (p *overviewPage) Charts() map[string]any {
	out := p.overview.Charts()
	if p.Flow != nil {
		type node struct {
			Name  string `json:"name"`
			Label string `json:"label"`
		}
		type link struct {
			Source string `json:"source"`
			Target string `json:"target"`
			Value  int64  `json:"value"`
		}
		// distinct names per side: "from:active" flows to "to:active"
		var nodes []node
		for _, s := range p.Flow.Matrix.From {
			nodes = append(nodes, node{"from:" + s, p.StageLabel(s, "from")})
		}
		for _, s := range p.Flow.Matrix.To {
			nodes = append(nodes, node{"to:" + s, p.StageLabel(s, "to")})
		}
		var links []link
		for i, row := range p.Flow.Matrix.Cells {
			for j, n := range row {
				if n > 0 {
					links = append(links, link{"from:" + p.Flow.Matrix.From[i], "to:" + p.Flow.Matrix.To[j], n})
				}
			}
		}
		out["flows"] = map[string]any{"nodes": nodes, "links": links}
	}
	if h := p.Life; h != nil && len(h.Points) > 0 {
		type series struct {
			Stage  string  `json:"stage"`
			Label  string  `json:"label"`
			Counts []int64 `json:"counts"` // at each of times
		}
		ss := make([]series, 0, len(h.Stages))
		for k, st := range h.Stages {
			ss = append(ss, series{Stage: st, Label: p.StageLabel(st, ""), Counts: h.counts[k]})
		}
		out["stage_history"] = map[string]any{"times": h.times, "series": ss}
	}
	return out
}

// lifeRow is one row of the flow matrix table.
type lifeRow struct {
	From  string
	Cells []int64
	Total int64
}

// FlowRows returns the shown period's matrix by row, with row totals.
func (p *overviewPage) FlowRows() []lifeRow {
	if p.Flow == nil {
		return nil
	}
	var rows []lifeRow
	for i, s := range p.Flow.Matrix.From {
		r := lifeRow{From: s, Cells: p.Flow.Matrix.Cells[i]}
		for _, n := range r.Cells {
			r.Total += n
		}
		rows = append(rows, r)
	}
	return rows
}

// PeriodsNewestFirst returns the flow periods for the selector.
func (p *overviewPage) PeriodsNewestFirst() []lifePeriod {
	if p.Life == nil {
		return nil
	}
	out := slices.Clone(p.Life.Periods)
	slices.Reverse(out)
	return out
}
