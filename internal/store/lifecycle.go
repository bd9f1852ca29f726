package store

import (
	"context"
	"time"
)

// LifecycleSnapshot is one look at the customers' lifecycle stages: how many
// customers were in each stage and, when it is compared with an earlier
// snapshot, how many moved from which stage to which since then.
type LifecycleSnapshot struct {
	At   time.Time // when it was taken (wall clock); unique
	AsOf time.Time // the as-of instant of the feature table it was taken of
	// PrevAt and PrevAsOf name the snapshot the flows are counted from;
	// both zero when no flows were recorded (the first snapshot, or one
	// taken too soon after the previous flow's).
	PrevAt, PrevAsOf time.Time
	Stages           []StageCount // customers per stage, in stage order
	Flows            []StageFlow  // the non-zero cells only, by From then To (bytewise)
}

// HasFlows tells whether the snapshot records flows.
func (s LifecycleSnapshot) HasFlows() bool { return !s.PrevAt.IsZero() }

// StageCount is the number of customers in one lifecycle stage.
type StageCount struct {
	Stage     string
	Customers int64
}

// StageFlow counts the customers who were in stage From at the previous
// snapshot and are in stage To now. From "" means the customer was not in
// the previous snapshot (entered: new, or new to the feature table); To ""
// means the customer is gone from this one (merged into another, deleted).
type StageFlow struct {
	From, To  string
	Customers int64
}

// Lifecycle keeps lifecycle snapshots. Both backends implement it; it is
// part of Store.
type Lifecycle interface {
	// AddLifecycleSnapshot records a snapshot, replacing one already stored
	// with the same At.
	AddLifecycleSnapshot(ctx context.Context, s LifecycleSnapshot) error
	// LifecycleSnapshots lists the snapshots whose AsOf lies within [from,
	// to] (zero bounds: open), by AsOf then At.
	LifecycleSnapshots(ctx context.Context, from, to time.Time) ([]LifecycleSnapshot, error)
}
