package admission

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
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
)

// DefinitionKind is the kind of rule-based list definitions in the store.
const DefinitionKind = "admission"

// Lists, strictest first: Check reports the first list a customer is on.
var Lists = []string{store.ListBlack, store.ListGrey, store.ListWhite}

// Errors.
var (
	ErrInvalid  = errors.New("invalid admission entry")
	ErrNotFound = errors.New("not on the list")
)

// Store keeps admission entries and rule-based list definitions;
// store.Analytics implements it.
type Store interface {
	PutAdmission(ctx context.Context, entries []store.AdmissionEntry) error
	RemoveAdmission(ctx context.Context, list string, customerID int64) error
	Admission(ctx context.Context, list string, at time.Time) ([]store.AdmissionEntry, error)
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
}

// Options configure an Engine.
type Options struct {
	Store  Store // required
	Logger *slog.Logger
	Clock  func() time.Time
	// Resolve maps a customer reference of an uploaded file (an id, an
	// e-mail ...) to a customer id; nil: the reference must be the id.
	Resolve func(ctx context.Context, ref string) (int64, bool, error)
	Workers int // goroutines per rule evaluation; 0: GOMAXPROCS
}

// Engine holds the black, white and grey lists in memory. It is safe for
// concurrent use.
type Engine struct {
	opts Options

	mu      sync.RWMutex
	entries map[string]map[int64]store.AdmissionEntry // list → customer → entry
	rules   map[string]RuleList
	version uint64
	cache   map[cacheKey]cached
	sorted  map[string][]int64 // list → its customer ids, ascending; rebuilt after a change
	counts  map[string]liveCount
}

type cached struct {
	bm    *roaring.Bitmap
	until time.Time // the first expiry among the members; zero: none
}

type cacheKey struct {
	list    string
	tbl     *feature.Table
	n       int
	version uint64
}

// New returns an empty Engine; call Load.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	e := &Engine{opts: opts, rules: map[string]RuleList{}, cache: map[cacheKey]cached{}}
	e.entries = map[string]map[int64]store.AdmissionEntry{}
	for _, l := range Lists {
		e.entries[l] = map[int64]store.AdmissionEntry{}
	}
	return e
}

// ValidList tells whether l is one of the lists: black, white or grey.
func ValidList(l string) bool { return slices.Contains(Lists, l) }

// Load reads the entries that have not expired and the rule-based list
// definitions.
func (e *Engine) Load(ctx context.Context) error {
	all, err := e.opts.Store.Admission(ctx, "", e.opts.Clock())
	if err != nil {
		return fmt.Errorf("load admission lists: %w", err)
	}
	defs, err := e.opts.Store.Definitions(ctx, DefinitionKind)
	if err != nil {
		return fmt.Errorf("load admission rules: %w", err)
	}
	rules := map[string]RuleList{}
	for _, d := range defs {
		var r RuleList
		if err := json.Unmarshal(d.Body, &r); err != nil {
			return fmt.Errorf("load admission rule %q: %w", d.Name, err)
		}
		r.Name = d.Name
		rules[r.Name] = r
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, l := range Lists {
		e.entries[l] = map[int64]store.AdmissionEntry{}
	}
	for _, en := range all {
		if ValidList(en.List) {
			e.entries[en.List][en.CustomerID] = en
		}
	}
	e.rules = rules
	e.changed()
	return nil
}

// changed invalidates the cached bitmaps; e.mu must be held.
func (e *Engine) changed() {
	e.version++
	clear(e.cache)
	clear(e.sorted)
}

// Decision is the admission of one customer.
type Decision struct {
	List      string    `json:"list"` // black, grey or white
	Reason    string    `json:"reason"`
	Source    string    `json:"source"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Check returns the strictest list a customer is on (black, then grey,
// then white) with its reason; ok is false when the customer is on none.
// Expired entries do not count.
func (e *Engine) Check(customerID int64) (d Decision, ok bool) {
	now := e.opts.Clock()
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, l := range Lists {
		if en, found := e.entries[l][customerID]; found && live(en, now) {
			return Decision{List: l, Reason: en.Reason, Source: en.Source, ExpiresAt: en.ExpiresAt}, true
		}
	}
	return Decision{}, false
}

func live(en store.AdmissionEntry, now time.Time) bool {
	return en.ExpiresAt.IsZero() || en.ExpiresAt.After(now)
}

// Entries returns the live entries of a list ("" for all three, black,
// grey, white), by customer id.
func (e *Engine) Entries(list string) []store.AdmissionEntry {
	var out []store.AdmissionEntry
	for _, l := range e.listsOf(list) {
		page, _ := e.Page(l, 0, math.MaxInt)
		out = append(out, page...)
	}
	return out
}

func (e *Engine) listsOf(list string) []string {
	if list == "" {
		return Lists
	}
	return []string{list}
}

// Page returns up to limit live entries of one list with customer ids
// above after, by id, and the id to continue after (0 at the end). The ids
// are sorted once per change of the lists, not per call.
func (e *Engine) Page(list string, after int64, limit int) (page []store.AdmissionEntry, next int64) {
	now := e.opts.Clock()
	ids := e.sortedIDs(list)
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, _ := slices.BinarySearch(ids, after+1)
	for ; i < len(ids) && len(page) < limit; i++ {
		if en, ok := e.entries[list][ids[i]]; ok && live(en, now) {
			page = append(page, en)
		}
	}
	if i < len(ids) && len(page) == limit {
		next = page[len(page)-1].CustomerID
	}
	return page, next
}

// sortedIDs returns a list's customer ids, ascending, from the cache.
func (e *Engine) sortedIDs(list string) []int64 {
	e.mu.RLock()
	ids, ok := e.sorted[list]
	e.mu.RUnlock()
	if ok {
		return ids
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ids, ok := e.sorted[list]; ok {
		return ids
	}
	ids = slices.Sorted(maps.Keys(e.entries[list]))
	if e.sorted == nil {
		e.sorted = map[string][]int64{}
	}
	e.sorted[list] = ids
	return ids
}

// Rows returns the live members of a list as rows (dense customer numbers)
// of tbl, for rules (in_list). Customers not in tbl are left out. The
// bitmap is cached per table and list version: do not modify it.
func (e *Engine) Rows(list string, tbl *feature.Table) *roaring.Bitmap {
	if tbl == nil {
		return roaring.New()
	}
	now := e.opts.Clock()
	e.mu.Lock()
	defer e.mu.Unlock()
	k := cacheKey{list: list, tbl: tbl, n: tbl.Len(), version: e.version}
	if c, ok := e.cache[k]; ok && (c.until.IsZero() || now.Before(c.until)) {
		return c.bm
	}
	bm := roaring.New()
	next := time.Time{} // the next expiry among the members
	for id, en := range e.entries[list] {
		if !live(en, now) {
			continue
		}
		if row, ok := tbl.Index(id); ok {
			bm.AddInt(row)
			if !en.ExpiresAt.IsZero() && (next.IsZero() || en.ExpiresAt.Before(next)) {
				next = en.ExpiresAt
			}
		}
	}
	if len(e.cache) >= 16 { // older tables and versions
		clear(e.cache)
	}
	e.cache[k] = cached{bm: bm, until: next}
	return bm
}

// Add puts entries on lists (one per list and customer, replacing an
// existing one). Entries are checked first; a bad one rejects all.
func (e *Engine) Add(ctx context.Context, entries []store.AdmissionEntry) error {
	now := e.opts.Clock()
	for i := range entries {
		en := &entries[i]
		if !ValidList(en.List) {
			return fmt.Errorf("%w: entry %d: list %q must be black, white or grey", ErrInvalid, i+1, en.List)
		}
		if en.CustomerID <= 0 {
			return fmt.Errorf("%w: entry %d: customer id %d", ErrInvalid, i+1, en.CustomerID)
		}
		if en.AddedAt.IsZero() {
			en.AddedAt = now
		}
		if en.Source == "" {
			en.Source = "api"
		}
		if !en.ExpiresAt.IsZero() && !en.ExpiresAt.After(now) {
			return fmt.Errorf("%w: entry %d: expires %s, which has passed", ErrInvalid, i+1, en.ExpiresAt.Format(time.RFC3339))
		}
	}
	if err := e.opts.Store.PutAdmission(ctx, entries); err != nil {
		return fmt.Errorf("add admission entries: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, en := range entries {
		e.entries[en.List][en.CustomerID] = en
	}
	e.changed()
	return nil
}

// Remove takes a customer off a list.
func (e *Engine) Remove(ctx context.Context, list string, customerID int64) error {
	if !ValidList(list) {
		return fmt.Errorf("%w: list %q must be black, white or grey", ErrInvalid, list)
	}
	if err := e.opts.Store.RemoveAdmission(ctx, list, customerID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("customer %d on %s list: %w", customerID, list, ErrNotFound)
		}
		return fmt.Errorf("remove customer %d from %s list: %w", customerID, list, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.entries[list], customerID)
	e.changed()
	return nil
}

// Upload is what an uploaded file gives every entry unless its row says
// otherwise.
type Upload struct {
	List      string
	Reason    string    // default reason
	ExpiresAt time.Time // default expiry; zero: never
	Source    string    // default "upload"
}

// LineError is a bad line of an uploaded file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// MaxUploadErrors is how many bad lines an upload reports before stopping.
const MaxUploadErrors = 20

// ReadCSV reads an uploaded list: a header naming a customer column
// ("customer", "customer_id", "id" or "ref") and optionally "reason" and
// "expires_at" (RFC 3339 or YYYY-MM-DD), or no header and one reference a
// line. Any bad line rejects the file, with the lines named; nothing is
// stored by ReadCSV (pass the entries to Add).
func (e *Engine) ReadCSV(ctx context.Context, r io.Reader, up Upload) ([]store.AdmissionEntry, error) {
	if !ValidList(up.List) {
		return nil, fmt.Errorf("%w: list %q must be black, white or grey", ErrInvalid, up.List)
	}
	if up.Source == "" {
		up.Source = "upload"
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	now := e.opts.Clock()
	var (
		out  []store.AdmissionEntry
		errs []error
		seen = map[int64]int{}
		col  = map[string]int{"customer": 0, "reason": -1, "expires_at": -1}
	)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, &LineError{Line: line, Err: err}
		}
		if first && isHeader(rec) {
			col["customer"] = -1
			for i, h := range rec {
				switch h = strings.ToLower(strings.TrimSpace(h)); h {
				case "customer", "customer_id", "id", "ref":
					col["customer"] = i
				case "reason", "expires_at":
					col[h] = i
				}
			}
			if col["customer"] < 0 {
				return nil, &LineError{Line: line, Err: errors.New(`no customer column (name one "customer", "customer_id", "id" or "ref")`)}
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		en, err := e.entry(ctx, rec, col, up, now)
		if err == nil {
			if prev, dup := seen[en.CustomerID]; dup {
				err = fmt.Errorf("customer %d is also on line %d", en.CustomerID, prev)
			}
		}
		if err != nil {
			errs = append(errs, &LineError{Line: line, Err: err})
			if len(errs) >= MaxUploadErrors {
				errs = append(errs, errors.New("too many errors; stopped"))
				break
			}
			continue
		}
		seen[en.CustomerID] = line
		out = append(out, en)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func isHeader(rec []string) bool {
	for _, h := range rec {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "customer", "customer_id", "id", "ref":
			return true
		}
	}
	return false
}

func (e *Engine) entry(ctx context.Context, rec []string, col map[string]int, up Upload, now time.Time) (store.AdmissionEntry, error) {
	field := func(name string) string {
		if i := col[name]; i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	en := store.AdmissionEntry{List: up.List, Reason: up.Reason, Source: up.Source, AddedAt: now, ExpiresAt: up.ExpiresAt}
	ref := field("customer")
	if ref == "" {
		return en, errors.New("no customer")
	}
	if e.opts.Resolve != nil {
		id, ok, err := e.opts.Resolve(ctx, ref)
		if err != nil {
			return en, err
		}
		if !ok {
			return en, fmt.Errorf("unknown customer %q", ref)
		}
		en.CustomerID = id
	} else {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || id <= 0 {
			return en, fmt.Errorf("customer %q is not a customer id", ref)
		}
		en.CustomerID = id
	}
	if r := field("reason"); r != "" {
		en.Reason = r
	}
	if x := field("expires_at"); x != "" {
		t, err := parseTime(x)
		if err != nil {
			return en, err
		}
		en.ExpiresAt = t
	}
	if !en.ExpiresAt.IsZero() && !en.ExpiresAt.After(now) {
		return en, fmt.Errorf("expires_at %s has passed", en.ExpiresAt.Format(time.RFC3339))
	}
	return en, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expires_at %q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
}

// RuleList is a rule-based list: the customers a rule selects are put on
// the list with a reason, and taken off when they no longer match.
type RuleList struct {
	Name         string        `json:"name"`
	List         string        `json:"list"`
	Rule         string        `json:"rule"`
	Reason       string        `json:"reason"`
	ExpiresAfter time.Duration `json:"expires_after,omitempty"` // entries expire this long after each run; 0: never
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// RuleReport tells what one run of a rule-based list changed.
type RuleReport struct {
	Name    string  `json:"name"`
	Added   []int64 `json:"added"`   // customers put on the list
	Removed []int64 `json:"removed"` // customers taken off
	Members int     `json:"members"`
}

// ApplyRule validates a rule-based list against the table's columns and
// the tags, stores it, and runs it (see RunRule).
func (e *Engine) ApplyRule(ctx context.Context, rl RuleList, tbl *feature.Table, tags rule.Sets, tagNames []string, author string) (RuleReport, error) {
	if !nameRE.MatchString(rl.Name) {
		return RuleReport{}, fmt.Errorf("%w: name %q must be lower_snake_case", ErrInvalid, rl.Name)
	}
	if !ValidList(rl.List) {
		return RuleReport{}, fmt.Errorf("%w: list %q must be black, white or grey", ErrInvalid, rl.List)
	}
	if rl.ExpiresAfter < 0 {
		return RuleReport{}, fmt.Errorf("%w: negative expires_after", ErrInvalid)
	}
	r, err := rule.Compile(rl.Rule, rule.Schema{Columns: tbl.Cols, Tags: tagNames})
	if err != nil {
		return RuleReport{}, fmt.Errorf("admission rule %q: %w", rl.Name, err)
	}
	bm, err := r.Eval(ctx, rule.Input{Table: tbl, Sets: tags, Workers: e.opts.Workers})
	if err != nil {
		return RuleReport{}, fmt.Errorf("admission rule %q: %w", rl.Name, err)
	}
	body, _ := json.Marshal(rl)
	if _, err := e.opts.Store.PutDefinition(ctx, store.Definition{Kind: DefinitionKind, Name: rl.Name, Body: body, CreatedAt: e.opts.Clock(), Author: author}); err != nil {
		return RuleReport{}, fmt.Errorf("store admission rule %q: %w", rl.Name, err)
	}
	e.mu.Lock()
	e.rules[rl.Name] = rl
	e.mu.Unlock()
	return e.sync(ctx, rl, tbl, bm)
}

// RunRules re-runs every rule-based list over the table (after the
// features and tags were recomputed).
func (e *Engine) RunRules(ctx context.Context, tbl *feature.Table, tags rule.Sets, tagNames []string) ([]RuleReport, error) {
	e.mu.RLock()
	rules := maps.Clone(e.rules)
	e.mu.RUnlock()
	var (
		out  []RuleReport
		errs []error
	)
	for _, n := range slices.Sorted(maps.Keys(rules)) {
		rl := rules[n]
		r, err := rule.Compile(rl.Rule, rule.Schema{Columns: tbl.Cols, Tags: tagNames})
		var bm *roaring.Bitmap
		if err == nil {
			bm, err = r.Eval(ctx, rule.Input{Table: tbl, Sets: tags, Workers: e.opts.Workers})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("admission rule %q: %w", n, err))
			continue
		}
		rep, err := e.sync(ctx, rl, tbl, bm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, rep)
	}
	return out, errors.Join(errs...)
}

// sync makes the entries of a rule-based list those of the rows selected.
func (e *Engine) sync(ctx context.Context, rl RuleList, tbl *feature.Table, rows *roaring.Bitmap) (RuleReport, error) {
	now := e.opts.Clock()
	source := "rule:" + rl.Name
	rep := RuleReport{Name: rl.Name, Members: int(rows.GetCardinality())}
	var exp time.Time
	if rl.ExpiresAfter > 0 {
		exp = now.Add(rl.ExpiresAfter)
	}
	e.mu.RLock()
	cur := e.entries[rl.List]
	var put []store.AdmissionEntry
	var drop []int64
	want := map[int64]bool{}
	rows.Iterate(func(x uint32) bool {
		id := tbl.IDs[x]
		want[id] = true
		en, ok := cur[id]
		if ok && en.Source != source {
			return true // a manual entry wins over a rule
		}
		if !ok {
			rep.Added = append(rep.Added, id)
		}
		put = append(put, store.AdmissionEntry{List: rl.List, CustomerID: id, Reason: rl.Reason, Source: source, AddedAt: now, ExpiresAt: exp})
		return true
	})
	for id, en := range cur {
		if en.Source == source && !want[id] {
			drop = append(drop, id)
		}
	}
	e.mu.RUnlock()
	slices.Sort(drop)
	rep.Removed = drop
	if len(put) > 0 {
		if err := e.opts.Store.PutAdmission(ctx, put); err != nil {
			return rep, fmt.Errorf("admission rule %q: %w", rl.Name, err)
		}
	}
	for _, id := range drop {
		if err := e.opts.Store.RemoveAdmission(ctx, rl.List, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return rep, fmt.Errorf("admission rule %q: %w", rl.Name, err)
		}
	}
	e.mu.Lock()
	for _, en := range put {
		e.entries[rl.List][en.CustomerID] = en
	}
	for _, id := range drop {
		delete(e.entries[rl.List], id)
	}
	e.changed()
	e.mu.Unlock()
	return rep, nil
}

// Rules returns the rule-based lists.
func (e *Engine) Rules() []RuleList {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]RuleList, 0, len(e.rules))
	for _, n := range slices.Sorted(maps.Keys(e.rules)) {
		out = append(out, e.rules[n])
	}
	return out
}
