package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// customer answers the 360 profile of the customer a reference names.
func (s *server) customer(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	ref := r.PathValue("ref")
	asOf, err := parseAsOf(r.URL.Query().Get("as_of"))
	if err != nil {
		return err
	}
	id, err := profile.Lookup(r.Context(), s.store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "no customer matches %q", ref)
	}
	if err != nil {
		return err
	}
	p, err := profile.Build(r.Context(), s.store, id, asOf)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Location", "/v1/customers/"+strconv.FormatInt(p.ID, 10))
	p = p.MaskedFor(key.Role) // personal data only for roles that may see it
	if s.insight == nil {
		writeJSON(w, http.StatusOK, p)
		return nil
	}
	intel, err := s.insight.Customer(r.Context(), p.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		profile.Profile
		Intelligence map[string]any `json:"intelligence,omitempty"`
	}{p, intel})
	return nil
}

// parseAsOf reads an RFC 3339 time, or a date meaning the end of that day in
// UTC; "" is no bound.
func parseAsOf(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	// an unescaped "+01:00" offset arrives as " 01:00"
	if t, err := time.Parse(time.RFC3339Nano, strings.Replace(v, " ", "+", 1)); err == nil {
		return t, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
	}
	return time.Time{}, errorf(http.StatusBadRequest,
		"as_of: expected an RFC 3339 time (2011-12-09T12:50:00Z) or a date (2011-12-09)")
}
