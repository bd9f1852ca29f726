package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// DefaultEvery is the least time between two recorded flows by default.
const DefaultEvery = 24 * time.Hour

// File is where a Recorder keeps its snapshot, under the data directory.
var File = filepath.Join("lifecycle", "last.bin")

// Recorder records lifecycle snapshots in the store: stage counts every
// time, flows since the last snapshot it compared with (its base) when they
// mean something. The base is kept in Dir, or in memory when Dir is "".
type Recorder struct {
	Dir    string
	Store  store.Lifecycle
	Every  time.Duration // the least time between two flows; DefaultEvery when 0
	Logger *slog.Logger

	mu     sync.Mutex // one Record at a time: read the base, compare, store, replace
	mem    *Snapshot  // the base when Dir is ""
	lastAt time.Time  // the At of the last snapshot this Recorder recorded
}

// Record stores the counts of cur and, when due, its flows from the base;
// then cur becomes the base. Flows are due when cur's as-of is after the
// base's and at least Every has passed since the base, on the table's
// clock (as-of) or the wall clock (At). Otherwise cur's counts alone are
// stored and the base stays, so the next flow spans the whole period: a
// table moved back in time (a recompute as of an earlier date) does not
// become the base.
//
// Snapshots are told apart by At: one taken at the same instant as (or
// before) the previous one this Recorder recorded, or its base, is recorded
// a microsecond after it instead of replacing it.
//
// A base that cannot be read (corrupt, of another version) is reported on
// the logger and replaced: this snapshot records counts only. The base is
// replaced only after the store took the record, so a failed store write
// leaves the next flow to cover this period too.
func (r *Recorder) Record(ctx context.Context, cur *Snapshot) (store.LifecycleSnapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	every := r.Every
	if every <= 0 {
		every = DefaultEvery
	}
	base, err := r.base()
	if err != nil {
		if !errors.Is(err, ErrCorrupt) {
			return store.LifecycleSnapshot{}, err
		}
		r.logger().Warn("lifecycle: the previous snapshot cannot be read; starting afresh, this snapshot records stage counts only",
			"error", err)
		base = nil
	}
	// At identifies a stored snapshot: one taken at the same instant as an
	// earlier one (a frozen or coarse clock) must not replace it
	for _, t := range []time.Time{r.lastAt, baseAt(base)} {
		if !t.IsZero() && !cur.At.After(t) {
			cur.At = t.Add(time.Microsecond)
		}
	}
	rec := store.LifecycleSnapshot{At: cur.At, AsOf: cur.AsOf, Stages: cur.Counts()}
	replace := base == nil
	if base != nil && cur.AsOf.After(base.AsOf) && (cur.AsOf.Sub(base.AsOf) >= every || cur.At.Sub(base.At) >= every) {
		rec.PrevAt, rec.PrevAsOf = base.At, base.AsOf
		rec.Flows = Diff(base, cur)
		replace = true
	}
	commit, discard := func() error { r.mem = cur; return nil }, func() {}
	if replace && r.Dir != "" {
		if commit, discard, err = cur.WriteFile(filepath.Join(r.Dir, File)); err != nil {
			return store.LifecycleSnapshot{}, err
		}
	}
	if err := r.Store.AddLifecycleSnapshot(ctx, rec); err != nil {
		discard()
		return store.LifecycleSnapshot{}, err
	}
	r.lastAt = cur.At
	if replace {
		if err := commit(); err != nil {
			return rec, fmt.Errorf("the snapshot is recorded, but the next flow will be counted from the previous one: %w", err)
		}
	}
	return rec, nil
}

func baseAt(s *Snapshot) time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.At
}

// base reads the snapshot the next flow is counted from; nil when none.
func (r *Recorder) base() (*Snapshot, error) {
	if r.Dir == "" {
		return r.mem, nil
	}
	s, err := ReadFile(filepath.Join(r.Dir, File))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return s, err
}

func (r *Recorder) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
