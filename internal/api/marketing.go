package api

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

var errNoMarketing = errorf(http.StatusServiceUnavailable, "offers and campaigns are not loaded on this server")

// marketingStatus maps the errors of offers, campaigns and channels.
func marketingStatus(err error) (int, string, bool) {
	switch {
	case errors.Is(err, offer.ErrNotFound), errors.Is(err, campaign.ErrNotFound):
		return http.StatusNotFound, err.Error(), true
	case errors.Is(err, offer.ErrInvalid), errors.Is(err, campaign.ErrInvalid), errors.Is(err, contact.ErrInvalid),
		errors.Is(err, call.ErrInvalid):
		return http.StatusBadRequest, err.Error(), true
	case errors.Is(err, campaign.ErrToken):
		return http.StatusForbidden, err.Error(), true
	case errors.Is(err, campaign.ErrState):
		return http.StatusConflict, err.Error(), true
	}
	return 0, "", false
}

// mk adapts a handler that needs the marketing service: 503 without it.
func (s *server) mk(h func(w http.ResponseWriter, r *http.Request, key store.APIKey, m *marketing.Service) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
		if s.marketing == nil {
			return errNoMarketing
		}
		return h(w, r, key, s.marketing)
	}
}

// lookup resolves a customer reference.
func (s *server) lookup(r *http.Request, ref string) (int64, error) {
	id, err := profile.Lookup(r.Context(), s.store, ref)
	if errors.Is(err, store.ErrNotFound) {
		return 0, errorf(http.StatusNotFound, "no customer matches %q", ref)
	}
	return id, err
}

func (s *server) offers(w http.ResponseWriter, _ *http.Request, _ store.APIKey, m *marketing.Service) error {
	writeJSON(w, http.StatusOK, m.Offers.List())
	return nil
}

func (s *server) saveOffer(w http.ResponseWriter, r *http.Request, key store.APIKey, m *marketing.Service) error {
	var o offer.Offer
	if err := decodeBody(r, &o); err != nil {
		return err
	}
	saved, err := m.Offers.Save(r.Context(), o, key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, saved)
	return nil
}

func (s *server) offerOne(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	o, err := m.Offers.Get(r.PathValue("name"))
	if err != nil {
		return err
	}
	use, err := s.store.OfferUse(r.Context(), o.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"offer": o, "issued": use.Count, "cost": use.Cost, "remaining": offer.Remaining(&o.Offer, use)})
	return nil
}

func (s *server) offerWhy(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	id, err := s.lookup(r, r.PathValue("ref"))
	if err != nil {
		return err
	}
	v, err := m.Offers.Why(r.Context(), r.PathValue("name"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) policy(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	writeJSON(w, http.StatusOK, m.Policy())
	return nil
}

// putPolicy replaces the policy table; the body is JSON or YAML.
func (s *server) putPolicy(w http.ResponseWriter, r *http.Request, key store.APIKey, m *marketing.Service) error {
	body, err := readBody(r, maxSmallBody)
	if err != nil {
		return err
	}
	p, err := offer.ParsePolicy(body)
	if err != nil {
		return err
	}
	v, err := m.SetPolicy(r.Context(), p, key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": v, "policy": p})
	return nil
}

func (s *server) contactRules(w http.ResponseWriter, r *http.Request, _ store.APIKey, _ *marketing.Service) error {
	rules, err := marketing.LoadRules(r.Context(), s.store)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rules)
	return nil
}

func (s *server) putContactRules(w http.ResponseWriter, r *http.Request, key store.APIKey, _ *marketing.Service) error {
	var rules contact.Rules
	if err := decodeBody(r, &rules); err != nil {
		return err
	}
	if err := marketing.SaveRules(r.Context(), s.store, rules, key.ID, s.now()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rules, "note": "running dispatchers apply it within 10 s"})
	return nil
}

func (s *server) campaigns(w http.ResponseWriter, _ *http.Request, _ store.APIKey, m *marketing.Service) error {
	writeJSON(w, http.StatusOK, m.Campaigns.List())
	return nil
}

func (s *server) saveCampaign(w http.ResponseWriter, r *http.Request, key store.APIKey, m *marketing.Service) error {
	var c campaign.Campaign
	if err := decodeBody(r, &c); err != nil {
		return err
	}
	saved, err := m.Campaigns.Save(r.Context(), c, key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, saved)
	return nil
}

func (s *server) campaignOne(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	c, err := m.Campaigns.Get(r.PathValue("name"))
	if err != nil {
		return err
	}
	st, err := m.Campaigns.Status(r.Context(), c.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"campaign": c, "status": st})
	return nil
}

func (s *server) previewCampaign(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	sample := 3
	if v := r.URL.Query().Get("sample"); v != "" {
		var err error
		if sample, err = strconv.Atoi(v); err != nil || sample < 0 || sample > 100 {
			return errorf(http.StatusBadRequest, "sample: want 0 to 100, got %q", v)
		}
	}
	p, err := m.Campaigns.Preview(r.Context(), r.PathValue("name"), sample)
	if err != nil {
		return err
	}
	if r.URL.Query().Has("budget") {
		return previewTargeting(w, r, m, p)
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// campaignAction launches, pauses or resumes a campaign.
func (s *server) campaignAction(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	name := r.PathValue("name")
	var err error
	switch a := r.PathValue("action"); a {
	case "launch":
		lo, lerr := launchOptions(r)
		if lerr != nil {
			return lerr
		}
		_, err = m.Campaigns.LaunchWith(r.Context(), name, lo)
	case "pause":
		err = m.Campaigns.Pause(r.Context(), name)
	case "resume":
		err = m.Campaigns.Resume(r.Context(), name)
	default:
		return errorf(http.StatusNotFound, "no campaign action %q; use launch, pause or resume", a)
	}
	if err != nil {
		return err
	}
	st, err := m.Campaigns.Status(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// nextBestOffers is the unified policy view of a customer.
func (s *server) nextBestOffers(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	id, err := s.lookup(r, r.PathValue("ref"))
	if err != nil {
		return err
	}
	v, err := m.NextBestOffers(r.Context(), id, 20, r.URL.Query().Get("refused") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) customerContacts(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	id, err := s.lookup(r, r.PathValue("ref"))
	if err != nil {
		return err
	}
	cs, err := s.store.Contacts(r.Context(), id, time.Time{}, 200)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []store.Contact{}
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

// contactIn is a contact or response reported by a channel or a provider.
type contactIn struct {
	Customer string    `json:"customer"` // a reference: id, e-mail, phone, SOURCE:ID
	Channel  string    `json:"channel"`
	Kind     string    `json:"kind"`
	Campaign string    `json:"campaign"`
	Offer    string    `json:"offer"`
	At       time.Time `json:"at"`
	Detail   string    `json:"detail"`
}

// postContacts records contacts and responses (delivered, opened, clicked,
// converted, bounced, unsubscribed, a store visit...) in the shared history.
func (s *server) postContacts(w http.ResponseWriter, r *http.Request, _ store.APIKey, _ *marketing.Service) error {
	in, err := decodeRecords[contactIn](http.MaxBytesReader(w, r.Body, s.maxBody), isJSONLines(r.Header.Get("Content-Type")), s.maxRecs)
	if err != nil {
		return err
	}
	cs := make([]store.Contact, len(in))
	for i, c := range in {
		id, err := s.lookup(r, c.Customer)
		if err != nil {
			return errorf(http.StatusBadRequest, "record %d: customer: %v", i, err)
		}
		if !slices.Contains(store.ContactKinds, c.Kind) {
			return errorf(http.StatusBadRequest, "record %d: kind %q is not one of %v", i, c.Kind, store.ContactKinds)
		}
		if c.Channel == "" {
			return errorf(http.StatusBadRequest, "record %d: channel: empty", i)
		}
		if c.At.IsZero() {
			c.At = s.now()
		}
		cs[i] = store.Contact{CustomerID: id, Channel: c.Channel, Kind: c.Kind, Campaign: c.Campaign, Step: campaign.DefaultStep,
			Offer: c.Offer, At: c.At.UTC().Truncate(time.Microsecond), Detail: c.Detail}
	}
	err = s.store.UpdateMarketing(r.Context(), func(tx store.MarketingTx) error { return contact.Record(r.Context(), tx, cs) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"recorded": len(cs)})
	return nil
}

func (s *server) calls(w http.ResponseWriter, r *http.Request, _ store.APIKey, _ *marketing.Service) error {
	q := r.URL.Query()
	if q.Has("limit") {
		return s.callPage(w, r)
	}
	if q.Has("after") || q.Has("assignee") {
		return errorf(http.StatusBadRequest, "after and assignee page the call tasks: give a limit (1 to %d) too", maxCallLimit)
	}
	ts, err := call.List(r.Context(), s.store, q.Get("campaign"), q.Get("state"))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []store.CallTask{}
	}
	writeJSON(w, http.StatusOK, ts)
	return nil
}

func (s *server) callAction(w http.ResponseWriter, r *http.Request, key store.APIKey, _ *marketing.Service) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errorf(http.StatusBadRequest, "call task id %q is not a number", r.PathValue("id"))
	}
	agent := key.Role == store.RoleAgent
	var t store.CallTask
	switch a := r.PathValue("action"); a {
	case "assign":
		var body struct {
			Assignee string `json:"assignee"`
		}
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if agent { // an agent takes tasks for themselves only
			if body.Assignee != "" && body.Assignee != key.ID {
				return errorf(http.StatusForbidden, "a key with role agent may assign call tasks to itself only (assignee %q or empty)", key.ID)
			}
			body.Assignee = key.ID
		}
		t, err = call.Assign(r.Context(), s.store, id, body.Assignee, s.now())
	case "result":
		var body struct {
			Result     string    `json:"result"`
			CallbackAt time.Time `json:"callback_at"`
			Note       string    `json:"note"`
		}
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if agent { // an agent records the results of the tasks they hold
			held, err := s.store.CallTask(r.Context(), id)
			if err != nil {
				return err
			}
			if held.Assignee != key.ID {
				return errorf(http.StatusForbidden, "call task %d is not assigned to this key: assign it first", id)
			}
		}
		t, err = call.Capture(r.Context(), s.store, id, body.Result, body.CallbackAt, body.Note, s.now())
	default:
		return errorf(http.StatusNotFound, "no call action %q; use assign or result", a)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// unsubscribePage answers a click on the link with a confirmation form
// (a link scanner's GET must not unsubscribe anyone).
func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	tok := r.URL.Query().Get("t")
	if _, _, _, err := m.Campaigns.ParseToken(tok); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, `<!doctype html><meta charset="utf-8"><title>Unsubscribe</title>
<form method="post" action="%s?t=%s"><p>Stop these messages?</p><button name="List-Unsubscribe" value="One-Click">Unsubscribe</button></form>`,
		campaign.UnsubscribePath, html.EscapeString(tok))
	return nil
}

// unsubscribe is the one-click endpoint (RFC 8058): POST with the signed token.
func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request, _ store.APIKey, m *marketing.Service) error {
	if _, _, err := m.Campaigns.Unsubscribe(r.Context(), r.URL.Query().Get("t")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "unsubscribed"})
	return nil
}
