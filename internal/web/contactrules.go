package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// The contact rules are the shop's frequency caps, quiet hours and the
// channels where no opt-in is needed: one set for every campaign, read by
// the dispatchers at send time (marketing.LoadRules). Every role sees them
// (a marketer planning a campaign needs to know the caps); only an admin
// changes them, as with PUT /v1/contact-rules.

// capRows is how many cap rows the form offers beyond the stored ones.
const capRows = 2

// maxCaps bounds the caps a form may carry.
const maxCaps = 20

// channelName is what a cap may name besides "*": the known channels, or
// another one the API stored (consent channels are open-ended).
var channelName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// capRow is a row of the caps table in the form.
type capRow struct {
	I                    int
	Channel, Max, Window string
}

// rulesView is the contact rules page.
type rulesView struct {
	*form
	Rules    contact.Rules
	Caps     []capRow
	Channels []string // what a cap or opt-out-only entry may name
	OptOut   map[string]bool
	History  []store.Definition // newest first
	CanWrite bool
}

// ruleChannels are the channels a rule may name: the campaign channels and
// the store (a shop assistant's contact is a contact too).
var ruleChannels = append(slices.Clone(campaign.Channels), "store")

func (s *Server) contactRulesPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	rules, err := marketing.LoadRules(r.Context(), s.st)
	if err != nil {
		return err
	}
	rv := &rulesView{form: newForm(), Rules: rules}
	rv.New = false
	for i, c := range rules.Caps {
		rv.Caps = append(rv.Caps, capRow{I: i, Channel: c.Channel, Max: strconv.Itoa(c.Max), Window: windowText(time.Duration(c.Window))})
	}
	rv.Values["quiet_start"], rv.Values["quiet_end"] = rules.QuietStart, rules.QuietEnd
	rv.OptOut = map[string]bool{}
	for _, ch := range rules.OptOutOnly {
		rv.OptOut[ch] = true
	}
	return s.showContactRules(w, r, rq, rv, http.StatusOK)
}

func (s *Server) showContactRules(w http.ResponseWriter, r *http.Request, rq *request, rv *rulesView, code int) error {
	for len(rv.Caps) < maxCaps && len(rv.Caps) < len(rv.Rules.Caps)+capRows {
		rv.Caps = append(rv.Caps, capRow{I: len(rv.Caps)})
	}
	rv.Channels = ruleChannels
	rv.CanWrite = write.allows(rq.role())
	h, err := s.st.DefinitionHistory(r.Context(), marketing.RulesKind, "default")
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for i := len(h) - 1; i >= 0 && len(rv.History) < 10; i-- {
		rv.History = append(rv.History, h[i])
	}
	v := s.view(r, rq, "rules.title")
	v.Data = rv
	s.render(w, "contact_rules", code, v)
	return nil
}

// saveContactRules replaces the contact rules with the form's; every
// mistake is shown at its field and nothing is stored until all are fixed.
func (s *Server) saveContactRules(w http.ResponseWriter, r *http.Request, rq *request) error {
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	rv := &rulesView{form: newForm(), OptOut: map[string]bool{}}
	rv.New = false
	rv.read(r, "quiet_start", "quiet_end")
	var rules contact.Rules
	for i := 0; i < maxCaps; i++ {
		row := capRow{I: i}
		p := fmt.Sprintf("cap_%d_", i)
		row.Channel, row.Max, row.Window = r.PostFormValue(p+"channel"), strings.TrimSpace(r.PostFormValue(p+"max")), strings.TrimSpace(r.PostFormValue(p+"window"))
		if row.Channel == "" && row.Max == "" && row.Window == "" {
			continue // an empty row
		}
		row.I = len(rv.Caps)
		p = fmt.Sprintf("cap_%d_", row.I)
		rv.Caps = append(rv.Caps, row)
		c := contact.Cap{Channel: row.Channel}
		if row.Channel != "*" && !channelName.MatchString(row.Channel) {
			rv.Errors[p+"channel"] = t("rules.channel_invalid")
		}
		if n, err := strconv.Atoi(row.Max); err != nil || n < 0 || n > 1000 {
			rv.Errors[p+"max"] = t("rules.max_invalid")
		} else {
			c.Max = n
		}
		var d contact.Duration
		if err := d.UnmarshalText([]byte(row.Window)); err != nil || d <= 0 || time.Duration(d) > 366*24*time.Hour {
			rv.Errors[p+"window"] = t("rules.window_invalid")
		} else {
			c.Window = d
		}
		rules.Caps = append(rules.Caps, c)
	}
	rules.QuietStart, rules.QuietEnd = rv.V("quiet_start"), rv.V("quiet_end")
	for _, n := range []string{"quiet_start", "quiet_end"} {
		if v := rv.V(n); v != "" {
			if _, err := time.Parse("15:04", v); err != nil || len(v) != 5 {
				rv.Errors[n] = t("rules.clock_invalid")
			}
		}
	}
	if (rules.QuietStart == "") != (rules.QuietEnd == "") {
		rv.Errors["quiet_end"] = t("rules.quiet_both")
	}
	for _, ch := range ruleChannels {
		if r.PostFormValue("optout_"+ch) == "1" {
			rules.OptOutOnly = append(rules.OptOutOnly, ch)
			rv.OptOut[ch] = true
		}
	}
	rv.Rules = rules
	if len(rv.Errors) == 0 {
		err := marketing.SaveRules(r.Context(), s.st, rules, rq.sess.keyID, s.now())
		switch {
		case err == nil:
			http.Redirect(w, r, "/contact-rules?done=rules_saved", http.StatusSeeOther)
			return nil
		case errors.Is(err, contact.ErrInvalid):
			rv.Errors["rules"] = t("form.save_failed", err.Error())
		default:
			return err
		}
	}
	return s.showContactRules(w, r, rq, rv, http.StatusUnprocessableEntity)
}

// windowText writes a cap's window in days when it is whole days.
func windowText(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
