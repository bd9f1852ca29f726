package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

func (s *Store) AddLifecycleSnapshot(ctx context.Context, ls store.LifecycleSnapshot) error {
	var prevAt, prevAsOf any
	if ls.HasFlows() {
		prevAt, prevAsOf = ls.PrevAt, ls.PrevAsOf
	}
	err := s.write(ctx, func(t pgx.Tx) error {
		// the stages and flows of a snapshot replaced go with it (ON DELETE CASCADE)
		if _, err := t.Exec(ctx, `DELETE FROM lifecycle_snapshots WHERE at = $1`, ls.At); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, `INSERT INTO lifecycle_snapshots (at, as_of, prev_at, prev_as_of) VALUES ($1, $2, $3, $4)`,
			ls.At, ls.AsOf, prevAt, prevAsOf); err != nil {
			return err
		}
		stages := make([]string, len(ls.Stages))
		positions := make([]int32, len(ls.Stages))
		counts := make([]int64, len(ls.Stages))
		for i, c := range ls.Stages {
			stages[i], positions[i], counts[i] = c.Stage, int32(i), c.Customers
		}
		if _, err := t.Exec(ctx, `
			INSERT INTO lifecycle_stages (at, position, stage, customers)
			SELECT $1, * FROM unnest($2::integer[], $3::text[], $4::bigint[])`, ls.At, positions, stages, counts); err != nil {
			return err
		}
		from := make([]string, len(ls.Flows))
		to := make([]string, len(ls.Flows))
		flows := make([]int64, len(ls.Flows))
		for i, f := range ls.Flows {
			from[i], to[i], flows[i] = f.From, f.To, f.Customers
		}
		_, err := t.Exec(ctx, `
			INSERT INTO lifecycle_flows (at, from_stage, to_stage, customers)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[])`, ls.At, from, to, flows)
		return err
	})
	if err != nil {
		return fmt.Errorf("add lifecycle snapshot of %s: %w", ls.At.UTC().Format(time.RFC3339Nano), err)
	}
	return nil
}

func (s *Store) LifecycleSnapshots(ctx context.Context, from, to time.Time) ([]store.LifecycleSnapshot, error) {
	lo, _ := bound(from, 0)
	hi, _ := bound(to, 0)
	const within = `($1::timestamptz IS NULL OR s.as_of >= $1) AND ($2::timestamptz IS NULL OR s.as_of <= $2)`
	rows, err := s.pool.Query(ctx, `SELECT s.at, s.as_of, s.prev_at, s.prev_as_of FROM lifecycle_snapshots s
		WHERE `+within+` ORDER BY s.as_of, s.at`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list lifecycle snapshots: %w", err)
	}
	index := map[int64]int{}
	out, err := collect(rows, func(rows pgx.Rows, ls *store.LifecycleSnapshot) error {
		var prevAt, prevAsOf *time.Time
		if err := rows.Scan(&ls.At, &ls.AsOf, &prevAt, &prevAsOf); err != nil {
			return err
		}
		ls.At, ls.AsOf = utc(ls.At), utc(ls.AsOf)
		if prevAt != nil && prevAsOf != nil {
			ls.PrevAt, ls.PrevAsOf = utc(*prevAt), utc(*prevAsOf)
		}
		index[ls.At.UnixMicro()] = len(index)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list lifecycle snapshots: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// A snapshot added between these reads has no entry in index and is left out.
	rows, err = s.pool.Query(ctx, `SELECT g.at, g.stage, g.customers FROM lifecycle_stages g
		JOIN lifecycle_snapshots s ON s.at = g.at WHERE `+within+` ORDER BY g.at, g.position`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list lifecycle stages: %w", err)
	}
	if _, err := collect(rows, func(rows pgx.Rows, _ *struct{}) error {
		var at time.Time
		var c store.StageCount
		if err := rows.Scan(&at, &c.Stage, &c.Customers); err != nil {
			return err
		}
		if i, ok := index[at.UnixMicro()]; ok {
			out[i].Stages = append(out[i].Stages, c)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list lifecycle stages: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT f.at, f.from_stage, f.to_stage, f.customers FROM lifecycle_flows f
		JOIN lifecycle_snapshots s ON s.at = f.at WHERE `+within+`
		ORDER BY f.at, f.from_stage COLLATE "C", f.to_stage COLLATE "C"`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("list lifecycle flows: %w", err)
	}
	if _, err := collect(rows, func(rows pgx.Rows, _ *struct{}) error {
		var at time.Time
		var f store.StageFlow
		if err := rows.Scan(&at, &f.From, &f.To, &f.Customers); err != nil {
			return err
		}
		if i, ok := index[at.UnixMicro()]; ok {
			out[i].Flows = append(out[i].Flows, f)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list lifecycle flows: %w", err)
	}
	return out, nil
}
