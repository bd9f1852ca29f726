package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.CallQueue = (*Store)(nil)

func (s *Store) CallTaskCounts(ctx context.Context, campaign string) (store.CallCounts, error) {
	query := `SELECT state, result, sum(n)::bigint FROM call_task_counts WHERE n > 0 GROUP BY state, result`
	args := []any{}
	if campaign != "" {
		query, args = `SELECT state, result, n FROM call_task_counts WHERE campaign = $1 AND n > 0`, []any{campaign}
	}
	rows, err := s.q.Query(ctx, query, args...)
	if err != nil {
		return store.CallCounts{}, fmt.Errorf("count call tasks: %w", err)
	}
	defer rows.Close()
	c := store.CallCounts{ByState: map[string]int64{}, ByResult: map[string]int64{}}
	for rows.Next() {
		var state, result string
		var n int64
		if err := rows.Scan(&state, &result, &n); err != nil {
			return store.CallCounts{}, fmt.Errorf("count call tasks: %w", err)
		}
		c.ByState[state] += n
		c.ByResult[result] += n
	}
	if err := rows.Err(); err != nil {
		return store.CallCounts{}, fmt.Errorf("count call tasks: %w", err)
	}
	return c, nil
}

// CallTaskPage reads each group of the queue order with its own range of
// callback_at (NULL: no call back), so that every query is one range of an
// index on (…, state, callback_at, id); only the filters given are in the
// WHERE clause.
func (s *Store) CallTaskPage(ctx context.Context, q store.CallPage) ([]store.CallTask, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	var out []store.CallTask
	err := q.Walk(func(group int, from store.CallCursor, backward bool, limit int) (int, error) {
		var w []string
		var args []any
		arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
		for _, f := range []struct{ col, v string }{{"campaign", q.Campaign}, {"state", q.State}, {"assignee", q.Assignee}} {
			if f.v != "" {
				w = append(w, f.col+" = "+arg(f.v))
			}
		}
		op, order := ">", "callback_at, id"
		if group == store.CallGroupFresh {
			order = "id"
		}
		if backward {
			op, order = "<", strings.ReplaceAll(order, ",", " DESC,")+" DESC"
		}
		switch group {
		case store.CallGroupFresh:
			w = append(w, "callback_at IS NULL")
			if !from.IsZero() {
				w = append(w, "id "+op+" "+arg(from.ID))
			}
		case store.CallGroupDue:
			if q.Now.IsZero() {
				return 0, nil
			}
			w = append(w, "callback_at <= "+arg(q.Now))
		case store.CallGroupLater:
			w = append(w, "callback_at IS NOT NULL")
			if !q.Now.IsZero() {
				w = append(w, "callback_at > "+arg(q.Now))
			}
		}
		if group != store.CallGroupFresh && !from.IsZero() {
			w = append(w, "(callback_at, id) "+op+" ("+arg(from.CallbackAt)+", "+arg(from.ID)+")")
		}
		rows, err := s.q.Query(ctx, `SELECT `+callTaskCols+` FROM call_tasks WHERE `+strings.Join(w, " AND ")+
			` ORDER BY `+order+` LIMIT `+arg(limit), args...)
		if err != nil {
			return 0, err
		}
		ts, err := collect(rows, func(rows pgx.Rows, t *store.CallTask) error { return scanCallTask(rows, t) })
		out = append(out, ts...)
		return len(ts), err
	})
	if err != nil {
		return nil, fmt.Errorf("call task page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}
