package insight

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// Options configure a Service.
type Options struct {
	DataDir  string         // where the feature table is kept; "" keeps it in memory only
	Location *time.Location // for calendar days; UTC when nil
	Logger   *slog.Logger
	Clock    func() time.Time
	// FlowEvery is the least time between two recorded lifecycle flows
	// (lifecycle.Recorder.Every); lifecycle.DefaultEvery when 0.
	FlowEvery time.Duration
}

// Service holds the intelligence engines over one store.
type Service struct {
	st   store.Store
	opts Options
	mu   sync.RWMutex // features are replaced under the write lock; tags and segments read under it
	// ingest orders ingestion against full recomputes: batches are committed
	// and applied under its read lock (IngestGate), a recompute scans and swaps
	// under its write lock, so every batch is either seen by the scan or
	// applied to its result, never both and never neither.
	ingest sync.RWMutex
	stale  atomic.Bool   // an update could not be applied: a full recompute is due
	dirty  atomic.Bool   // the table changed since it was last saved
	gen    atomic.Uint64 // see Generation

	settings atomic.Pointer[SettingsVersion] // the feature settings Recompute uses
	Tags     *tag.Engine
	Segs     *segment.Engine
	Lists    *admission.Engine
	life     *lifecycle.Recorder
}

// FeatureFile is the name of the persisted feature table in the data directory.
const FeatureFile = "features.bin"

// Open builds the engines, loads the definitions (seeding the built-in tags
// into an empty store) and, when a persisted feature table exists, loads it
// and evaluates tags and segments over it. Without one, call Recompute.
func Open(ctx context.Context, st store.Store, opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	s := &Service{st: st, opts: opts}
	s.life = &lifecycle.Recorder{Dir: opts.DataDir, Store: st, Every: opts.FlowEvery, Logger: opts.Logger}
	s.Tags = tag.New(tag.Options{Store: st, Logger: opts.Logger, Clock: opts.Clock})
	s.Lists = admission.New(admission.Options{Store: st, Logger: opts.Logger, Clock: opts.Clock,
		Resolve: func(ctx context.Context, ref string) (int64, bool, error) {
			id, err := profile.Lookup(ctx, st, ref)
			if errors.Is(err, store.ErrNotFound) {
				return 0, false, nil
			}
			return id, err == nil, err
		}})
	s.Segs = segment.New(segment.Options{Store: st, Tags: s.Tags, Lists: s.Lists, Logger: opts.Logger, Clock: opts.Clock})
	n, err := s.Tags.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	if err := s.Lists.Load(ctx); err != nil {
		return nil, fmt.Errorf("load admission lists: %w", err)
	}
	if err := s.loadSettings(ctx); err != nil {
		return nil, err
	}
	tbl, err := s.loadTable()
	if err != nil {
		return nil, err
	}
	if tbl == nil {
		// no features yet: an empty table gives the schema, so rules can be checked
		if tbl, err = feature.Compute(ctx, emptyAnalytics{st}, opts.Clock(), feature.Options{Location: opts.Location}); err != nil {
			return nil, fmt.Errorf("feature schema: %w", err)
		}
	}
	predict.EnsureColumns(tbl) // the prediction columns, unknown until a model is trained
	s.Tags.SetSchema(tbl.Cols)
	if err := s.seedBuiltin(ctx, n); err != nil {
		return nil, err
	}
	if err := s.seedPredictionTags(ctx); err != nil {
		return nil, err
	}
	if _, err := s.Segs.Load(ctx); err != nil {
		return nil, fmt.Errorf("load segments: %w", err)
	}
	if err := s.evaluate(ctx, tbl); err != nil {
		return nil, err
	}
	return s, nil
}

// systemKind is the kind of the store definitions that record what the
// service did once, such as seeding the built-in tags.
const systemKind = "system"

// seedBuiltin puts the built-in tags into a store that never had them, once:
// a store whose tags were all deleted on purpose stays without.
func (s *Service) seedBuiltin(ctx context.Context, tags int) error {
	defs, err := s.st.Definitions(ctx, systemKind)
	if err != nil {
		return fmt.Errorf("read system definitions: %w", err)
	}
	for _, d := range defs {
		if d.Name == "builtin_tags_seeded" {
			return nil
		}
	}
	if tags == 0 {
		if _, err := s.Tags.Apply(ctx, tag.Builtin(), "builtin"); err != nil {
			return fmt.Errorf("seed the built-in tags: %w", err)
		}
	}
	mark := store.Definition{Kind: systemKind, Name: "builtin_tags_seeded", Body: []byte(`{}`), CreatedAt: s.opts.Clock(), Author: "builtin"}
	if _, err := s.st.PutDefinition(ctx, mark); err != nil {
		return fmt.Errorf("record the built-in tags as seeded: %w", err)
	}
	return nil
}

// Apply folds newly stored order lines and events into the feature table
// and re-evaluates the tags and segments of the customers they touch, so a
// customer who now qualifies is in the segment as soon as Apply returns. It
// reports the segment membership changes (none when the batch moved the
// table to a new day, which re-evaluates everything). When the table cannot take them
// (a merge or an unknown older customer needs a full compute) it returns an
// error wrapping feature.ErrRecompute and changes nothing.
func (s *Service) Apply(ctx context.Context, lines []store.LineRow, events []store.Event) (segment.Changes, error) {
	if len(lines) == 0 && len(events) == 0 {
		return segment.Changes{}, nil
	}
	s.gen.Add(1) // stored already, whether or not the table can take it
	s.mu.Lock()
	defer s.mu.Unlock()
	tbl := s.Tags.Table()
	day := s.day(tbl.AsOf)
	if err := tbl.Apply(lines, events); err != nil {
		s.stale.Store(true)
		return segment.Changes{}, fmt.Errorf("apply to features: %w", err)
	}
	s.dirty.Store(true)
	if s.day(tbl.AsOf) != day {
		// the table moved to a new day: every customer was derived again
		// (recency, windows, refitted models), so every tag and segment is
		// evaluated again, not only the touched customers'
		if err := s.evaluateLocked(ctx, tbl); err != nil {
			s.stale.Store(true)
			return segment.Changes{}, err
		}
		return segment.Changes{}, nil
	}
	seen := make(map[int]bool)
	var rows []int
	touch := func(id int64) {
		if id == 0 {
			return
		}
		if row, ok := tbl.Index(id); ok && !seen[row] {
			seen[row] = true
			rows = append(rows, row)
		}
	}
	for i := range lines {
		touch(lines[i].CustomerID)
	}
	for i := range events {
		touch(events[i].CustomerID)
	}
	ch, err := s.Segs.Update(ctx, tbl, rows)
	if err != nil {
		s.stale.Store(true) // the features moved on, the segments did not
	}
	return ch, err
}

// Generation counts the changes to the shop's data the service has been
// told of (batches given to Apply) and the recomputes: a figure computed
// from the store at one generation (a campaign report, say) is out of date
// once it moves.
func (s *Service) Generation() uint64 { return s.gen.Load() }

// IngestGate must be held around committing a batch and applying it
// (Apply): it returns the function that releases it. A full recompute
// waits for the batches in flight and holds new ones back while it scans.
func (s *Service) IngestGate() (release func()) {
	s.ingest.RLock()
	return s.ingest.RUnlock
}

// Invalidate records that the store changed in a way the table cannot
// follow incrementally (customers were merged), so that the next
// maintenance step recomputes.
func (s *Service) Invalidate() { s.stale.Store(true) }

// Stale reports whether an update could not be applied incrementally, so
// that the features lag the store until the next full recompute.
func (s *Service) Stale() bool { return s.stale.Load() }

// AddAdmission puts entries on their lists and re-evaluates the tags and
// segments, which may use in_list().
func (s *Service) AddAdmission(ctx context.Context, entries []store.AdmissionEntry) error {
	if err := s.Lists.Add(ctx, entries); err != nil {
		return err
	}
	return s.evaluate(ctx, s.Tags.Table())
}

// RemoveAdmission takes a customer off a list and re-evaluates tags and segments.
func (s *Service) RemoveAdmission(ctx context.Context, list string, id int64) error {
	if err := s.Lists.Remove(ctx, list, id); err != nil {
		return err
	}
	return s.evaluate(ctx, s.Tags.Table())
}

// ApplyAdmissionRule stores and runs a rule-based admission list (every
// customer the rule selects is on the list, with its reason) and
// re-evaluates the segments.
func (s *Service) ApplyAdmissionRule(ctx context.Context, rl admission.RuleList, author string) (admission.RuleReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tbl := s.Tags.Table()
	rep, err := s.Lists.ApplyRule(ctx, rl, tbl, sets{s, tbl}, s.Tags.Names(), author)
	if err != nil {
		return rep, err
	}
	if err := s.Segs.Refresh(ctx); err != nil {
		return rep, fmt.Errorf("evaluate segments: %w", err)
	}
	return rep, nil
}

// sets serves tags and admission lists to rules.
type sets struct {
	s   *Service
	tbl *feature.Table
}

func (x sets) Tag(name string) *roaring.Bitmap  { return x.s.Tags.Tag(name) }
func (x sets) List(name string) *roaring.Bitmap { return x.s.Lists.Rows(name, x.tbl) }

// ApplyTags stores and evaluates tag definitions and re-evaluates the
// segments, reading the feature table under the lock that ingestion takes
// to change it.
func (s *Service) ApplyTags(ctx context.Context, defs []tag.Definition, author string) (tag.Applied, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	applied, err := s.Tags.Apply(ctx, defs, author)
	if err != nil {
		return applied, err
	}
	if err := s.Segs.Refresh(ctx); err != nil {
		return applied, fmt.Errorf("evaluate segments: %w", err)
	}
	return applied, nil
}

// SaveSegment stores a segment and computes its members, reading the
// feature table under the lock that ingestion takes to change it.
func (s *Service) SaveSegment(ctx context.Context, sg segment.Segment, author string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, err := s.Segs.Save(ctx, sg, author)
	return err
}

// Count counts the customers a rule selects.
func (s *Service) Count(ctx context.Context, rule string) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.Segs.Count(ctx, rule)
}

// Table returns the current feature table (never nil after Open).
func (s *Service) Table() *feature.Table {
	return s.Tags.Table()
}

// Recompute computes the features as of asOf from the store and evaluates
// tags and segments over them. With save, it also records segment sizes and
// keeps the table in the data directory for the next run.
//
// Ingestion through IngestGate waits while the store is scanned.
func (s *Service) Recompute(ctx context.Context, asOf time.Time, save bool) (*feature.Table, error) {
	s.ingest.Lock()
	defer s.ingest.Unlock()
	stale := s.stale.Swap(false)
	opts := s.settings.Load().Settings.Apply(feature.Options{Location: s.opts.Location})
	tbl, err := feature.Compute(ctx, s.st, asOf, opts)
	if err != nil {
		s.stale.CompareAndSwap(false, stale)
		return nil, fmt.Errorf("compute features: %w", err)
	}
	if rep, err := s.enrich(ctx, tbl); err != nil {
		s.opts.Logger.Warn("predictions not scored; their columns stay unknown", "error", err)
	} else {
		s.opts.Logger.Debug("predictions scored", "clv_customers", rep.CLVScored, "churn_customers", rep.ChurnScored)
	}
	if err := s.evaluate(ctx, tbl); err != nil {
		s.stale.CompareAndSwap(false, stale)
		return nil, err
	}
	s.dirty.Store(true)
	s.gen.Add(1)
	if !save {
		return tbl, nil
	}
	if err := s.Segs.RecordSizes(ctx); err != nil {
		return nil, fmt.Errorf("record segment sizes: %w", err)
	}
	if _, _, err := s.RecordLifecycle(ctx); err != nil {
		return nil, fmt.Errorf("record lifecycle snapshot: %w", err)
	}
	return tbl, s.Save()
}

// Advance moves the feature table to a later instant without reading the
// store (the time windows slide, recency and tenure grow, the models are
// refitted) and re-evaluates tags, rule-based lists and segments.
func (s *Service) Advance(ctx context.Context, asOf time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tbl := s.Tags.Table()
	if err := tbl.Advance(asOf); err != nil {
		return fmt.Errorf("advance features to %s: %w", asOf.Format(time.RFC3339), err)
	}
	s.dirty.Store(true)
	if err := s.evaluateLocked(ctx, tbl); err != nil {
		s.stale.Store(true)
		return err
	}
	return nil
}

// Save keeps the current feature table in the data directory (nothing
// without one).
func (s *Service) Save() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.opts.DataDir == "" {
		return nil
	}
	s.dirty.Store(false)
	if err := s.saveTable(s.Tags.Table()); err != nil {
		s.dirty.Store(true)
		return err
	}
	return nil
}

func (s *Service) evaluate(ctx context.Context, tbl *feature.Table) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evaluateLocked(ctx, tbl)
}

func (s *Service) evaluateLocked(ctx context.Context, tbl *feature.Table) error {
	s.Tags.SetSchema(tbl.Cols)
	if err := s.Tags.Compute(ctx, tbl); err != nil {
		return fmt.Errorf("evaluate tags: %w", err)
	}
	// rule-based admission lists use tags; segments use both
	if _, err := s.Lists.RunRules(ctx, tbl, sets{s, tbl}, s.Tags.Names()); err != nil {
		return fmt.Errorf("evaluate admission rules: %w", err)
	}
	if err := s.Segs.Refresh(ctx); err != nil {
		return fmt.Errorf("evaluate segments: %w", err)
	}
	return nil
}

func (s *Service) path() string { return filepath.Join(s.opts.DataDir, FeatureFile) }

func (s *Service) loadTable() (*feature.Table, error) {
	if s.opts.DataDir == "" {
		return nil, nil
	}
	f, err := os.Open(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open feature table: %w", err)
	}
	defer f.Close()
	tbl, err := feature.Load(f)
	if err != nil {
		return nil, fmt.Errorf("read feature table %s (delete it and run 'sagitta features compute'): %w", s.path(), err)
	}
	return tbl, nil
}

// saveTable writes the table next to the store, atomically.
func (s *Service) saveTable(tbl *feature.Table) error {
	if s.opts.DataDir == "" {
		return nil
	}
	if err := os.MkdirAll(s.opts.DataDir, 0o755); err != nil {
		return fmt.Errorf("save feature table: %w", err)
	}
	tmp, err := os.CreateTemp(s.opts.DataDir, FeatureFile+".*")
	if err != nil {
		return fmt.Errorf("save feature table: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tbl.Save(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save feature table: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save feature table: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path()); err != nil {
		return fmt.Errorf("save feature table: %w", err)
	}
	return nil
}

// enrich scores the table with the persisted models (predict.Enrich) and
// derives the lifecycle stages again, since the churn probability moves
// customers into the high-churn-risk stage.
func (s *Service) enrich(ctx context.Context, tbl *feature.Table) (predict.EnrichReport, error) {
	rep, err := predict.Enrich(ctx, s.st, tbl, s.opts.DataDir, s.opts.Location)
	if rep.ChurnScored > 0 {
		if err := tbl.Rederive(); err != nil && !errors.Is(err, feature.ErrNoState) {
			return rep, err
		}
	}
	return rep, err
}

// seedPredictionTags stores the tags over the prediction columns that were
// never defined in this store (a deleted one stays deleted).
func (s *Service) seedPredictionTags(ctx context.Context) error {
	var fresh []tag.Definition
	for _, d := range predict.Tags() {
		_, err := s.st.DefinitionHistory(ctx, tag.DefinitionKind, d.Name)
		if errors.Is(err, store.ErrNotFound) {
			fresh = append(fresh, d)
		} else if err != nil {
			return fmt.Errorf("seed the prediction tags: %w", err)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if _, err := s.Tags.Apply(ctx, fresh, "builtin"); err != nil {
		return fmt.Errorf("seed the prediction tags: %w", err)
	}
	return nil
}

// emptyAnalytics reads nothing: computing over it yields the schema.
type emptyAnalytics struct{ store.Analytics }

func (emptyAnalytics) CustomerIDs(context.Context) ([]int64, error) { return nil, nil }
func (emptyAnalytics) ScanLines(context.Context, time.Time, func(*store.LineRow) error) error {
	return nil
}
func (emptyAnalytics) ScanEvents(context.Context, time.Time, time.Time, func(*store.Event) error) error {
	return nil
}
func (emptyAnalytics) AttributeValues(context.Context, string) (map[int64]string, error) {
	return nil, nil
}

// Customer returns the intelligence part of a customer's profile: RFM,
// value-loyalty class, lifecycle stage, price sensitivity, every feature, every
// tag with the rule and values that decided it, and the admission decision;
// nil when the feature table has no row for the customer.
func (s *Service) Customer(ctx context.Context, id int64) (map[string]any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.Table()
	row, ok := t.Index(id)
	if !ok {
		return nil, nil
	}
	num := func(name string) any {
		if c, ok := t.Num[name]; ok && !math.IsNaN(c[row]) {
			return c[row]
		}
		return nil // unknown: JSON null
	}
	txt := func(name string) string {
		if c, ok := t.Text[name]; ok {
			return c[row]
		}
		return ""
	}
	features := map[string]any{}
	for _, c := range t.Cols {
		if c.Type == feature.Number {
			if v := num(c.Name); v != nil {
				features[c.Name] = v
			}
		} else if v := t.Text[c.Name][row]; v != "" {
			features[c.Name] = v
		}
	}
	tags, err := s.Tags.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"features_as_of": t.AsOf,
		"rfm": map[string]any{"recency_days": num("recency_days"), "frequency": num("frequency"),
			"monetary": num("monetary"), "r": num("rfm_r"), "f": num("rfm_f"), "m": num("rfm_m"),
			"segment": txt("rfm_segment")},
		"value_loyalty_class": txt("value_loyalty_class"),
		"lifecycle_stage":     txt("lifecycle_stage"),
		"price_sensitivity":   num("price_sensitivity"),
		"features":            features,
		"tags":                tags,
		"admission":           s.admissionOf(id),
	}, nil
}

func (s *Service) admissionOf(id int64) any {
	d, ok := s.Lists.Check(id)
	if !ok {
		return nil
	}
	return d
}

// Read runs fn with the current feature table and tag and segment state
// under the read lock, so that ingestion does not change them meanwhile. fn
// must not keep the table or block for long.
func (s *Service) Read(fn func(t *feature.Table)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	fn(s.Table())
}

// Sample counts the customers a rule selects and returns up to n of their
// rows in the table, ascending, read with fn under the read lock.
func (s *Service) Sample(ctx context.Context, rule string, n int, fn func(t *feature.Table, rows []uint32)) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	bm, tbl, err := s.Segs.Evaluate(ctx, rule)
	if err != nil {
		return 0, err
	}
	rows := make([]uint32, 0, n)
	it := bm.Iterator()
	for len(rows) < n && it.HasNext() {
		rows = append(rows, it.Next())
	}
	fn(tbl, rows)
	return bm.GetCardinality(), nil
}

// Location is the shop's time zone, in which calendar days are counted.
func (s *Service) Location() *time.Location { return s.opts.Location }
