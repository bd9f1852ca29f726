package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store"
)

var errNoInsight = errorf(http.StatusServiceUnavailable, "customer intelligence is not loaded on this server")

// tags lists the tag definitions with their coverage.
func (s *server) tags(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	writeJSON(w, http.StatusOK, s.insight.Tags.List())
	return nil
}

// segments lists the saved segments with their sizes.
func (s *server) segments(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	writeJSON(w, http.StatusOK, s.insight.Segs.List())
	return nil
}

// countSegment counts the customers a rule selects: {"rule":"..."} ->
// {"count":N}. A wrong rule is a 400 naming the position of the mistake.
func (s *server) countSegment(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var body struct {
		Rule string `json:"rule"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return errorf(http.StatusBadRequest, "body: want {\"rule\": \"...\"}: %v", err)
	}
	if body.Rule == "" {
		return errorf(http.StatusBadRequest, "rule: empty")
	}
	n, err := s.insight.Count(r.Context(), body.Rule)
	var re *rule.Error
	if errors.As(err, &re) || errors.Is(err, rule.ErrInvalid) || errors.Is(err, rule.ErrDivisionByZero) {
		return errorf(http.StatusBadRequest, "rule: %v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"count": n})
	return nil
}
