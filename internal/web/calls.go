package web

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
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
	Mine       []callRow // the agent's tasks not done: the first mineSize in queue order
	MoreMine   bool      // the agent holds more than mineSize
	Open       []callRow // one page of open tasks in queue order
	Counts     store.CallCounts
	Prev, Next string // addresses of the neighbour pages of open tasks ("": none)
	Campaign   string
	Campaigns  []string
}

// OpenTotal is the number of open tasks (of the campaign, or all).
func (cv *callsView) OpenTotal() int64 { return cv.Counts.ByState[store.CallOpen] }

// Done is the number of tasks with a final result.
func (cv *callsView) Done() int64 { return cv.Counts.ByState[store.CallDone] }

// queueSize is the number of open tasks a page of the queue shows.
const queueSize = 50

// mineSize bounds the agent's own tasks the queue shows (of each state:
// taken, and call backs open again).
const mineSize = 100

// callsPage is the outbound agent's queue: their tasks first, then a page of
// open tasks to take in queue order (due call backs, new tasks, later call
// backs), with the counts. It reads a bounded number of tasks however many
// the campaign has: the pages are keyset pages of the store
// (store.CallTaskPage), the counts are kept by the store.
func (s *Server) callsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	query := r.URL.Query()
	cv := &callsView{Campaign: query.Get("campaign")}
	for _, c := range s.mk.Campaigns.List() {
		if slices.Contains(c.Channels, campaign.Call) {
			cv.Campaigns = append(cv.Campaigns, c.Name)
		}
	}
	now := s.now()
	// the queue's order splits call backs at a time; paging keeps that time
	// (at) so that a page boundary does not move while the agent pages
	order := now
	after, errA := parseCallCursor(query.Get("after"))
	before, errB := parseCallCursor(query.Get("before"))
	if v := query.Get("at"); v != "" {
		us, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errA = err
		}
		order = time.UnixMicro(us).UTC()
	}
	if errA != nil || errB != nil || (!after.IsZero() && !before.IsZero()) {
		return errPage(http.StatusBadRequest, "calls.bad_page")
	}
	me := rq.sess.keyID
	row := func(t store.CallTask) callRow {
		return callRow{CallTask: t, Mine: t.Assignee == me, Due: t.CallbackAt.IsZero() || !t.CallbackAt.After(now)}
	}
	for _, state := range []string{store.CallAssigned, store.CallOpen} {
		mine, err := s.st.CallTaskPage(r.Context(), store.CallPage{Campaign: cv.Campaign, State: state, Assignee: me, Now: now, Limit: mineSize + 1})
		if err != nil {
			return err
		}
		if len(mine) > mineSize {
			mine, cv.MoreMine = mine[:mineSize], true
		}
		for _, t := range mine {
			cv.Mine = append(cv.Mine, row(t))
		}
	}
	slices.SortStableFunc(cv.Mine, func(a, b callRow) int {
		if store.CallLess(a.Cursor(), b.Cursor(), now) {
			return -1
		}
		if store.CallLess(b.Cursor(), a.Cursor(), now) {
			return 1
		}
		return 0
	})
	// one page more than shown tells whether there is a next (or previous) page
	open, err := s.st.CallTaskPage(r.Context(), store.CallPage{Campaign: cv.Campaign, State: store.CallOpen, Now: order,
		After: after, Before: before, Limit: queueSize + 1})
	if err != nil {
		return err
	}
	hasPrev, hasNext := !after.IsZero(), !before.IsZero()
	if len(open) > queueSize {
		if before.IsZero() {
			open, hasNext = open[:queueSize], true
		} else {
			open, hasPrev = open[1:], true
		}
	}
	for _, t := range open {
		cv.Open = append(cv.Open, row(t))
	}
	page := func(dir string, c store.CallCursor) string {
		v := url.Values{dir: {formatCallCursor(c)}, "at": {strconv.FormatInt(order.UnixMicro(), 10)}}
		if cv.Campaign != "" {
			v.Set("campaign", cv.Campaign)
		}
		return "/calls?" + v.Encode()
	}
	if len(open) > 0 {
		if hasPrev {
			cv.Prev = page("before", open[0].Cursor())
		}
		if hasNext {
			cv.Next = page("after", open[len(open)-1].Cursor())
		}
	}
	if cv.Counts, err = s.st.CallTaskCounts(r.Context(), cv.Campaign); err != nil {
		return err
	}
	v := s.view(r, rq, "calls.title")
	v.Data = cv
	s.render(w, "calls", http.StatusOK, v)
	return nil
}

// formatCallCursor writes a task's place in the queue as "CALLBACK.ID"
// (the call-back time in unix microseconds, 0 for none).
func formatCallCursor(c store.CallCursor) string {
	var cb int64
	if !c.CallbackAt.IsZero() {
		cb = c.CallbackAt.UnixMicro()
	}
	return strconv.FormatInt(cb, 10) + "." + strconv.FormatInt(c.ID, 10)
}

// parseCallCursor reads formatCallCursor's form; "" is no cursor.
func parseCallCursor(v string) (store.CallCursor, error) {
	if v == "" {
		return store.CallCursor{}, nil
	}
	a, b, ok := strings.Cut(v, ".")
	cb, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || cb < 0 || id <= 0 {
		return store.CallCursor{}, errors.New("bad cursor")
	}
	c := store.CallCursor{ID: id}
	if cb != 0 {
		c.CallbackAt = time.UnixMicro(cb).UTC()
	}
	return c, nil
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
	// The customer's phone number: unmasked for the one who holds the task
	// (Holder), with Dial its tel: link; masked for everyone else but
	// admin; empty when the customer may not be called (NoCall says why).
	Holder bool
	Phone  string
	Dial   template.URL
	NoCall string
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
	if err := s.callPhone(r, rq, cv); err != nil {
		return err
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

// callPhone fills the task page's phone number by need to know: the agent
// who holds the task (its assignee, the task not done) sees the number to
// dial, with a tel: link for their softphone; everyone else sees it masked
// (admin unmasked, as everywhere). A customer who may not be called now —
// opted out of calls, suppressed or on the black list since the task was
// made — has no number on the page, whoever looks. Every unmasked number
// shown is logged, without the number.
func (s *Server) callPhone(r *http.Request, rq *request, cv *callView) error {
	t := cv.T
	cv.Holder = t.Assignee == rq.sess.keyID && t.State != store.CallDone
	vs, err := s.mk.Campaigns.Guard().Check(r.Context(), s.st, campaign.Call, []int64{t.CustomerID}, s.now(), true)
	if err != nil {
		return err
	}
	if len(vs) == 1 && vs[0].Reason != "" {
		cv.NoCall = vs[0].Reason
		return nil
	}
	phones, err := s.st.AddressesOf(r.Context(), store.KindPhone, []int64{t.CustomerID})
	if err != nil {
		return err
	}
	phone := phones[t.CustomerID]
	switch {
	case phone == "":
	case cv.Holder:
		cv.Phone = phone
		if d := dialable(phone); d != "" {
			cv.Dial = template.URL("tel:" + d) // digits and a leading + only
		}
	default:
		cv.Phone = maskFor(rq.role(), store.KindPhone, phone)
	}
	if phone != "" && cv.Phone == phone {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "call task phone shown", slog.String("key_id", rq.sess.keyID),
			slog.Int64("task_id", t.ID), slog.Int64("customer_id", t.CustomerID), slog.Bool("holder", cv.Holder))
	}
	return nil
}

// dialable keeps the digits of a phone number and a leading +, the form
// of a tel: URI (RFC 3966) a softphone dials; "" when too short to be one.
func dialable(phone string) string {
	var b strings.Builder
	for _, c := range strings.TrimSpace(phone) {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == '+' && b.Len() == 0:
			b.WriteRune(c)
		}
	}
	if d := b.String(); len(strings.TrimPrefix(d, "+")) >= 3 {
		return d
	}
	return ""
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
// interested, or call back at a time. Only the one who holds the task may:
// take it first.
func (s *Server) callResult(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.marketingOn(); err != nil {
		return err
	}
	t, err := s.callTask(r)
	if err != nil {
		return err
	}
	if t.State != store.CallDone && t.Assignee != rq.sess.keyID {
		if t.Assignee == "" {
			return errPage(http.StatusForbidden, "calls.take_first")
		}
		return errPage(http.StatusForbidden, "calls.someone_else")
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
