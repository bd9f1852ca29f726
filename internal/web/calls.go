package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// callTasks lists the call tasks of a campaign ("": all) in a state ("": all).
func (s *Server) callTasks(r *http.Request, campaignName, state string) ([]store.CallTask, error) {
	return call.List(r.Context(), s.st, campaignName, state)
}

// maskMessages masks the personal data in sample messages for a role: the
// address, and the customer's personal values wherever a template put them.
func (s *Server) maskMessages(r *http.Request, role string, msgs []campaign.Message) error {
	if seesPII(role) {
		return nil
	}
	for i := range msgs {
		m := &msgs[i]
		kind := "phone"
		if m.Channel == campaign.Email {
			kind = "email"
		}
		m.To = maskFor(role, kind, m.To)
		p, err := profile.Build(r.Context(), s.st, m.CustomerID, timeZero)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		m.Subject, m.Body, m.Script = maskIn(p, role, m.Subject), maskIn(p, role, m.Body), maskIn(p, role, m.Script)
	}
	return nil
}

// maskIn replaces a customer's personal values in a rendered text.
func maskIn(p profile.Profile, role, text string) string {
	if text == "" {
		return text
	}
	var pairs []string
	for _, a := range p.Attributes {
		if isPII(a.Name) && len(a.Value) >= 2 {
			pairs = append(pairs, a.Value, maskFor(role, a.Name, a.Value))
		}
	}
	for _, id := range p.Identities {
		if isPII(id.Kind) && len(id.Value) >= 2 {
			pairs = append(pairs, id.Value, maskFor(role, id.Kind, id.Value))
		}
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// callRow is a line of the agent's queue.
type callRow struct {
	store.CallTask
	Mine bool
	Due  bool // a call back whose time has come, or a task without one
}

// callsView is the workbench's queue.
type callsView struct {
	Mine, Open []callRow
	OpenTotal  int // open tasks in all; the first queueSize are shown
	Done       int
	Campaign   string
	Campaigns  []string
}

// queueSize bounds the open tasks the queue shows.
const queueSize = 50

// callsPage is the outbound agent's queue: their tasks first, then open
// tasks to take, call backs by their time.
func (s *Server) callsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	cv := &callsView{Campaign: r.URL.Query().Get("campaign")}
	for _, c := range s.mk.Campaigns.List() {
		if slices.Contains(c.Channels, campaign.Call) {
			cv.Campaigns = append(cv.Campaigns, c.Name)
		}
	}
	tasks, err := s.callTasks(r, cv.Campaign, "")
	if err != nil {
		return err
	}
	now := s.now()
	me := rq.sess.keyID
	for _, t := range tasks {
		row := callRow{CallTask: t, Mine: t.Assignee == me, Due: t.CallbackAt.IsZero() || !t.CallbackAt.After(now)}
		switch {
		case t.State == store.CallDone:
			cv.Done++
		case row.Mine:
			cv.Mine = append(cv.Mine, row)
		case t.State == store.CallOpen:
			cv.OpenTotal++
			if len(cv.Open) < queueSize {
				cv.Open = append(cv.Open, row)
			}
		}
	}
	v := s.view(r, rq, "calls.title")
	v.Data = cv
	s.render(w, "calls", http.StatusOK, v)
	return nil
}

// callView is one call task with what the agent needs to make the call.
type callView struct {
	T        store.CallTask
	Mine     bool
	P        profile.Profile
	Offer    *offer.Saved
	Summary  string
	Contacts []store.Contact
	Results  []string
	Errors   map[string]string
	Note     string
	Callback string
}

func (s *Server) callTask(r *http.Request) (store.CallTask, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return store.CallTask{}, errPage(http.StatusNotFound, "error.no_call", r.PathValue("id"))
	}
	t, err := s.st.CallTask(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return t, errPage(http.StatusNotFound, "error.no_call", r.PathValue("id"))
	}
	return t, err
}

// callPage shows a task: the customer (masked by role), the script, the
// offer, their recent contacts and the result buttons.
func (s *Server) callPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t, err := s.callTask(r)
	if err != nil {
		return err
	}
	return s.showCall(w, r, rq, &callView{T: t, Errors: map[string]string{}}, http.StatusOK)
}

func (s *Server) showCall(w http.ResponseWriter, r *http.Request, rq *request, cv *callView, code int) error {
	cv.Mine, cv.Results = cv.T.Assignee == rq.sess.keyID, call.Results
	p, err := profile.Build(r.Context(), s.st, cv.T.CustomerID, timeZero)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !seesPII(rq.role()) { // the script was rendered with the customer's name
		cv.T.Script = maskIn(p, rq.role(), cv.T.Script)
	}
	maskProfile(&p, rq.role())
	cv.P = p
	if cv.T.Offer != "" {
		if o, err := s.mk.Offers.Get(cv.T.Offer); err == nil {
			cv.Offer, cv.Summary = &o, o.Summary()
		}
	}
	if cv.Contacts, err = s.st.Contacts(r.Context(), cv.T.CustomerID, time.Time{}, 10); err != nil {
		return err
	}
	v := s.view(r, rq, "calls.task")
	v.Data = cv
	s.render(w, "call", code, v)
	return nil
}

// takeCall assigns an open task to the agent.
func (s *Server) takeCall(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t, err := s.callTask(r)
	if err != nil {
		return err
	}
	if t.Assignee != "" && t.Assignee != rq.sess.keyID && t.State != store.CallOpen {
		return errPage(http.StatusConflict, "calls.taken")
	}
	if _, err := call.Assign(r.Context(), s.st, t.ID, rq.sess.keyID, s.now()); err != nil {
		if errors.Is(err, call.ErrInvalid) {
			return errPage(http.StatusConflict, "calls.action_failed", err.Error())
		}
		return err
	}
	http.Redirect(w, r, "/calls/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
	return nil
}

// callResult records the outcome of a call in one click: intent, not
// interested, or call back at a time.
func (s *Server) callResult(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t, err := s.callTask(r)
	if err != nil {
		return err
	}
	cv := &callView{T: t, Errors: map[string]string{}, Note: strings.TrimSpace(r.PostFormValue("note")),
		Callback: strings.TrimSpace(r.PostFormValue("callback_at"))}
	tr := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	result := r.PostFormValue("result")
	var at time.Time
	switch {
	case !slices.Contains(call.Results, result):
		cv.Errors["result"] = tr("calls.result_invalid")
	case t.State == store.CallDone:
		cv.Errors["result"] = tr("calls.done_already")
	case result == store.ContactCallBack:
		if at, err = time.Parse("2006-01-02T15:04", cv.Callback); err != nil {
			cv.Errors["callback_at"] = tr("form.datetime_invalid")
		} else if !at.After(s.now()) {
			cv.Errors["callback_at"] = tr("form.date_past")
		}
	}
	if len(cv.Note) > 2000 {
		cv.Errors["note"] = tr("form.too_long", 2000)
	}
	if len(cv.Errors) == 0 {
		_, err := call.Capture(r.Context(), s.st, t.ID, result, at, cv.Note, s.now())
		if err == nil {
			http.Redirect(w, r, "/calls?done=call_"+result, http.StatusSeeOther)
			return nil
		}
		if !errors.Is(err, call.ErrInvalid) {
			return err
		}
		cv.Errors["result"] = tr("form.save_failed", err.Error())
	}
	return s.showCall(w, r, rq, cv, http.StatusUnprocessableEntity)
}
