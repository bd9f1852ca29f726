package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// campaignReport is a campaign's result against its holdout:
// ?window=7d&attribution=last|first|split&margin=1.
func (s *server) campaignReport(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	m, err := s.mk()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts, err := campaign.ParseReportOptions(q.Get("window"), q.Get("attribution"))
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if v := q.Get("margin"); v != "" {
		if opts.Margin, err = strconv.ParseFloat(v, 64); err != nil || !(opts.Margin > 0 && opts.Margin <= 1) {
			return errorf(http.StatusBadRequest, "margin: want 0 < margin <= 1, got %q", v)
		}
	}
	rep, err := m.Campaigns.Report(r.Context(), r.PathValue("name"), opts)
	if errors.Is(err, measure.ErrNoTreatment) {
		return errorf(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// campaignDecisions explains which campaigns a customer got: the
// arbitration decisions (candidates, scores, reasons) and the holdouts.
func (s *server) campaignDecisions(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	m, err := s.mk()
	if err != nil {
		return err
	}
	id, err := s.lookup(r, r.PathValue("ref"))
	if err != nil {
		return err
	}
	why, err := m.CampaignWhy(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, why)
	return nil
}
