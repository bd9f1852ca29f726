package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var (
	sqlDeleteLifecycle = []string{
		wq(`DELETE FROM lifecycle_snapshots WHERE at = ?`),
		wq(`DELETE FROM lifecycle_stages WHERE at = ?`),
		wq(`DELETE FROM lifecycle_flows WHERE at = ?`),
	}
	sqlAddLifecycle      = wq(`INSERT INTO lifecycle_snapshots (at, as_of, prev_at, prev_as_of) VALUES (?, ?, ?, ?)`)
	sqlAddLifecycleStage = wq(`INSERT INTO lifecycle_stages (at, position, stage, customers) VALUES (?, ?, ?, ?)`)
	sqlAddLifecycleFlow  = wq(`INSERT INTO lifecycle_flows (at, from_stage, to_stage, customers) VALUES (?, ?, ?, ?)`)

	sqlLifecycleSnapshots = pq(`SELECT at, as_of, prev_at, prev_as_of FROM lifecycle_snapshots
WHERE as_of >= ? AND as_of <= ? ORDER BY as_of, at`)
	sqlLifecycleStages = pq(`SELECT g.at, g.stage, g.customers FROM lifecycle_stages g
JOIN lifecycle_snapshots s ON s.at = g.at WHERE s.as_of >= ? AND s.as_of <= ? ORDER BY g.at, g.position`)
	sqlLifecycleFlows = pq(`SELECT f.at, f.from_stage, f.to_stage, f.customers FROM lifecycle_flows f
JOIN lifecycle_snapshots s ON s.at = f.at WHERE s.as_of >= ? AND s.as_of <= ? ORDER BY f.at, f.from_stage, f.to_stage`)
)

func (s *Store) AddLifecycleSnapshot(ctx context.Context, ls store.LifecycleSnapshot) error {
	at := micro(ls.At)
	var prevAt, prevAsOf int64
	if ls.HasFlows() {
		prevAt, prevAsOf = micro(ls.PrevAt), micro(ls.PrevAsOf)
	}
	err := s.update(ctx, func(t *tx) error {
		for _, q := range sqlDeleteLifecycle {
			if _, err := t.q.ExecContext(ctx, q, at); err != nil {
				return err
			}
		}
		if _, err := t.q.ExecContext(ctx, sqlAddLifecycle, at, micro(ls.AsOf), prevAt, prevAsOf); err != nil {
			return err
		}
		for i, c := range ls.Stages {
			if _, err := t.q.ExecContext(ctx, sqlAddLifecycleStage, at, i, c.Stage, c.Customers); err != nil {
				return err
			}
		}
		for _, f := range ls.Flows {
			if _, err := t.q.ExecContext(ctx, sqlAddLifecycleFlow, at, f.From, f.To, f.Customers); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add lifecycle snapshot of %s: %w", ls.At.UTC().Format(time.RFC3339Nano), err)
	}
	return nil
}

func (s *Store) LifecycleSnapshots(ctx context.Context, from, to time.Time) ([]store.LifecycleSnapshot, error) {
	lo, hi := lowerBound(from), bound(to)
	index := map[int64]int{}
	out, err := list(ctx, s.reader.q, "lifecycle snapshots", sqlLifecycleSnapshots, func(rows *sql.Rows) (store.LifecycleSnapshot, error) {
		var ls store.LifecycleSnapshot
		var at, asOf, prevAt, prevAsOf int64
		err := rows.Scan(&at, &asOf, &prevAt, &prevAsOf)
		ls.At, ls.AsOf = fromMicro(at), fromMicro(asOf)
		if prevAt != 0 {
			ls.PrevAt, ls.PrevAsOf = fromMicro(prevAt), fromMicro(prevAsOf)
		}
		index[at] = len(index)
		return ls, err
	}, lo, hi)
	if err != nil || len(out) == 0 {
		return out, err
	}
	// A snapshot added between these reads has no entry in index and is left out.
	_, err = list(ctx, s.reader.q, "lifecycle stages", sqlLifecycleStages, func(rows *sql.Rows) (struct{}, error) {
		var at int64
		var c store.StageCount
		if err := rows.Scan(&at, &c.Stage, &c.Customers); err != nil {
			return struct{}{}, err
		}
		if i, ok := index[at]; ok {
			out[i].Stages = append(out[i].Stages, c)
		}
		return struct{}{}, nil
	}, lo, hi)
	if err != nil {
		return nil, err
	}
	_, err = list(ctx, s.reader.q, "lifecycle flows", sqlLifecycleFlows, func(rows *sql.Rows) (struct{}, error) {
		var at int64
		var f store.StageFlow
		if err := rows.Scan(&at, &f.From, &f.To, &f.Customers); err != nil {
			return struct{}{}, err
		}
		if i, ok := index[at]; ok {
			out[i].Flows = append(out[i].Flows, f)
		}
		return struct{}{}, nil
	}, lo, hi)
	if err != nil {
		return nil, err
	}
	return out, nil
}
