package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// admissionForm is the add-entry and rule-list forms of the admission page.
type admissionForm struct {
	List, Customer, Reason, Expires string
	RuleName, RuleList, Rule        string
	RuleReason                      string
	Errors                          map[string]string
	RuleProblem                     *ruleProblem
}

type admissionData struct {
	List    string
	Lists   []string
	Counts  map[string]int
	Entries []store.AdmissionEntry
	Pager   cursor
	Rules   []admission.RuleList
	Form    admissionForm
}

// admissionPage shows one list's entries by customer id, a page at a time,
// the rule-based lists and the forms to add to them.
func (s *Server) admissionPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.showAdmission(w, r, rq, admissionForm{List: store.ListBlack, RuleList: store.ListGrey}, http.StatusOK)
}

func (s *Server) showAdmission(w http.ResponseWriter, r *http.Request, rq *request, f admissionForm, code int) error {
	if s.in == nil {
		return errNoInsight
	}
	list := r.URL.Query().Get("list")
	if !slices.Contains(admission.Lists, list) {
		list = store.ListBlack
	}
	d := admissionData{List: list, Lists: admission.Lists, Counts: map[string]int{}, Rules: s.in.Lists.Rules(), Form: f}
	for _, l := range admission.Lists {
		d.Counts[l] = s.in.Lists.Count(l)
	}
	d.Entries, d.Pager = s.admissionEntries(r, list)
	if d.Form.Errors == nil {
		d.Form.Errors = map[string]string{}
	}
	v := s.view(r, rq, "admission.title")
	v.Data = &d
	s.render(w, "admission", code, v)
	return nil
}

// addAdmission puts one customer on a list.
func (s *Server) addAdmission(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := admissionForm{List: r.PostFormValue("list"), Customer: strings.TrimSpace(r.PostFormValue("customer")),
		Reason: strings.TrimSpace(r.PostFormValue("reason")), Expires: r.PostFormValue("expires"), RuleList: store.ListGrey,
		Errors: map[string]string{}}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	if !slices.Contains(admission.Lists, f.List) {
		f.Errors["list"] = t("admission.list_invalid")
	}
	if f.Reason == "" {
		f.Errors["reason"] = t("form.required")
	} else if len(f.Reason) > 500 {
		f.Errors["reason"] = t("form.too_long", 500)
	}
	var expires time.Time
	if f.Expires != "" {
		var err error
		if expires, err = time.Parse(time.DateOnly, f.Expires); err != nil {
			f.Errors["expires"] = t("form.date_invalid")
		} else if !expires.After(s.now()) {
			f.Errors["expires"] = t("form.date_past")
		}
	}
	var id int64
	if f.Customer == "" {
		f.Errors["customer"] = t("form.required")
	} else {
		var err error
		id, err = profile.Lookup(r.Context(), s.st, f.Customer)
		switch {
		case errors.Is(err, store.ErrNotFound):
			f.Errors["customer"] = t("customers.not_found")
		case errors.Is(err, profile.ErrBadRef):
			f.Errors["customer"] = t("customers.bad_ref")
		case err != nil:
			return err
		}
	}
	if len(f.Errors) > 0 {
		return s.showAdmission(w, r, rq, f, http.StatusUnprocessableEntity)
	}
	err := s.in.AddAdmission(r.Context(), []store.AdmissionEntry{{List: f.List, CustomerID: id, Reason: f.Reason,
		Source: "console:" + rq.sess.keyID, AddedAt: s.now().UTC(), ExpiresAt: expires}})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admission?list="+f.List+"&done=admission_added", http.StatusSeeOther)
	return nil
}

func (s *Server) removeAdmission(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	list := r.PostFormValue("list")
	id, err := strconv.ParseInt(r.PostFormValue("customer"), 10, 64)
	if !slices.Contains(admission.Lists, list) || err != nil {
		return errPage(http.StatusBadRequest, "admission.list_invalid")
	}
	if err := s.in.RemoveAdmission(r.Context(), list, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	http.Redirect(w, r, "/admission?list="+list+"&done=admission_removed", http.StatusSeeOther)
	return nil
}

// saveAdmissionRule stores and runs a rule-based list.
func (s *Server) saveAdmissionRule(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := admissionForm{List: store.ListBlack, RuleName: strings.TrimSpace(r.PostFormValue("name")), RuleList: r.PostFormValue("list"),
		Rule: r.PostFormValue("rule"), RuleReason: strings.TrimSpace(r.PostFormValue("reason")), Errors: map[string]string{}}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	if !nameRE.MatchString(f.RuleName) {
		f.Errors["rule_name"] = t("form.name_invalid")
	}
	if !slices.Contains(admission.Lists, f.RuleList) {
		f.Errors["rule_list"] = t("admission.list_invalid")
	}
	if strings.TrimSpace(f.Rule) == "" {
		f.Errors["rule"] = t("rule.empty")
	}
	if f.RuleReason == "" {
		f.Errors["rule_reason"] = t("form.required")
	}
	if len(f.Errors) == 0 {
		_, err := s.in.ApplyAdmissionRule(r.Context(), admission.RuleList{Name: f.RuleName, List: f.RuleList, Rule: f.Rule, Reason: f.RuleReason}, rq.sess.keyID)
		if err == nil {
			http.Redirect(w, r, "/admission?list="+f.RuleList+"&done=admission_rule_saved", http.StatusSeeOther)
			return nil
		}
		if p, ok := problemOf(f.Rule, err); ok {
			f.RuleProblem = &p
			f.Errors["rule"] = p.Message
		} else {
			f.Errors["rule_name"] = t("form.save_failed", err.Error())
		}
	}
	return s.showAdmission(w, r, rq, f, http.StatusUnprocessableEntity)
}

// cursor is the position in a list paged by customer id: links to the
// pages before and after ("" at the ends).
type cursor struct {
	Prev, Next string
}

// admissionEntries reads one page of a list from the engine, which keeps
// it sorted by customer id: ?after=id starts the page after that customer,
// so a page costs the same at the end of a list of millions as at its start.
func (s *Server) admissionEntries(r *http.Request, list string) ([]store.AdmissionEntry, cursor) {
	after, _ := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
	after = max(after, 0)
	page, next := s.in.Lists.Page(list, after, pageSize)
	link := func(after int64) string {
		q := url.Values{"list": {list}}
		if after > 0 {
			q.Set("after", strconv.FormatInt(after, 10))
		}
		return "/admission?" + q.Encode()
	}
	var c cursor
	if next != 0 {
		c.Next = link(next)
	}
	if after > 0 {
		first := after + 1
		if len(page) > 0 {
			first = page[0].CustomerID
		}
		if prev, ok := s.in.Lists.PageBefore(list, first, pageSize); ok {
			c.Prev = link(prev)
		}
	}
	return page, c
}
