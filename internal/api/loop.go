package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// campaignReport is a campaign's result against its holdout:
// ?window=7d&attribution=last|first|split&margin=1.
func (s *server) campaignReport(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
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
func (s *server) campaignDecisions(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
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

// budgetOptions reads ?budget=B&cost=C&redeem_cost=R.
func budgetOptions(r *http.Request) (campaign.BudgetOptions, error) {
	var o campaign.BudgetOptions
	q := r.URL.Query()
	for _, f := range []struct {
		name string
		dst  func(float64)
	}{{"budget", func(v float64) { o.Budget = v }}, {"cost", func(v float64) { o.Cost = &v }}, {"redeem_cost", func(v float64) { o.RedeemCost = v }}} {
		s := q.Get(f.name)
		if s == "" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0) || v > 1e15 {
			return o, errorf(http.StatusBadRequest, "%s: want a number >= 0, got %q", f.name, s)
		}
		f.dst(v)
	}
	return o, nil
}

// launchOptions reads ?target=uplift and the budget.
func launchOptions(r *http.Request) (campaign.LaunchOptions, error) {
	t := r.URL.Query().Get("target")
	if t == "" {
		return campaign.LaunchOptions{}, nil
	}
	if t != campaign.TargetUplift {
		return campaign.LaunchOptions{}, errorf(http.StatusBadRequest, "target: %q is not a strategy; use %q", t, campaign.TargetUplift)
	}
	b, err := budgetOptions(r)
	return campaign.LaunchOptions{Target: t, Budget: b}, err
}

// previewTargeting answers a preview with the plans of budgeted targeting.
func previewTargeting(w http.ResponseWriter, r *http.Request, m *marketing.Service, p campaign.Preview) error {
	b, err := budgetOptions(r)
	if err != nil {
		return err
	}
	t, err := m.Campaigns.PlanTargeting(r.Context(), p.Campaign, b)
	if errors.Is(err, campaign.ErrNoModel) {
		return errorf(http.StatusConflict, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		campaign.Preview
		Targeting campaign.Targeting `json:"targeting"`
	}{p, t})
	return nil
}
