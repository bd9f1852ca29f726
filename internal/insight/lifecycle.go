package insight

import (
	"context"
	"errors"
	"fmt"

	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// RecordHistory records what the console draws over time: every saved
// segment's size and a lifecycle snapshot (see RecordLifecycle).
func (s *Service) RecordHistory(ctx context.Context) error {
	err := s.Segs.RecordSizes(ctx)
	if err != nil {
		err = fmt.Errorf("record segment sizes: %w", err)
	}
	if _, _, lerr := s.RecordLifecycle(ctx); lerr != nil {
		err = errors.Join(err, fmt.Errorf("record lifecycle snapshot: %w", lerr))
	}
	return err
}

// RecordLifecycle takes every customer's lifecycle stage from the feature
// table and records it (lifecycle.Recorder.Record): the stage counts, and
// the flows between stages since the previous flow's snapshot when a
// period has passed. A table without customers (nothing computed yet) is
// not recorded: it returns false.
func (s *Service) RecordLifecycle(ctx context.Context) (store.LifecycleSnapshot, bool, error) {
	s.mu.RLock()
	tbl := s.Tags.Table()
	if tbl.Len() == 0 {
		s.mu.RUnlock()
		return store.LifecycleSnapshot{}, false, nil
	}
	snap, err := lifecycle.Take(tbl, s.opts.Clock())
	s.mu.RUnlock()
	if err != nil {
		return store.LifecycleSnapshot{}, false, err
	}
	rec, err := s.life.Record(ctx, snap)
	return rec, err == nil, err
}
