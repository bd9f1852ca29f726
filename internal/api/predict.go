package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// models lists the trained models with their windows and metrics.
func (s *server) models(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	ms, err := s.insight.Models()
	if err != nil {
		return err
	}
	// the recommendation model in service, with its held-out evaluation
	if s.rec != nil {
		if m := s.rec.Model(); m != nil {
			if ms["recommend"], err = json.Marshal(m.Header()); err != nil {
				return err
			}
		}
	}
	writeJSON(w, http.StatusOK, ms)
	return nil
}

// fitCLV fits the BG/NBD and Gamma-Gamma models over the store:
// {"calibration_end":"YYYY-MM-DD","holdout_end":"YYYY-MM-DD","time_unit":"day|week"}, all optional.
func (s *server) fitCLV(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var body struct {
		CalibrationEnd string `json:"calibration_end"`
		HoldoutEnd     string `json:"holdout_end"`
		TimeUnit       string `json:"time_unit"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &body); err != nil {
			return err
		}
	}
	var o predict.CLVOptions
	var err error
	if o.Unit, err = clv.ParseUnit(body.TimeUnit); err != nil {
		return errorf(http.StatusBadRequest, "time_unit: %v", err)
	}
	day := func(field, v string) (int32, error) {
		if v == "" {
			return 0, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return 0, errorf(http.StatusBadRequest, "%s: %q is not a date YYYY-MM-DD", field, v)
		}
		return int32(t.Unix() / 86400), nil
	}
	if o.CalibrationEnd, err = day("calibration_end", body.CalibrationEnd); err != nil {
		return err
	}
	if o.HoldoutEnd, err = day("holdout_end", body.HoldoutEnd); err != nil {
		return err
	}
	if o.HoldoutEnd != 0 && o.CalibrationEnd == 0 {
		return errorf(http.StatusBadRequest, "holdout_end needs calibration_end")
	}
	m, err := s.insight.FitCLV(r.Context(), o)
	if err != nil {
		if m == nil && !errors.Is(err, r.Context().Err()) {
			return errorf(http.StatusUnprocessableEntity, "%v", err)
		}
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// predictions answers a customer's predictions from the feature table.
func (s *server) predictions(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	ref := r.PathValue("ref")
	id, err := profile.Lookup(r.Context(), s.store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return errorf(http.StatusNotFound, "no customer matches %q", ref)
	}
	if err != nil {
		return err
	}
	p, ok := s.insight.Predictions(id)
	if !ok {
		return errorf(http.StatusNotFound, "customer %q has no features yet: compute them ('sagitta features compute')", ref)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
