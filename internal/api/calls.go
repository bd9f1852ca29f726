package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// maxCallLimit bounds a page of GET /v1/calls (one more is read to know
// whether another page follows).
const maxCallLimit = 500

// callPage answers GET /v1/calls with a limit: one page of the tasks in
// queue order (store.CallPage: due call backs, new tasks, later call
// backs), however many there are. When more follow, a Link header (RFC 8288)
// names the next page; its after token carries the time the order was cut
// at, so that the pages do not shift while a client walks them.
func (s *server) callPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > maxCallLimit {
		return errorf(http.StatusBadRequest, "limit %q: want a number from 1 to %d", q.Get("limit"), maxCallLimit)
	}
	page := store.CallPage{Campaign: q.Get("campaign"), State: q.Get("state"), Assignee: q.Get("assignee"), Now: s.now(), Limit: limit + 1}
	if v := q.Get("after"); v != "" {
		var at, cb, id int64
		parts := strings.Split(v, ".")
		ok := len(parts) == 3
		if ok {
			var e1, e2, e3 error
			at, e1 = strconv.ParseInt(parts[0], 10, 64)
			cb, e2 = strconv.ParseInt(parts[1], 10, 64)
			id, e3 = strconv.ParseInt(parts[2], 10, 64)
			ok = e1 == nil && e2 == nil && e3 == nil && cb >= 0 && id > 0
		}
		if !ok {
			return errorf(http.StatusBadRequest, "after %q: not a token of a Link header of this route", v)
		}
		page.Now, page.After.ID = time.UnixMicro(at).UTC(), id
		if cb != 0 {
			page.After.CallbackAt = time.UnixMicro(cb).UTC()
		}
	}
	ts, err := s.store.CallTaskPage(r.Context(), page)
	if err != nil {
		return err
	}
	if len(ts) > limit {
		ts = ts[:limit]
		last := ts[len(ts)-1]
		var cb int64
		if !last.CallbackAt.IsZero() {
			cb = last.CallbackAt.UnixMicro()
		}
		next := url.Values{}
		for _, k := range []string{"campaign", "state", "assignee", "limit"} {
			if v := q.Get(k); v != "" {
				next.Set(k, v)
			}
		}
		next.Set("after", fmt.Sprintf("%d.%d.%d", page.Now.UnixMicro(), cb, last.ID))
		w.Header().Set("Link", "</v1/calls?"+next.Encode()+`>; rel="next"`)
	}
	if ts == nil {
		ts = []store.CallTask{}
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}
