package segment

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// DefinitionKind is the kind of segment definitions in the store.
const DefinitionKind = "segment"

// Errors.
var (
	ErrNotFound = errors.New("segment not found")
	ErrInvalid  = errors.New("invalid segment")
	ErrNoTable  = errors.New("no feature table yet: compute the features and tags first")
)

// Segment is a saved audience: a rule over tags, features and admission
// lists.
type Segment struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rule        string `json:"rule"`
}

// Store keeps segment definitions and size history; store.Analytics
// implements it.
type Store interface {
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
	DefinitionHistory(ctx context.Context, kind, name string) ([]store.Definition, error)
	AddSegmentSizes(ctx context.Context, sizes []store.SegmentSize) error
	SegmentSizes(ctx context.Context, segment string, from, to time.Time) ([]store.SegmentSize, error)
}

// Tags is what segments need of the tag engine; *tag.Engine implements it.
type Tags interface {
	// Snapshot returns the feature table and the tag bitmaps over it.
	Snapshot() (*feature.Table, map[string]*roaring.Bitmap)
	Schema() []feature.Column
	Update(ctx context.Context, tbl *feature.Table, rows []int) ([]tag.Change, error)
	Guard(fn func(tag string) []string)
}

// Lists serves admission lists as rows of a table; *admission.Engine
// implements it.
type Lists interface {
	Rows(list string, tbl *feature.Table) *roaring.Bitmap
}

// Options configure an Engine.
type Options struct {
	Store   Store // required
	Tags    Tags  // required
	Lists   Lists // nil: in_list() is not available
	Logger  *slog.Logger
	Clock   func() time.Time
	Workers int // goroutines per rule evaluation; 0: GOMAXPROCS
}

// Engine evaluates segments and keeps the members of saved segments
// current. It is safe for concurrent use.
type Engine struct {
	opts Options

	write sync.Mutex // serializes Load, Refresh, Save, Delete and Update

	mu       sync.RWMutex
	segs     map[string]saved
	rules    map[string]*rule.Rule
	members  map[string]*roaring.Bitmap // never modified once published
	problems map[string]error
	tbl      *feature.Table // the table members refer to
}

type saved struct {
	Segment
	Version   int
	CreatedAt time.Time
	Author    string
}

// New returns an Engine and registers it with the tag engine so that a
// tag used by a segment cannot be deleted.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	e := &Engine{opts: opts, segs: map[string]saved{}, rules: map[string]*rule.Rule{},
		members: map[string]*roaring.Bitmap{}, problems: map[string]error{}}
	opts.Tags.Guard(e.Dependents)
	return e
}

// lists are the admission lists rules may name.
var lists = []string{store.ListBlack, store.ListWhite, store.ListGrey}

func (e *Engine) schema() rule.Schema {
	tbl, bms := e.opts.Tags.Snapshot()
	s := rule.Schema{Columns: e.opts.Tags.Schema(), Tags: slices.Sorted(maps.Keys(bms))}
	if tbl != nil {
		s.Columns = tbl.Cols
	}
	if e.opts.Lists != nil {
		s.Lists = lists
	}
	return s
}

// sets serves tags and admission lists over one table.
type sets struct {
	tbl   *feature.Table
	tags  map[string]*roaring.Bitmap
	lists Lists
}

func (s sets) Tag(name string) *roaring.Bitmap { return s.tags[name] }
func (s sets) List(name string) *roaring.Bitmap {
	if s.lists == nil {
		return nil
	}
	return s.lists.Rows(name, s.tbl)
}

// Compile checks a segment rule against the current schema, tags and
// lists; the error is a *rule.Error with the position of the mistake.
func (e *Engine) Compile(src string) (*rule.Rule, error) {
	return rule.Compile(src, e.schema())
}

func (e *Engine) input(tbl *feature.Table, bms map[string]*roaring.Bitmap) rule.Input {
	return rule.Input{Table: tbl, Sets: sets{tbl: tbl, tags: bms, lists: e.opts.Lists}, Workers: e.opts.Workers}
}

// Count returns how many customers match a rule, without materializing
// the result where the last operation is bitmap algebra.
func (e *Engine) Count(ctx context.Context, src string) (uint64, error) {
	r, err := e.Compile(src)
	if err != nil {
		return 0, err
	}
	tbl, bms := e.opts.Tags.Snapshot()
	if tbl == nil {
		return 0, ErrNoTable
	}
	return r.Count(ctx, e.input(tbl, bms))
}

// Evaluate returns the customers matching a rule, as rows of the returned
// table (its IDs give the customer ids).
func (e *Engine) Evaluate(ctx context.Context, src string) (*roaring.Bitmap, *feature.Table, error) {
	r, err := e.Compile(src)
	if err != nil {
		return nil, nil, err
	}
	tbl, bms := e.opts.Tags.Snapshot()
	if tbl == nil {
		return nil, nil, ErrNoTable
	}
	bm, err := r.Eval(ctx, e.input(tbl, bms))
	return bm, tbl, err
}

// Load reads the saved segments from the store and returns how many; call
// Refresh to compute their members.
func (e *Engine) Load(ctx context.Context) (int, error) {
	e.write.Lock()
	defer e.write.Unlock()
	list, err := e.opts.Store.Definitions(ctx, DefinitionKind)
	if err != nil {
		return 0, fmt.Errorf("load segments: %w", err)
	}
	segs := make(map[string]saved, len(list))
	for _, d := range list {
		s, err := decode(d)
		if err != nil {
			return 0, fmt.Errorf("load segment %q version %d: %w", d.Name, d.Version, err)
		}
		segs[s.Name] = s
	}
	e.mu.Lock()
	e.segs = segs
	e.mu.Unlock()
	return len(segs), nil
}

func decode(d store.Definition) (saved, error) {
	var s Segment
	if err := json.Unmarshal(d.Body, &s); err != nil {
		return saved{}, err
	}
	s.Name = d.Name
	return saved{Segment: s, Version: d.Version, CreatedAt: d.CreatedAt, Author: d.Author}, nil
}

// Refresh compiles and evaluates every saved segment over the current
// tags (after tag.Engine.Compute). Segments that fail keep no members and
// are reported together; the others are published.
func (e *Engine) Refresh(ctx context.Context) error {
	e.write.Lock()
	defer e.write.Unlock()
	tbl, bms := e.opts.Tags.Snapshot()
	if tbl == nil {
		return ErrNoTable
	}
	e.mu.RLock()
	segs := maps.Clone(e.segs)
	e.mu.RUnlock()
	schema := e.schema()
	rules := map[string]*rule.Rule{}
	members := map[string]*roaring.Bitmap{}
	problems := map[string]error{}
	for _, n := range slices.Sorted(maps.Keys(segs)) {
		r, err := rule.Compile(segs[n].Rule, schema)
		if err == nil {
			var bm *roaring.Bitmap
			bm, err = r.Eval(ctx, e.input(tbl, bms))
			if ctx.Err() != nil {
				return ctx.Err()
			}
			members[n] = bm
		}
		if err != nil {
			problems[n] = fmt.Errorf("segment %q: %w", n, err)
			delete(members, n)
			continue
		}
		rules[n] = r
	}
	e.mu.Lock()
	e.rules, e.members, e.problems, e.tbl = rules, members, problems, tbl
	e.mu.Unlock()
	var errs []error
	for _, n := range slices.Sorted(maps.Keys(problems)) {
		errs = append(errs, problems[n])
	}
	return errors.Join(errs...)
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Save validates a segment (its rule must compile and evaluate), stores a
// new version and publishes its members. A bad segment changes nothing.
func (e *Engine) Save(ctx context.Context, s Segment, author string) (version int, err error) {
	if !nameRE.MatchString(s.Name) {
		return 0, fmt.Errorf("%w: name %q must be lower_snake_case: a letter, then letters, digits or _ (at most 63)", ErrInvalid, s.Name)
	}
	e.write.Lock()
	defer e.write.Unlock()
	r, err := e.Compile(s.Rule)
	if err != nil {
		return 0, fmt.Errorf("segment %q: %w", s.Name, err)
	}
	tbl, bms := e.opts.Tags.Snapshot()
	if tbl == nil {
		return 0, ErrNoTable
	}
	bm, err := r.Eval(ctx, e.input(tbl, bms))
	if err != nil {
		return 0, fmt.Errorf("segment %q: %w", s.Name, err)
	}
	body, _ := json.Marshal(s)
	now := e.opts.Clock()
	v, err := e.opts.Store.PutDefinition(ctx, store.Definition{Kind: DefinitionKind, Name: s.Name, Body: body, CreatedAt: now, Author: author})
	if err != nil {
		return 0, fmt.Errorf("store segment %q: %w", s.Name, err)
	}
	if err := e.opts.Store.AddSegmentSizes(ctx, []store.SegmentSize{{Segment: s.Name, At: now, Count: int64(bm.GetCardinality())}}); err != nil {
		e.opts.Logger.Warn("cannot record segment size", "segment", s.Name, "err", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tbl != nil && e.tbl != tbl {
		// members of the other segments refer to another table: Refresh
		// will bring them over; this one is current already
		e.opts.Logger.Debug("segment saved over a newer table", "segment", s.Name)
	}
	e.segs[s.Name] = saved{Segment: s, Version: v, CreatedAt: now, Author: author}
	e.rules[s.Name] = r
	e.members = withEntry(e.members, s.Name, bm)
	delete(e.problems, s.Name)
	if e.tbl == nil {
		e.tbl = tbl
	}
	return v, nil
}

func withEntry(m map[string]*roaring.Bitmap, k string, v *roaring.Bitmap) map[string]*roaring.Bitmap {
	out := maps.Clone(m)
	if out == nil {
		out = map[string]*roaring.Bitmap{}
	}
	out[k] = v
	return out
}

// Delete deletes a saved segment.
func (e *Engine) Delete(ctx context.Context, name, author string) error {
	e.write.Lock()
	defer e.write.Unlock()
	e.mu.RLock()
	s, ok := e.segs[name]
	e.mu.RUnlock()
	if !ok {
		return fmt.Errorf("delete segment %q: %w", name, ErrNotFound)
	}
	body, _ := json.Marshal(s.Segment)
	if _, err := e.opts.Store.PutDefinition(ctx, store.Definition{Kind: DefinitionKind, Name: name, Body: body, Deleted: true, CreatedAt: e.opts.Clock(), Author: author}); err != nil {
		return fmt.Errorf("delete segment %q: %w", name, err)
	}
	e.mu.Lock()
	delete(e.segs, name)
	delete(e.rules, name)
	delete(e.problems, name)
	m := maps.Clone(e.members)
	delete(m, name)
	e.members = m
	e.mu.Unlock()
	return nil
}

// Dependents lists the saved segments whose rule uses a tag, as
// "segment:NAME"; the tag engine calls it before deleting a tag.
func (e *Engine) Dependents(tagName string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for n, s := range e.segs {
		if r := e.rules[n]; r != nil {
			if slices.Contains(r.Tags(), tagName) {
				out = append(out, "segment:"+n)
			}
		} else if mentions(s.Rule, tagName) {
			out = append(out, "segment:"+n)
		}
	}
	slices.Sort(out)
	return out
}

// mentions reports whether a rule's text names a word (for segments whose
// rule does not compile right now).
func mentions(src, word string) bool {
	for _, f := range strings.FieldsFunc(src, func(r rune) bool {
		return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		if f == word {
			return true
		}
	}
	return false
}

// Info is a saved segment with its size.
type Info struct {
	Segment
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Count     int64     `json:"count"`
	Problem   string    `json:"problem,omitempty"`
}

// List returns the saved segments, by name.
func (e *Engine) List() []Info {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Info, 0, len(e.segs))
	for _, n := range slices.Sorted(maps.Keys(e.segs)) {
		out = append(out, e.info(n))
	}
	return out
}

// Get returns one saved segment.
func (e *Engine) Get(name string) (Info, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.segs[name]; !ok {
		return Info{}, fmt.Errorf("segment %q: %w", name, ErrNotFound)
	}
	return e.info(name), nil
}

func (e *Engine) info(n string) Info {
	s := e.segs[n]
	in := Info{Segment: s.Segment, Version: s.Version, CreatedAt: s.CreatedAt, Author: s.Author}
	if bm := e.members[n]; bm != nil {
		in.Count = int64(bm.GetCardinality())
	} else if p := e.problems[n]; p != nil {
		in.Problem = p.Error()
	} else {
		in.Problem = "not computed yet"
	}
	return in
}

// Members returns the members of a saved segment as rows of the returned
// table. The bitmap is shared: do not modify it.
func (e *Engine) Members(name string) (*roaring.Bitmap, *feature.Table, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.segs[name]; !ok {
		return nil, nil, fmt.Errorf("segment %q: %w", name, ErrNotFound)
	}
	bm := e.members[name]
	if bm == nil {
		if p := e.problems[name]; p != nil {
			return nil, nil, p
		}
		return nil, nil, ErrNoTable
	}
	return bm, e.tbl, nil
}

// Export writes the customer ids of a saved segment as CSV.
func (e *Engine) Export(ctx context.Context, name string, w io.Writer) error {
	bm, tbl, err := e.Members(name)
	if err != nil {
		return err
	}
	return WriteCSV(ctx, w, tbl, bm)
}

// WriteCSV writes a header "customer_id" and the ids of the rows, ascending.
func WriteCSV(ctx context.Context, w io.Writer, tbl *feature.Table, rows *roaring.Bitmap) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("customer_id\n")
	it := rows.ManyIterator()
	buf := make([]uint32, 4096)
	var line []byte
	for {
		n := it.NextMany(buf)
		if n == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, r := range buf[:n] {
			if int(r) >= len(tbl.IDs) {
				continue
			}
			line = strconv.AppendInt(line[:0], tbl.IDs[r], 10)
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// RecordSizes stores the current size of every saved segment.
func (e *Engine) RecordSizes(ctx context.Context) error {
	now := e.opts.Clock()
	e.mu.RLock()
	var sizes []store.SegmentSize
	for _, n := range slices.Sorted(maps.Keys(e.members)) {
		sizes = append(sizes, store.SegmentSize{Segment: n, At: now, Count: int64(e.members[n].GetCardinality())})
	}
	e.mu.RUnlock()
	if len(sizes) == 0 {
		return nil
	}
	if err := e.opts.Store.AddSegmentSizes(ctx, sizes); err != nil {
		return fmt.Errorf("record segment sizes: %w", err)
	}
	return nil
}

// Sizes returns a segment's size history between from and to (zero: open).
func (e *Engine) Sizes(ctx context.Context, name string, from, to time.Time) ([]store.SegmentSize, error) {
	s, err := e.opts.Store.SegmentSizes(ctx, name, from, to)
	if err != nil {
		return nil, fmt.Errorf("segment %q sizes: %w", name, err)
	}
	return s, nil
}

// Version is one stored version of a segment.
type Version struct {
	Version   int       `json:"version"`
	Deleted   bool      `json:"deleted,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Segment   `json:"segment"`
}

// History returns every version of a segment, oldest first.
func (e *Engine) History(ctx context.Context, name string) ([]Version, error) {
	h, err := e.opts.Store.DefinitionHistory(ctx, DefinitionKind, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("segment %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("segment %q history: %w", name, err)
	}
	out := make([]Version, 0, len(h))
	for _, d := range h {
		s, err := decode(d)
		if err != nil {
			return nil, fmt.Errorf("segment %q version %d: %w", name, d.Version, err)
		}
		out = append(out, Version{Version: d.Version, Deleted: d.Deleted, CreatedAt: d.CreatedAt, Author: d.Author, Segment: s.Segment})
	}
	return out, nil
}
