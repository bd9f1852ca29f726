package lifecycle

import (
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Report is the recorded snapshots as the API (GET /v1/lifecycle/flows)
// and the CLI (sagitta lifecycle flows --json) give them.
type Report struct {
	Snapshots []Record `json:"snapshots"`
}

// Record is one stored snapshot: its stage counts and, when it has them,
// the flows since the snapshot at PrevAt (From "": entered; To "": left).
type Record struct {
	At       time.Time    `json:"at"`
	AsOf     time.Time    `json:"as_of"`
	PrevAt   *time.Time   `json:"prev_at,omitempty"`
	PrevAsOf *time.Time   `json:"prev_as_of,omitempty"`
	Stages   []StageCount `json:"stages"`
	Flows    []Flow       `json:"flows"`
}

// StageCount is the JSON of store.StageCount.
type StageCount struct {
	Stage     string `json:"stage"`
	Customers int64  `json:"customers"`
}

// Flow is the JSON of store.StageFlow.
type Flow struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Customers int64  `json:"customers"`
}

// NewReport turns stored snapshots into a Report.
func NewReport(snaps []store.LifecycleSnapshot) Report {
	out := Report{Snapshots: make([]Record, 0, len(snaps))}
	for _, s := range snaps {
		r := Record{At: s.At, AsOf: s.AsOf, Stages: make([]StageCount, 0, len(s.Stages)), Flows: make([]Flow, 0, len(s.Flows))}
		if s.HasFlows() {
			at, asOf := s.PrevAt, s.PrevAsOf
			r.PrevAt, r.PrevAsOf = &at, &asOf
		}
		for _, c := range s.Stages {
			r.Stages = append(r.Stages, StageCount{c.Stage, c.Customers})
		}
		for _, f := range s.Flows {
			r.Flows = append(r.Flows, Flow{f.From, f.To, f.Customers})
		}
		out.Snapshots = append(out.Snapshots, r)
	}
	return out
}

// ParseBound reads a from or to bound of the as-of range: a date
// (YYYY-MM-DD: its start for from, its end for to) or an RFC 3339 instant;
// "" is no bound.
func ParseBound(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or RFC 3339", s)
	}
	if end {
		return d.Add(24*time.Hour - time.Microsecond), nil
	}
	return d, nil
}

// Matrix is one snapshot's flows as a table: rows are the stages the
// customers came from (then "entered"), columns the stages they are in
// (then "left"); stages with no customer on either side are left out.
type Matrix struct {
	From, To []string  // stage names; "" is entered (in From) and left (in To)
	Cells    [][]int64 // Cells[i][j]: customers from From[i] to To[j]
}

// MatrixOf arranges flows in the order of stages (rfm.Stages(), say); a
// stage not in stages comes after them, in the order met.
func MatrixOf(flows []store.StageFlow, stages []string) Matrix {
	seenFrom, seenTo := map[string]bool{}, map[string]bool{}
	for _, f := range flows {
		seenFrom[f.From], seenTo[f.To] = true, true
	}
	order := append([]string(nil), stages...)
	known := map[string]bool{"": true}
	for _, s := range stages {
		known[s] = true
	}
	for _, f := range flows {
		for _, s := range []string{f.From, f.To} {
			if !known[s] {
				known[s] = true
				order = append(order, s)
			}
		}
	}
	var m Matrix
	for _, s := range order {
		if seenFrom[s] {
			m.From = append(m.From, s)
		}
		if seenTo[s] {
			m.To = append(m.To, s)
		}
	}
	if seenFrom[""] {
		m.From = append(m.From, "")
	}
	if seenTo[""] {
		m.To = append(m.To, "")
	}
	row, col := map[string]int{}, map[string]int{}
	for i, s := range m.From {
		row[s] = i
	}
	for j, s := range m.To {
		col[s] = j
	}
	m.Cells = make([][]int64, len(m.From))
	for i := range m.Cells {
		m.Cells[i] = make([]int64, len(m.To))
	}
	for _, f := range flows {
		m.Cells[row[f.From]][col[f.To]] += f.Customers
	}
	return m
}
