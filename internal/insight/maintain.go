package insight

import (
	"context"
	"fmt"
	"time"
)

// AdvanceMode says when a running server moves the feature table's time
// windows forward on its own.
type AdvanceMode string

const (
	// AdvanceLive moves a live table (computed as of a time within
	// MaintainOptions.LiveWithin of now) to now once a day; a table computed
	// as of a past date (a historical analysis) stays where it is.
	AdvanceLive AdvanceMode = "live"
	// AdvanceAlways moves every table to now once a day.
	AdvanceAlways AdvanceMode = "always"
	// AdvanceNever leaves the table's as-of time to ingestion and recomputes.
	AdvanceNever AdvanceMode = "never"
)

// ParseAdvanceMode reads an AdvanceMode from a flag.
func ParseAdvanceMode(s string) (AdvanceMode, error) {
	switch m := AdvanceMode(s); m {
	case AdvanceLive, AdvanceAlways, AdvanceNever:
		return m, nil
	}
	return "", fmt.Errorf("advance mode %q is not live, always or never", s)
}

// MaintainOptions configure Maintain. Zero values take the defaults.
type MaintainOptions struct {
	Every      time.Duration // how often to look; default one minute
	SaveEvery  time.Duration // how often to save a table changed by ingestion; default ten minutes
	Advance    AdvanceMode   // default AdvanceLive
	LiveWithin time.Duration // default seven days
}

func (o MaintainOptions) withDefaults() MaintainOptions {
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.SaveEvery <= 0 {
		o.SaveEvery = 10 * time.Minute
	}
	if o.Advance == "" {
		o.Advance = AdvanceLive
	}
	if o.LiveWithin <= 0 {
		o.LiveWithin = 7 * 24 * time.Hour
	}
	return o
}

// Maintain keeps the features of a running server current until ctx ends:
// a full recompute when an update could not be applied incrementally (a
// merge of customers, say), the daily move of the time windows, and saving
// the table that ingestion changed — every SaveEvery and once more when ctx
// ends, so a restart does not lose what was applied since the last compute.
func (s *Service) Maintain(ctx context.Context, o MaintainOptions) {
	o = o.withDefaults()
	t := time.NewTicker(o.Every)
	defer t.Stop()
	lastSave := s.opts.Clock()
	for {
		select {
		case <-ctx.Done():
			if s.dirty.Load() {
				if err := s.Save(); err != nil {
					s.opts.Logger.Warn("save the feature table", "error", err)
				}
			}
			return
		case <-t.C:
		}
		now := s.opts.Clock()
		s.Step(ctx, now, o)
		if s.dirty.Load() && now.Sub(lastSave) >= o.SaveEvery {
			if err := s.Save(); err != nil {
				s.opts.Logger.Warn("save the feature table", "error", err)
			}
			lastSave = now
		}
	}
}

// Step does one round of Maintain's work at now: the full recompute a
// stale table needs, or else the move to now of a table whose calendar day
// has passed. It reports what it did ("recompute", "advance" or "").
func (s *Service) Step(ctx context.Context, now time.Time, o MaintainOptions) string {
	o = o.withDefaults()
	asOf := s.Table().AsOf
	target := asOf
	if s.moves(asOf, now, o) {
		target = now
	}
	if s.Stale() {
		start := time.Now()
		if _, err := s.Recompute(ctx, target, true); err != nil {
			if ctx.Err() == nil {
				s.opts.Logger.Warn("recompute features", "error", err)
			}
			return ""
		}
		s.opts.Logger.Info("features recomputed after an update that could not be applied incrementally",
			"as_of", target, "customers", s.Table().Len(), "duration", time.Since(start).Round(time.Millisecond))
		return "recompute"
	}
	if !target.After(asOf) || s.day(target) == s.day(asOf) {
		return ""
	}
	start := time.Now()
	if err := s.Advance(ctx, target); err != nil {
		s.opts.Logger.Warn("advance features", "error", err)
		return ""
	}
	s.opts.Logger.Info("feature time windows moved forward", "as_of", target,
		"duration", time.Since(start).Round(time.Millisecond))
	return "advance"
}

// moves reports whether the table is one Maintain moves to now.
func (s *Service) moves(asOf, now time.Time, o MaintainOptions) bool {
	switch o.Advance {
	case AdvanceAlways:
		return now.After(asOf)
	case AdvanceLive:
		return now.After(asOf) && now.Sub(asOf) <= o.LiveWithin
	}
	return false
}

func (s *Service) day(t time.Time) string {
	return t.In(s.opts.Location).Format(time.DateOnly)
}
