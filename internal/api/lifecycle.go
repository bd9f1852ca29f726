package api

import (
	"net/http"

	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// lifecycleFlows lists the recorded lifecycle snapshots whose as-of lies
// within ?from= and ?to= (dates or RFC 3339 instants, both optional): the
// customers per stage and, for those that have them, the flows between
// stages since the previous flow's snapshot.
func (s *server) lifecycleFlows(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	q := r.URL.Query()
	from, err := lifecycle.ParseBound(q.Get("from"), false)
	if err != nil {
		return errorf(http.StatusBadRequest, "from: %v", err)
	}
	to, err := lifecycle.ParseBound(q.Get("to"), true)
	if err != nil {
		return errorf(http.StatusBadRequest, "to: %v", err)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return errorf(http.StatusBadRequest, "to (%s) is before from (%s)", q.Get("to"), q.Get("from"))
	}
	snaps, err := s.store.LifecycleSnapshots(r.Context(), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lifecycle.NewReport(snaps))
	return nil
}
