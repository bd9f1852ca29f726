package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/store"
)

var _ store.CallQueue = (*Store)(nil)

var (
	sqlCallCounts    = rq(`SELECT state, result, n FROM call_task_counts WHERE campaign = ? AND n > 0`)
	sqlCallCountsAll = rq(`SELECT state, result, SUM(n) FROM call_task_counts WHERE n > 0 GROUP BY state, result`)
)

// callPageSQL holds the page queries by filter (bit 0 campaign, 1 state, 2
// assignee), kind (0: a range of call-back times, 1: no call back) and
// direction, each prepared once. Parameters: ?1 campaign, ?2 state, ?3
// assignee, ?4 the far end of the range of call-back times (the last going
// forward, the first going backward), ?5 and ?6 the cursor,
// ?7 the limit. Only the filters given are in the WHERE clause, and the
// index that has them is named, so that every page is one seek and a short
// range of an index, however deep.
var callPageSQL [8][2][2]string

func init() {
	for f := range 8 {
		index := ""
		switch {
		case f == 7:
			index = " INDEXED BY call_tasks_assignee_campaign"
		case f&4 != 0 && f&2 != 0:
			index = " INDEXED BY call_tasks_assignee"
		case f&1 != 0 && f&2 != 0:
			index = " INDEXED BY call_tasks_queue"
		case f&2 != 0:
			index = " INDEXED BY call_tasks_queue_all"
		}
		for kind := range 2 {
			for dir, op := range []string{">", "<"} {
				var w []string
				for i, c := range []string{"campaign = ?1", "state = ?2", "assignee = ?3"} {
					if f&(1<<i) != 0 {
						w = append(w, c)
					}
				}
				order := "callback_at, id"
				if kind == 0 {
					// the cursor bounds one end of the range, ?4 the other
					bound := "callback_at <= ?4"
					if dir == 1 {
						bound = "callback_at >= ?4"
					}
					w = append(w, bound, "(callback_at, id) "+op+" (?5, ?6)")
				} else {
					w, order = append(w, "callback_at = 0", "id "+op+" ?6"), "id"
				}
				if dir == 1 {
					order = strings.ReplaceAll(order, ",", " DESC,") + " DESC"
				}
				callPageSQL[f][kind][dir] = rq(`SELECT id, campaign, customer_id, offer, script, assignee, state, result, callback_at, note, created_at, updated_at
FROM call_tasks` + index + ` WHERE ` + strings.Join(w, " AND ") + ` ORDER BY ` + order + ` LIMIT ?7`)
			}
		}
	}
}

func (s *Store) CallTaskCounts(ctx context.Context, campaign string) (store.CallCounts, error) {
	query, args := sqlCallCountsAll, []any(nil)
	if campaign != "" {
		query, args = sqlCallCounts, []any{campaign}
	}
	type row struct {
		state, result string
		n             int64
	}
	rows, err := list(ctx, s.q, "call task counts", query, func(rows *sql.Rows) (row, error) {
		var x row
		return x, rows.Scan(&x.state, &x.result, &x.n)
	}, args...)
	if err != nil {
		return store.CallCounts{}, err
	}
	c := store.CallCounts{ByState: map[string]int64{}, ByResult: map[string]int64{}}
	for _, x := range rows {
		c.ByState[x.state] += x.n
		c.ByResult[x.result] += x.n
	}
	return c, nil
}

func (s *Store) CallTaskPage(ctx context.Context, q store.CallPage) ([]store.CallTask, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	f := 0
	for i, v := range []string{q.Campaign, q.State, q.Assignee} {
		if v != "" {
			f |= 1 << i
		}
	}
	now := micro(q.Now)
	if q.Now.IsZero() {
		now = 0
	}
	var out []store.CallTask
	err := q.Walk(func(group int, from store.CallCursor, backward bool, limit int) (int, error) {
		kind, lo, hi := 0, int64(1), now // due: (0, now]
		switch group {
		case store.CallGroupFresh:
			kind, lo, hi = 1, 0, 0
		case store.CallGroupLater:
			lo, hi = now+1, math.MaxInt64
		}
		if lo > hi {
			return 0, nil
		}
		dir, c, id, end := 0, lo, int64(0), hi
		if backward {
			dir, c, id, end = 1, hi, math.MaxInt64, lo
		}
		if !from.IsZero() {
			c, id = optMicro(from.CallbackAt), from.ID
		}
		ts, err := list(ctx, s.q, "call task page", callPageSQL[f][kind][dir], func(rows *sql.Rows) (store.CallTask, error) { return scanCallTask(rows) },
			q.Campaign, q.State, q.Assignee, end, c, id, limit)
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
