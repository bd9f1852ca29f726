package tag

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Info is a tag with its version, coverage and problem, for list and show.
type Info struct {
	Definition
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Coverage
	Problem string `json:"problem,omitempty"` // why it has no members (compile or evaluation error)
}

// Coverage is how many customers have a tag.
type Coverage struct {
	Count int64   `json:"count"`
	Share float64 `json:"share"` // of the customers in the table, 0..1
}

// List returns every tag, by name.
func (e *Engine) List() []Info {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Info, 0, len(e.defs))
	for _, n := range slices.Sorted(maps.Keys(e.defs)) {
		out = append(out, e.info(n))
	}
	return out
}

// Get returns one tag.
func (e *Engine) Get(name string) (Info, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.defs[name]; !ok {
		return Info{}, fmt.Errorf("tag %q: %w", name, ErrNotFound)
	}
	return e.info(name), nil
}

func (e *Engine) info(n string) Info {
	s := e.defs[n]
	in := Info{Definition: s.Definition, Version: s.Version, CreatedAt: s.CreatedAt, Author: s.Author}
	in.Coverage = e.coverage(n)
	if p := e.st.problems[n]; p != nil {
		in.Problem = p.Error()
	} else if e.tbl == nil {
		in.Problem = "not computed yet"
	}
	return in
}

func (e *Engine) coverage(n string) Coverage {
	bm := e.st.bms[n]
	if bm == nil || e.tbl == nil || e.tbl.Len() == 0 {
		return Coverage{}
	}
	c := int64(bm.GetCardinality())
	return Coverage{Count: c, Share: float64(c) / float64(e.tbl.Len())}
}

// Names returns the names of all tags.
func (e *Engine) Names() []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Sorted(maps.Keys(e.defs))
}

// Tag returns the members of a tag (dense customer numbers of Table), or
// nil when it has none computed. The bitmap is shared: do not modify it.
func (e *Engine) Tag(name string) *roaring.Bitmap {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st.bms[name]
}

// Snapshot returns the current table and tag bitmaps together, consistent
// with each other. The bitmaps are shared: do not modify them.
func (e *Engine) Snapshot() (*feature.Table, map[string]*roaring.Bitmap) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.tbl, maps.Clone(e.st.bms)
}

// Table returns the table the tags were computed over (nil before Compute).
func (e *Engine) Table() *feature.Table {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.tbl
}

// Schema returns the feature columns rules are checked against.
func (e *Engine) Schema() []feature.Column {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.cols)
}

// Why tells whether a customer has a tag and why: the rule and the values
// of the columns and tags it uses.
type Why struct {
	Tag         string `json:"tag"`
	Kind        Kind   `json:"kind"`
	Description string `json:"description,omitempty"`
	Member      bool   `json:"member"`
	rule.Explanation
}

// Why explains one tag for one customer (by customer id).
func (e *Engine) Why(ctx context.Context, name string, customerID int64) (Why, error) {
	e.mu.RLock()
	s, ok := e.defs[name]
	st, tbl := e.st, e.tbl
	e.mu.RUnlock()
	if !ok {
		return Why{}, fmt.Errorf("tag %q: %w", name, ErrNotFound)
	}
	return why(ctx, s.Definition, st, tbl, customerID)
}

func why(ctx context.Context, d Definition, st *state, tbl *feature.Table, customerID int64) (Why, error) {
	if tbl == nil {
		return Why{}, ErrNoSchema
	}
	row, ok := tbl.Index(customerID)
	if !ok {
		return Why{}, fmt.Errorf("customer %d: %w", customerID, ErrUnknownCustomer)
	}
	r := st.rules[d.Name]
	if r == nil {
		err := st.problems[d.Name]
		if err == nil {
			err = errors.New("not compiled")
		}
		return Why{}, fmt.Errorf("explain tag %q: %w", d.Name, err)
	}
	x, err := r.Explain(ctx, rule.Input{Table: tbl, Sets: sets(st.bms)}, row)
	if err != nil {
		return Why{}, fmt.Errorf("explain tag %q: %w", d.Name, err)
	}
	member := false
	if bm := st.bms[d.Name]; bm != nil {
		member = bm.Contains(uint32(row))
	}
	return Why{Tag: d.Name, Kind: d.Kind, Description: d.Description, Member: member, Explanation: x}, nil
}

// Customer returns the tags a customer has, each with the rule and the
// values that made it true.
func (e *Engine) Customer(ctx context.Context, customerID int64) ([]Why, error) {
	e.mu.RLock()
	st, tbl := e.st, e.tbl
	defs := e.definitions()
	e.mu.RUnlock()
	if tbl == nil {
		return nil, ErrNoSchema
	}
	row, ok := tbl.Index(customerID)
	if !ok {
		return nil, fmt.Errorf("customer %d: %w", customerID, ErrUnknownCustomer)
	}
	var out []Why
	for _, n := range slices.Sorted(maps.Keys(st.bms)) {
		if !st.bms[n].Contains(uint32(row)) {
			continue
		}
		w, err := why(ctx, defs[n], st, tbl, customerID)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Version is one stored version of a tag.
type Version struct {
	Version    int       `json:"version"`
	Deleted    bool      `json:"deleted,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Author     string    `json:"author"`
	Definition `json:"definition"`
}

// History returns every version of a tag, oldest first.
func (e *Engine) History(ctx context.Context, name string) ([]Version, error) {
	h, err := e.opts.Store.DefinitionHistory(ctx, DefinitionKind, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("tag %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tag %q history: %w", name, err)
	}
	out := make([]Version, 0, len(h))
	for _, sd := range h {
		s, err := decode(sd)
		if err != nil {
			return nil, fmt.Errorf("tag %q version %d: %w", name, sd.Version, err)
		}
		out = append(out, Version{Version: sd.Version, Deleted: sd.Deleted, CreatedAt: sd.CreatedAt, Author: sd.Author, Definition: s.Definition})
	}
	return out, nil
}

// Change is a customer joining or leaving a tag.
type Change struct {
	Tag        string `json:"tag"`
	Row        int    `json:"-"`
	CustomerID int64  `json:"customer_id"`
	Member     bool   `json:"member"` // true: joined, false: left
}

// Update re-evaluates every tag for the given rows only (dense customer
// numbers of tbl whose features changed, including rows appended for new
// customers) and returns who joined or left which tag. tbl must number the
// rows as the table of the last Compute did, extended at the end. A tag
// whose rule fails on those rows keeps its previous members; the error is
// returned with the changes of the other tags.
func (e *Engine) Update(ctx context.Context, tbl *feature.Table, rows []int) ([]Change, error) {
	e.write.Lock()
	defer e.write.Unlock()
	e.mu.RLock()
	old := e.st
	e.mu.RUnlock()
	within := roaring.New()
	for _, r := range rows {
		if r >= 0 && r < tbl.Len() {
			within.AddInt(r)
		}
	}
	st := &state{rules: old.rules, order: old.order, bms: maps.Clone(old.bms), problems: old.problems}
	var (
		changes []Change
		errs    []error
	)
	for _, n := range st.order {
		r := st.rules[n]
		got, err := r.Eval(ctx, rule.Input{Table: tbl, Sets: sets(st.bms), Within: within, Workers: e.opts.Workers})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			errs = append(errs, &Error{Tag: n, Err: err})
			continue
		}
		prev := st.bms[n]
		if prev == nil {
			prev = roaring.New()
		}
		was := roaring.And(prev, within)
		if was.Equals(got) {
			continue
		}
		joined, left := roaring.AndNot(got, was), roaring.AndNot(was, got)
		next := prev.Clone()
		next.AndNot(left)
		next.Or(joined)
		st.bms[n] = next
		joined.Iterate(func(x uint32) bool {
			changes = append(changes, Change{Tag: n, Row: int(x), CustomerID: tbl.IDs[x], Member: true})
			return true
		})
		left.Iterate(func(x uint32) bool {
			changes = append(changes, Change{Tag: n, Row: int(x), CustomerID: tbl.IDs[x], Member: false})
			return true
		})
	}
	e.mu.Lock()
	e.tbl, e.st = tbl, st
	e.mu.Unlock()
	return changes, errors.Join(errs...)
}
