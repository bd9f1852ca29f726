package tag

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// DefinitionKind is the kind of tag definitions in the store.
const DefinitionKind = "tag"

// Errors.
var (
	ErrNotFound        = errors.New("tag not found")
	ErrInUse           = errors.New("tag is in use")
	ErrNoSchema        = errors.New("no feature schema yet: compute the features first")
	ErrUnknownCustomer = errors.New("customer not in the feature table")
)

// InUseError refuses to delete a tag others depend on.
type InUseError struct {
	Tag        string
	Dependents []string // "tag:NAME", "segment:NAME", ...
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("tag %q is used by %s; change or delete those first", e.Tag, strings.Join(e.Dependents, ", "))
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// Store keeps versioned tag definitions; store.Analytics implements it.
type Store interface {
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
	DefinitionHistory(ctx context.Context, kind, name string) ([]store.Definition, error)
}

// Options configure an Engine.
type Options struct {
	Store   Store            // nil: definitions are kept in memory only
	Logger  *slog.Logger     // nil: discard
	Clock   func() time.Time // nil: time.Now
	Workers int              // goroutines per rule evaluation; 0: GOMAXPROCS
}

// Engine holds the tag definitions, their compiled rules and their member
// bitmaps over the current feature table. It is safe for concurrent use;
// bitmaps it returns are snapshots that must not be modified.
type Engine struct {
	opts Options

	write sync.Mutex // serializes Load, Compute, Apply, Delete and Update

	mu     sync.RWMutex
	defs   map[string]stored
	cols   []feature.Column
	tbl    *feature.Table
	st     *state
	guards []func(tag string) []string
}

type stored struct {
	Definition
	Version   int
	CreatedAt time.Time
	Author    string
}

// state is one consistent set of compiled tags and bitmaps; never modified
// once published.
type state struct {
	rules    map[string]*rule.Rule
	order    []string // evaluation order (dependencies first) of the compiled tags
	bms      map[string]*roaring.Bitmap
	problems map[string]error
}

// New returns an Engine with no definitions; call Load, then Compute.
func New(opts Options) *Engine {
	if opts.Store == nil {
		opts.Store = newMemStore()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	return &Engine{opts: opts, defs: map[string]stored{}, st: emptyState()}
}

func emptyState() *state {
	return &state{rules: map[string]*rule.Rule{}, bms: map[string]*roaring.Bitmap{}, problems: map[string]error{}}
}

// Guard registers a function that lists what depends on a tag (segments,
// offers ...); Delete refuses while it lists anything.
func (e *Engine) Guard(fn func(tag string) []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.guards = append(e.guards, fn)
}

// Load reads the live definitions from the store and returns how many.
// It does not evaluate them: call Compute.
func (e *Engine) Load(ctx context.Context) (int, error) {
	e.write.Lock()
	defer e.write.Unlock()
	list, err := e.opts.Store.Definitions(ctx, DefinitionKind)
	if err != nil {
		return 0, fmt.Errorf("load tags: %w", err)
	}
	defs := make(map[string]stored, len(list))
	for _, sd := range list {
		d, err := decode(sd)
		if err != nil {
			return 0, fmt.Errorf("load tag %q version %d: %w", sd.Name, sd.Version, err)
		}
		defs[d.Name] = d
	}
	e.mu.Lock()
	e.defs = defs
	e.mu.Unlock()
	return len(defs), nil
}

func decode(sd store.Definition) (stored, error) {
	var d Definition
	if err := json.Unmarshal(sd.Body, &d); err != nil {
		return stored{}, err
	}
	d.Name = sd.Name
	return stored{Definition: d, Version: sd.Version, CreatedAt: sd.CreatedAt, Author: sd.Author}, nil
}

// SetSchema sets the feature columns rules are checked against before a
// table has been computed (Compute sets them from the table).
func (e *Engine) SetSchema(cols []feature.Column) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cols = slices.Clone(cols)
}

// sets serves tag bitmaps to rules.
type sets map[string]*roaring.Bitmap

func (s sets) Tag(name string) *roaring.Bitmap { return s[name] }
func (s sets) List(string) *roaring.Bitmap     { return nil }

// build compiles every definition against the columns and orders them.
// Definitions that fail, or depend on one that fails, get a problem.
func build(defs map[string]Definition, cols []feature.Column) *state {
	st := emptyState()
	names := slices.Sorted(maps.Keys(defs))
	colSet := map[string]bool{}
	for _, c := range cols {
		colSet[c.Name] = true
	}
	schema := rule.Schema{Columns: cols, Tags: names}
	deps := map[string][]string{}
	for _, n := range names {
		d := defs[n]
		if colSet[n] {
			st.problems[n] = d.ruleError(fmt.Errorf("name %q is a feature column; pick another name", n))
			continue
		}
		r, err := rule.Compile(d.Rule, schema)
		if err != nil {
			st.problems[n] = d.ruleError(err)
			continue
		}
		st.rules[n] = r
		deps[n] = r.Tags()
	}
	// Kahn's algorithm, by name for a stable order.
	indeg := map[string]int{}
	users := map[string][]string{}
	for n, ds := range deps {
		indeg[n] += 0
		for _, d := range ds {
			if _, ok := deps[d]; !ok {
				continue // not compiled: reported below
			}
			indeg[n]++
			users[d] = append(users[d], n)
		}
	}
	var ready []string
	for n, k := range indeg {
		if k == 0 {
			ready = append(ready, n)
		}
	}
	sort.Strings(ready)
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		st.order = append(st.order, n)
		us := users[n]
		sort.Strings(us)
		for _, u := range us {
			if indeg[u]--; indeg[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(st.order) < len(deps) {
		for n := range deps {
			if !slices.Contains(st.order, n) {
				if cyc := cycle(n, deps); cyc != nil {
					st.problems[n] = defs[n].ruleError(fmt.Errorf("tags depend on each other in a cycle: %s", strings.Join(cyc, " → ")))
				} else {
					st.problems[n] = defs[n].ruleError(errors.New("depends on a tag in a cycle"))
				}
				delete(st.rules, n)
			}
		}
	}
	// a tag whose dependency has a problem cannot be evaluated either
	order := st.order[:0]
	for _, n := range st.order {
		for _, d := range deps[n] {
			if _, bad := st.problems[d]; bad {
				st.problems[n] = defs[n].ruleError(fmt.Errorf("uses tag %q, which has an error", d))
				delete(st.rules, n)
				break
			}
		}
		if _, bad := st.problems[n]; !bad {
			order = append(order, n)
		}
	}
	st.order = order
	return st
}

// cycle returns a dependency cycle through n, as names ending where they
// started, or nil.
func cycle(n string, deps map[string][]string) []string {
	var path []string
	onPath := map[string]bool{}
	done := map[string]bool{}
	var dfs func(x string) []string
	dfs = func(x string) []string {
		if onPath[x] {
			i := slices.Index(path, x)
			return append(slices.Clone(path[i:]), x)
		}
		if done[x] {
			return nil
		}
		onPath[x] = true
		path = append(path, x)
		ds := slices.Clone(deps[x])
		sort.Strings(ds)
		for _, d := range ds {
			if c := dfs(d); c != nil {
				return c
			}
		}
		path = path[:len(path)-1]
		onPath[x] = false
		done[x] = true
		return nil
	}
	return dfs(n)
}

func (e *Engine) definitions() map[string]Definition {
	out := make(map[string]Definition, len(e.defs))
	for n, s := range e.defs {
		out[n] = s.Definition
	}
	return out
}

// Compute compiles every tag against the table's columns and evaluates all
// of them over the table. Tags that fail keep no bitmap and are reported
// together in the returned error (and in List); the others are published.
// A cancelled ctx publishes nothing.
func (e *Engine) Compute(ctx context.Context, tbl *feature.Table) error {
	e.write.Lock()
	defer e.write.Unlock()
	e.mu.RLock()
	defs := e.definitions()
	e.mu.RUnlock()
	start := time.Now()
	st := build(defs, tbl.Cols)
	if err := e.evaluate(ctx, st, tbl, st.order); err != nil {
		return err
	}
	e.mu.Lock()
	e.tbl, e.cols, e.st = tbl, slices.Clone(tbl.Cols), st
	e.mu.Unlock()
	e.opts.Logger.Info("tags computed", "tags", len(st.bms), "problems", len(st.problems), "customers", tbl.Len(), "duration", time.Since(start))
	return problemsError(st.problems)
}

// evaluate computes the bitmaps of the given tags (in order) into st.bms;
// runtime errors become problems of the tag and of its users.
func (e *Engine) evaluate(ctx context.Context, st *state, tbl *feature.Table, names []string) error {
	for _, n := range names {
		r := st.rules[n]
		if r == nil || st.problems[n] != nil {
			continue
		}
		if dep := failedDep(st, r); dep != "" {
			st.problems[n] = &Error{Tag: n, Err: fmt.Errorf("uses tag %q, which has an error", dep)}
			delete(st.bms, n)
			continue
		}
		bm, err := r.Eval(ctx, rule.Input{Table: tbl, Sets: sets(st.bms), Workers: e.opts.Workers})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			st.problems[n] = &Error{Tag: n, Err: err}
			delete(st.bms, n)
			continue
		}
		bm.RunOptimize()
		st.bms[n] = bm
	}
	return nil
}

func failedDep(st *state, r *rule.Rule) string {
	for _, d := range r.Tags() {
		if st.problems[d] != nil {
			return d
		}
	}
	return ""
}

func problemsError(p map[string]error) error {
	if len(p) == 0 {
		return nil
	}
	errs := make([]error, 0, len(p))
	for _, n := range slices.Sorted(maps.Keys(p)) {
		errs = append(errs, p[n])
	}
	return errors.Join(errs...)
}

// Applied reports what Apply stored.
type Applied struct {
	Created   []string `json:"created"`
	Updated   []string `json:"updated"`
	Unchanged []string `json:"unchanged"`
}

// Apply validates a batch of definitions against the schema and the other
// tags (compile errors, unknown columns, cycles; with a table loaded, also
// an evaluation over it), and stores a new version of each one that
// changed. Any problem rejects the whole batch: nothing is stored and
// nothing changes.
func (e *Engine) Apply(ctx context.Context, batch []Definition, author string) (Applied, error) {
	e.write.Lock()
	defer e.write.Unlock()
	e.mu.RLock()
	cur := e.definitions()
	cols, tbl, old := e.cols, e.tbl, e.st
	e.mu.RUnlock()
	res := Applied{Created: []string{}, Updated: []string{}, Unchanged: []string{}}
	if cols == nil {
		return res, ErrNoSchema
	}
	var errs []error
	next := maps.Clone(cur)
	seen := map[string]bool{}
	var changed []string
	for _, d := range batch {
		if err := d.check(); err != nil {
			errs = append(errs, &Error{File: d.Pos.File, Line: d.Pos.Line, Tag: d.Name, Err: err})
			continue
		}
		if seen[d.Name] {
			errs = append(errs, &Error{File: d.Pos.File, Line: d.Pos.Line, Tag: d.Name, Err: errors.New("defined twice in the batch")})
			continue
		}
		seen[d.Name] = true
		c, ok := cur[d.Name]
		switch {
		case !ok:
			res.Created = append(res.Created, d.Name)
		case c.Rule != d.Rule || c.Kind != d.Kind || c.Description != d.Description:
			res.Updated = append(res.Updated, d.Name)
		default:
			res.Unchanged = append(res.Unchanged, d.Name)
			continue
		}
		changed = append(changed, d.Name)
		next[d.Name] = d
	}
	if len(errs) > 0 {
		return Applied{}, errors.Join(errs...)
	}
	st := build(next, cols)
	for _, n := range changed {
		if p := st.problems[n]; p != nil {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return Applied{}, errors.Join(errs...)
	}
	// carry the bitmaps over and re-evaluate what changed and its users
	affected := dependents(st, changed)
	for n, bm := range old.bms {
		if st.rules[n] != nil && !affected[n] {
			st.bms[n] = bm
		}
	}
	for n, p := range old.problems {
		if st.problems[n] == nil && st.rules[n] != nil && !affected[n] {
			st.problems[n] = p // an old evaluation error stays until recomputed
		}
	}
	if tbl != nil {
		var todo []string
		for _, n := range st.order {
			if affected[n] {
				todo = append(todo, n)
			}
		}
		if err := e.evaluate(ctx, st, tbl, todo); err != nil {
			return Applied{}, err
		}
		for _, n := range changed {
			if p := st.problems[n]; p != nil {
				errs = append(errs, p)
			}
		}
		if len(errs) > 0 {
			return Applied{}, errors.Join(errs...)
		}
	}
	stored := make(map[string]stored, len(changed))
	for _, n := range changed {
		d := next[n]
		body, _ := json.Marshal(d)
		v, err := e.opts.Store.PutDefinition(ctx, store.Definition{Kind: DefinitionKind, Name: n, Body: body, CreatedAt: e.opts.Clock(), Author: author})
		if err != nil {
			return Applied{}, fmt.Errorf("store tag %q: %w", n, err)
		}
		stored[n] = storedDef(d, v, e.opts.Clock(), author)
	}
	e.mu.Lock()
	for n, s := range stored {
		e.defs[n] = s
	}
	e.st = st
	e.mu.Unlock()
	return res, nil
}

func storedDef(d Definition, v int, at time.Time, author string) stored {
	d.Pos = Pos{}
	return stored{Definition: d, Version: v, CreatedAt: at, Author: author}
}

// dependents returns the names plus every tag that uses one of them,
// transitively.
func dependents(st *state, names []string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	for _, n := range st.order { // dependencies come first
		for _, d := range st.rules[n].Tags() {
			if out[d] {
				out[n] = true
			}
		}
	}
	return out
}

// Delete deletes a tag, refused with the list of dependents while other
// tags or anything registered with Guard uses it.
func (e *Engine) Delete(ctx context.Context, name, author string) error {
	e.write.Lock()
	defer e.write.Unlock()
	e.mu.RLock()
	cur, ok := e.defs[name]
	st, guards := e.st, slices.Clone(e.guards)
	defs := e.definitions()
	e.mu.RUnlock()
	if !ok {
		return fmt.Errorf("delete tag %q: %w", name, ErrNotFound)
	}
	var deps []string
	for n, d := range defs {
		if n == name {
			continue
		}
		if r := st.rules[n]; r != nil {
			if slices.Contains(r.Tags(), name) {
				deps = append(deps, "tag:"+n)
			}
		} else if mentions(d.Rule, name) { // not compiled: be careful
			deps = append(deps, "tag:"+n)
		}
	}
	for _, g := range guards {
		deps = append(deps, g(name)...)
	}
	if len(deps) > 0 {
		sort.Strings(deps)
		return &InUseError{Tag: name, Dependents: deps}
	}
	body, _ := json.Marshal(cur.Definition)
	if _, err := e.opts.Store.PutDefinition(ctx, store.Definition{Kind: DefinitionKind, Name: name, Body: body, Deleted: true, CreatedAt: e.opts.Clock(), Author: author}); err != nil {
		return fmt.Errorf("delete tag %q: %w", name, err)
	}
	next := &state{rules: maps.Clone(st.rules), bms: maps.Clone(st.bms), problems: maps.Clone(st.problems)}
	delete(next.rules, name)
	delete(next.bms, name)
	delete(next.problems, name)
	for _, n := range st.order {
		if n != name {
			next.order = append(next.order, n)
		}
	}
	e.mu.Lock()
	delete(e.defs, name)
	e.st = next
	e.mu.Unlock()
	return nil
}

// mentions reports whether a rule's text names a tag as a word.
func mentions(src, name string) bool {
	for i := strings.Index(src, name); i >= 0; {
		end := i + len(name)
		before := i == 0 || !isIdent(src[i-1])
		after := end >= len(src) || !isIdent(src[end])
		if before && after {
			return true
		}
		j := strings.Index(src[i+1:], name)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
