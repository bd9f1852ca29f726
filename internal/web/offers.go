package web

import (
	"context"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// errNoMarketing answers the offer, campaign and call pages of a server
// without the marketing service.
var errNoMarketing = errPage(http.StatusServiceUnavailable, "error.no_marketing")

// mkName is the form of offer and campaign names (as in their engines).
var mkName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// form is a submitted or prefilled form: its values and an error per field.
type form struct {
	New    bool
	Values map[string]string
	Errors map[string]string
	Flags  map[string]bool // checkboxes
}

func newForm() *form {
	return &form{New: true, Values: map[string]string{}, Errors: map[string]string{}, Flags: map[string]bool{}}
}

// V returns a value of the form.
func (f *form) V(name string) string { return f.Values[name] }

// Err returns the error of a field.
func (f *form) Err(name string) string { return f.Errors[name] }

// read copies the named fields of a POST, trimmed.
func (f *form) read(r *http.Request, names ...string) {
	for _, n := range names {
		f.Values[n] = strings.TrimSpace(r.PostFormValue(n))
	}
}

// num parses a number field ("" is 0); a bad one gets an error at it.
func (f *form) num(name, msg string) float64 {
	v := f.Values[name]
	if v == "" {
		return 0
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		f.Errors[name] = msg
	}
	return x
}

// date parses a YYYY-MM-DD field ("" is the zero time).
func (f *form) date(name, msg string) time.Time {
	v := f.Values[name]
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		f.Errors[name] = msg
	}
	return t
}

// fieldError puts an engine's field error next to its field (or, for a
// field the form does not have, next to fallback).
func (f *form) fieldError(field, problem, fallback string) {
	if _, ok := f.Values[field]; !ok && !f.Flags[field] && field != "channels" {
		field = fallback
	}
	f.Errors[field] = problem
}

func (s *Server) marketingOn() error {
	if s.mk == nil {
		return errNoMarketing
	}
	return nil
}

// offerRow is a line of the offer list.
type offerRow struct {
	offer.Saved
	Summary   string
	Issued    int64
	Remaining int64
	Unlimited bool
}

// offersPage lists the offers with their use.
func (s *Server) offersPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	var rows []offerRow
	for _, o := range s.mk.Offers.List() {
		use, err := s.st.OfferUse(r.Context(), o.Name)
		if err != nil {
			return err
		}
		left := offer.Remaining(&o.Offer, use)
		rows = append(rows, offerRow{Saved: o, Summary: o.Summary(), Issued: use.Count, Remaining: left, Unlimited: left == 1<<63-1})
	}
	v := s.view(r, rq, "offers.title")
	v.Data = rows
	s.render(w, "offers", http.StatusOK, v)
	return nil
}

// offerFields are the fields of the offer form.
var offerFields = []string{"name", "description", "type", "amount", "percent", "threshold", "gift", "content", "code", "shared_code",
	"prefix", "valid_from", "valid_until", "budget_count", "budget_cost", "unit_cost", "per_customer", "segment", "rule", "script", "value"}

// offerForm is the offer editor's content.
type offerForm struct {
	*form
	Types    []offer.Type
	Codes    []string
	Segments []segInfo
	Saved    *offer.Saved
	Issued   int64
}

// offerEditor shows the form for a new offer or a saved one.
func (s *Server) offerEditor(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	f := &offerForm{form: newForm()}
	f.Values["code"], f.Values["type"] = offer.CodeUnique, string(offer.CouponPercent)
	if name := r.PathValue("name"); name != "" {
		o, err := s.mk.Offers.Get(name)
		if errors.Is(err, offer.ErrNotFound) {
			return errPage(http.StatusNotFound, "error.no_offer", name)
		}
		if err != nil {
			return err
		}
		f.New, f.Saved = false, &o
		f.Values = offerValues(&o.Offer)
		use, err := s.st.OfferUse(r.Context(), name)
		if err != nil {
			return err
		}
		f.Issued = use.Count
	}
	return s.showOffer(w, r, rq, f, http.StatusOK)
}

func (s *Server) showOffer(w http.ResponseWriter, r *http.Request, rq *request, f *offerForm, code int) error {
	f.Types, f.Codes = offer.Types, []string{offer.CodeNone, offer.CodeShared, offer.CodeUnique}
	if s.in != nil {
		f.Segments = s.in.Segs.List()
	}
	title := "offers.new"
	if !f.New {
		title = "offers.offer"
	}
	v := s.view(r, rq, title)
	v.Data = f
	s.render(w, "offer", code, v)
	return nil
}

func numString(x float64) string {
	if x == 0 {
		return ""
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// offerValues fills the form from an offer. The form's "valid until" is
// the last day the offer is valid: the day before its exclusive end.
func offerValues(o *offer.Offer) map[string]string {
	day := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	}
	until := ""
	if !o.ValidUntil.IsZero() {
		until = day(o.ValidUntil.Add(-time.Nanosecond))
	}
	return map[string]string{"name": o.Name, "description": o.Description, "type": string(o.Type), "amount": numString(o.Amount),
		"percent": numString(o.Percent), "threshold": numString(o.Threshold), "gift": o.Gift, "content": o.Content, "code": o.Code,
		"shared_code": o.SharedCode, "prefix": o.Prefix, "valid_from": day(o.ValidFrom), "valid_until": until,
		"budget_count": numString(float64(o.BudgetCount)), "budget_cost": numString(o.BudgetCost), "unit_cost": numString(o.UnitCost),
		"per_customer": numString(float64(o.PerCustomer)), "segment": o.Segment, "rule": o.Rule, "script": o.Script, "value": numString(o.Value)}
}

// saveOffer checks the form, then saves the offer through the engine,
// whose field errors are shown next to their fields.
func (s *Server) saveOffer(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	f := &offerForm{form: newForm()}
	f.New = r.PostFormValue("new") == "1"
	f.read(r, offerFields...)
	badNum, badDate := t("form.number_invalid"), t("form.date_invalid")
	o := offer.Offer{Name: f.V("name"), Description: f.V("description"), Type: offer.Type(f.V("type")), Gift: f.V("gift"),
		Content: f.V("content"), Code: f.V("code"), SharedCode: f.V("shared_code"), Prefix: f.V("prefix"), Segment: f.V("segment"),
		Rule: f.V("rule"), Script: f.V("script")}
	o.Amount, o.Percent, o.Threshold = f.num("amount", badNum), f.num("percent", badNum), f.num("threshold", badNum)
	o.BudgetCost, o.UnitCost, o.Value = f.num("budget_cost", badNum), f.num("unit_cost", badNum), f.num("value", badNum)
	o.BudgetCount, o.PerCustomer = int64(f.num("budget_count", badNum)), int(f.num("per_customer", badNum))
	o.ValidFrom = f.date("valid_from", badDate)
	if until := f.date("valid_until", badDate); !until.IsZero() {
		o.ValidUntil = until.AddDate(0, 0, 1) // valid through that day
	} else if f.Errors["valid_until"] == "" {
		f.Errors["valid_until"] = t("form.required")
	}
	if !mkName.MatchString(o.Name) {
		f.Errors["name"] = t("form.mk_name_invalid")
	}
	for _, n := range []string{"description", "content", "script", "rule"} {
		if len(f.V(n)) > 8000 {
			f.Errors[n] = t("form.too_long", 8000)
		}
	}
	if f.New && len(f.Errors) == 0 {
		if _, err := s.mk.Offers.Get(o.Name); err == nil {
			f.Errors["name"] = t("form.name_taken")
		}
	}
	if len(f.Errors) == 0 {
		_, err := s.mk.Offers.Save(r.Context(), o, rq.sess.keyID)
		var fe *offer.FieldError
		switch {
		case err == nil:
			http.Redirect(w, r, "/offers/"+o.Name+"?done=offer_saved", http.StatusSeeOther)
			return nil
		case errors.As(err, &fe):
			f.fieldError(fe.Field, fe.Problem, "name")
		case errors.Is(err, offer.ErrInvalid):
			f.Errors["name"] = t("form.save_failed", err.Error())
		default:
			return err
		}
	}
	return s.showOffer(w, r, rq, f, http.StatusUnprocessableEntity)
}

// campaignRow is a line of the campaign list.
type campaignRow struct {
	campaign.Saved
	Status   campaign.Status
	Counting bool // its deliveries are being counted for the first time
}

// campaignsPage lists the campaigns with their state and counts.
func (s *Server) campaignsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	var rows []campaignRow
	for _, c := range s.mk.Campaigns.List() {
		st, counted, err := s.figures.statusOf(r.Context(), c.Name, false)
		if err != nil {
			return err
		}
		rows = append(rows, campaignRow{Saved: c, Status: st, Counting: !counted})
	}
	v := s.view(r, rq, "campaigns.title")
	v.Data = rows
	s.render(w, "campaigns", http.StatusOK, v)
	return nil
}

// campaignFields are the text fields of the campaign form.
var campaignFields = []string{"name", "description", "segment", "rule", "offer", "subject", "body", "script", "start_at", "holdout_percent"}

// campaignForm is the campaign editor's content.
type campaignForm struct {
	*form
	Channels []string
	Segments []segInfo
	Offers   []offer.Saved
}

// campaignEditor shows the form for a new campaign, or a draft to change.
func (s *Server) campaignEditor(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	f := &campaignForm{form: newForm()}
	if name := r.PathValue("name"); name != "" {
		c, err := s.campaign(name)
		if err != nil {
			return err
		}
		f.New = false
		f.Values = map[string]string{"name": c.Name, "description": c.Description, "segment": c.Segment, "rule": c.Rule, "offer": c.Offer,
			"subject": c.Subject, "body": c.Body, "script": c.Script}
		if !c.StartAt.IsZero() {
			f.Values["start_at"] = c.StartAt.UTC().Format("2006-01-02T15:04")
		}
		if c.HoldoutPercent != nil {
			f.Values["holdout_percent"] = strconv.FormatFloat(*c.HoldoutPercent, 'f', -1, 64)
		}
		for _, ch := range c.Channels {
			f.Flags["ch_"+ch] = true
		}
		f.Flags["include_grey"] = c.IncludeGrey
	} else {
		f.Values["segment"] = r.URL.Query().Get("segment")
	}
	return s.showCampaignForm(w, r, rq, f, http.StatusOK)
}

func (s *Server) showCampaignForm(w http.ResponseWriter, r *http.Request, rq *request, f *campaignForm, code int) error {
	f.Channels, f.Offers = campaign.Channels, s.mk.Offers.List()
	if s.in != nil {
		f.Segments = s.in.Segs.List()
	}
	v := s.view(r, rq, "campaigns.new")
	v.Data = f
	s.render(w, "campaign_form", code, v)
	return nil
}

func (s *Server) campaign(name string) (campaign.Saved, error) {
	c, err := s.mk.Campaigns.Get(name)
	if errors.Is(err, campaign.ErrNotFound) {
		return c, errPage(http.StatusNotFound, "error.no_campaign", name)
	}
	return c, err
}

// saveCampaign checks the form and saves the campaign (a draft) through
// the campaign service, whose field errors are shown next to their fields.
func (s *Server) saveCampaign(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	f := &campaignForm{form: newForm()}
	f.New = r.PostFormValue("new") == "1"
	f.read(r, campaignFields...)
	c := campaign.Campaign{Name: f.V("name"), Description: f.V("description"), Segment: f.V("segment"), Rule: f.V("rule"),
		Offer: f.V("offer"), Subject: f.V("subject"), Body: r.PostFormValue("body"), Script: r.PostFormValue("script"),
		IncludeGrey: r.PostFormValue("include_grey") == "1"}
	f.Flags["include_grey"] = c.IncludeGrey
	for _, ch := range campaign.Channels {
		if r.PostFormValue("ch_"+ch) == "1" {
			c.Channels = append(c.Channels, ch)
			f.Flags["ch_"+ch] = true
		}
	}
	if v := f.V("start_at"); v != "" {
		at, err := time.Parse("2006-01-02T15:04", v)
		switch {
		case err != nil:
			f.Errors["start_at"] = t("form.datetime_invalid")
		case !at.After(s.now()):
			f.Errors["start_at"] = t("form.date_past")
		default:
			c.StartAt = at
		}
	}
	if v := f.V("holdout_percent"); v != "" {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p >= 100 {
			f.Errors["holdout_percent"] = t("form.holdout_invalid")
		} else {
			c.HoldoutPercent = &p
		}
	}
	if !mkName.MatchString(c.Name) {
		f.Errors["name"] = t("form.mk_name_invalid")
	}
	if len(c.Channels) == 0 {
		f.Errors["channels"] = t("campaigns.channels_needed")
	}
	if c.Segment == "" && c.Rule == "" {
		f.Errors["segment"] = t("campaigns.audience_needed")
	}
	for _, n := range []string{"description", "rule", "subject", "body", "script"} {
		if len(f.V(n)) > 20000 {
			f.Errors[n] = t("form.too_long", 20000)
		}
	}
	if f.New && len(f.Errors) == 0 {
		if _, err := s.mk.Campaigns.Get(c.Name); err == nil {
			f.Errors["name"] = t("form.name_taken")
		}
	}
	if len(f.Errors) == 0 {
		_, err := s.mk.Campaigns.Save(r.Context(), c, rq.sess.keyID)
		var fe *campaign.FieldError
		switch {
		case err == nil:
			s.previews.warm(c.Name)
			http.Redirect(w, r, "/campaigns/"+c.Name+"?done=campaign_saved", http.StatusSeeOther)
			return nil
		case errors.As(err, &fe):
			f.fieldError(fe.Field, fe.Problem, "name")
		case errors.Is(err, campaign.ErrInvalid), errors.Is(err, campaign.ErrState):
			f.Errors["name"] = t("form.save_failed", err.Error())
		default:
			return err
		}
	}
	return s.showCampaignForm(w, r, rq, f, http.StatusUnprocessableEntity)
}

// campaignView is a campaign's page: its definition, where it stands and
// what its call tasks returned.
type campaignView struct {
	C         campaign.Saved
	Status    campaign.Status
	Calls     map[string]int // call tasks by result ("" open or assigned)
	Preview   *previewView
	PreviewAt time.Time
	ReportAt  time.Time // when the report shown was computed
	Report    bool      // the report page rather than the campaign's page
	// Uplift is the report against the holdout (nil before a launch or when
	// it cannot be computed: UpliftErr says why).
	Uplift    *campaign.Report
	UpliftErr string
}

// Charts returns the figures of the campaign's charts.
func (c *campaignView) Charts() map[string]any {
	m := map[string]any{"deliveries": c.Status.Deliveries, "calls": c.Calls}
	if u := c.Uplift; u != nil && !math.IsNaN(float64(u.Uplift.Low)) && !math.IsNaN(float64(u.Uplift.High)) {
		m["uplift"] = map[string]float64{"value": float64(u.Uplift.Value), "low": float64(u.Uplift.Low), "high": float64(u.Uplift.High),
			"treatment": u.Treatment.ConversionRate, "holdout": u.Holdout.ConversionRate}
	}
	return m
}

// Deliveries lists the delivery counts in a fixed order.
func (c *campaignView) Deliveries() []kv {
	return ordered(c.Status.Deliveries, []string{store.DeliveryPending, "sent", "failed", "dropped"})
}

// CallResults lists the call tasks' results in a fixed order.
func (c *campaignView) CallResults() []kv {
	return ordered(c.Calls, []string{"", store.ContactIntent, store.ContactNotInterested, store.ContactCallBack})
}

type kv struct {
	Key   string
	Count int64
}

func ordered[N int | int64](m map[string]N, order []string) []kv {
	var out []kv
	seen := map[string]bool{}
	for _, k := range order {
		if n, ok := m[k]; ok {
			out = append(out, kv{k, int64(n)})
			seen[k] = true
		}
	}
	for k, n := range m {
		if !seen[k] {
			out = append(out, kv{k, int64(n)})
		}
	}
	return out
}

func (s *Server) campaignData(r *http.Request, name string) (*campaignView, error) {
	c, err := s.campaign(name)
	if err != nil {
		return nil, err
	}
	st, err := s.figures.status(r.Context(), name)
	if err != nil {
		return nil, err
	}
	cv := &campaignView{C: c, Status: st, Calls: map[string]int{}}
	counts, err := s.st.CallTaskCounts(r.Context(), name) // kept by the store: no task is read
	if err != nil {
		return nil, err
	}
	for result, n := range counts.ByResult {
		cv.Calls[result] = int(n)
	}
	return cv, nil
}

// campaignPage shows a campaign and its actions.
func (s *Server) campaignPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	cv, err := s.campaignData(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	if cv.Status.State != "draft" { // the report is likely next: start computing it
		go s.figures.report(context.Background(), cv.C.Name)
	}
	v := s.view(r, rq, "campaigns.campaign")
	v.Data = cv
	s.render(w, "campaign", http.StatusOK, v)
	return nil
}

// campaignReport is the campaign's result: the deliveries, the call
// results and the uplift against the holdout with its interval.
func (s *Server) campaignReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	cv, err := s.campaignData(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	cv.Report = true
	if cv.Status.State != "draft" {
		got, err := s.figures.report(r.Context(), cv.C.Name)
		if err != nil {
			return err
		}
		cv.ReportAt = got.at
		if got.err != nil {
			cv.UpliftErr = got.err.Error()
		} else {
			cv.Uplift = &got.rep
		}
	}
	v := s.view(r, rq, "campaigns.report")
	v.Data = cv
	s.render(w, "campaign", http.StatusOK, v)
	return nil
}

// previewView is a preview with the sample messages masked for the role.
type previewView struct {
	campaign.Preview
	Dropped []kv
}

// campaignPreview shows what a launch would do now, sending nothing.
func (s *Server) campaignPreview(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	cv, err := s.campaignData(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	got, err := s.previews.get(r.Context(), cv.C.Name, cv.C.Version)
	if err != nil {
		return err
	}
	var fe *campaign.FieldError
	if errors.As(got.err, &fe) || errors.Is(got.err, campaign.ErrInvalid) {
		return errPage(http.StatusUnprocessableEntity, "campaigns.preview_failed", got.err.Error())
	}
	if got.err != nil {
		return got.err
	}
	p := got.p
	p.Sample = append([]campaign.Message(nil), p.Sample...) // masked below, per viewer
	cv.PreviewAt = got.at
	if err := s.maskMessages(r, rq.role(), p.Sample); err != nil {
		return err
	}
	cv.Preview = &previewView{Preview: p, Dropped: ordered(p.Dropped, nil)}
	v := s.view(r, rq, "campaigns.preview")
	v.Data = cv
	s.render(w, "campaign", http.StatusOK, v)
	return nil
}

// campaignAction launches, pauses or resumes a campaign, as the API does.
func (s *Server) campaignAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	name := r.PathValue("name")
	if _, err := s.campaign(name); err != nil {
		return err
	}
	var err error
	action := r.PathValue("action")
	switch action {
	case "launch":
		_, err = s.mk.Campaigns.Launch(r.Context(), name)
	case "pause":
		err = s.mk.Campaigns.Pause(r.Context(), name)
	case "resume":
		err = s.mk.Campaigns.Resume(r.Context(), name)
	default:
		return errPage(http.StatusNotFound, "error.not_found")
	}
	if errors.Is(err, campaign.ErrState) || errors.Is(err, campaign.ErrInvalid) {
		return errPage(http.StatusConflict, "campaigns.action_failed", err.Error())
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/campaigns/"+name+"?done=campaign_"+action, http.StatusSeeOther)
	return nil
}
