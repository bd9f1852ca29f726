package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestContactRulesForm: every role reads the caps, only an admin changes
// them; each mistake shows next to its field and stores nothing; a good form
// becomes the rules the dispatchers load.
func TestContactRulesForm(t *testing.T) {
	s, srv := server(t)
	ctx := context.Background()
	// the shop is shared by the package's tests: put its rules back
	orig, err := marketing.LoadRules(ctx, s.st)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := marketing.SaveRules(context.Background(), s.st, orig, "test", time.Now()); err != nil {
			t.Error(err)
		}
	})
	op := loggedIn(t, srv, s, store.RoleOperator)
	code, body := op.get("/contact-rules")
	if code != 200 || strings.Contains(body, `id="rules-form"`) || !strings.Contains(body, "all channels together") ||
		!strings.Contains(body, "21:00 – 08:00") || !strings.Contains(body, "Only an admin") {
		t.Fatalf("operator GET /contact-rules: %d, form shown %v", code, strings.Contains(body, `id="rules-form"`))
	}
	if code, _, _ := op.post("/contact-rules", url.Values{"cap_0_channel": {"*"}, "cap_0_max": {"100"}, "cap_0_window": {"1d"}}); code != http.StatusForbidden {
		t.Errorf("operator POST /contact-rules: %d, want 403", code)
	}

	admin := loggedIn(t, srv, s, store.RoleAdmin)
	if code, body := admin.get("/contact-rules"); code != 200 || !strings.Contains(body, `id="rules-form"`) ||
		!strings.Contains(body, `name="cap_0_window" id="cap_0_window" type="text" placeholder="7d" value="7d"`) {
		t.Fatalf("admin GET /contact-rules: %d, no form with the stored 7d cap", code)
	}
	good := url.Values{"cap_0_channel": {"*"}, "cap_0_max": {"2"}, "cap_0_window": {"7d"},
		"cap_1_channel": {""}, "cap_1_max": {""}, "cap_1_window": {""}, // an empty row is dropped
		"cap_2_channel": {"sms"}, "cap_2_max": {"1"}, "cap_2_window": {"48h"},
		"quiet_start": {"22:00"}, "quiet_end": {"07:30"}, "optout_email": {"1"}}
	tests := []formCase{
		// rows are renumbered without the empty one: the sms cap is row 1
		{"max not a number", with(good, "cap_2_max", "two"), "cap_1_max", "A whole number"},
		{"negative max", with(good, "cap_0_max", "-1"), "cap_0_max", "A whole number"},
		{"bad window", with(good, "cap_0_window", "a week"), "cap_0_window", "A duration such as"},
		{"zero window", with(good, "cap_0_window", "0h"), "cap_0_window", "A duration such as"},
		{"no channel", with(good, "cap_0_channel", ""), "cap_0_channel", "Choose a channel"},
		{"odd channel", with(good, "cap_0_channel", `<b>x</b>`), "cap_0_channel", "Choose a channel"},
		{"bad clock", with(good, "quiet_start", "25:00"), "quiet_start", "A time of day"},
		{"one end only", with(good, "quiet_end", ""), "quiet_end", "Set both ends"},
	}
	for _, body := range postFormCases(t, admin, "/contact-rules", tests) {
		if strings.Contains(body, "<b>x</b>") {
			t.Error("a posted channel reached the page unescaped")
		}
	}
	if rules, err := marketing.LoadRules(ctx, s.st); err != nil || len(rules.Caps) != len(orig.Caps) || rules.Caps[0] != orig.Caps[0] {
		t.Fatalf("a refused form changed the rules: %+v, %v", rules, err)
	}
	code, _, h := admin.post("/contact-rules", good)
	if code != http.StatusSeeOther || h.Get("Location") != "/contact-rules?done=rules_saved" {
		t.Fatalf("POST good rules: %d %s", code, h.Get("Location"))
	}
	rules, err := marketing.LoadRules(ctx, s.st)
	want := contact.Rules{Caps: []contact.Cap{{Channel: "*", Max: 2, Window: contact.Duration(7 * 24 * time.Hour)},
		{Channel: "sms", Max: 1, Window: contact.Duration(48 * time.Hour)}}, QuietStart: "22:00", QuietEnd: "07:30", OptOutOnly: []string{"email"}}
	if err != nil || len(rules.Caps) != 2 || rules.Caps[0] != want.Caps[0] || rules.Caps[1] != want.Caps[1] ||
		rules.QuietStart != want.QuietStart || rules.QuietEnd != want.QuietEnd || strings.Join(rules.OptOutOnly, ",") != "email" {
		t.Fatalf("stored rules %+v (%v), want %+v", rules, err, want)
	}
	code, body = op.get("/contact-rules?done=rules_saved")
	if code != 200 || !strings.Contains(body, "22:00 – 07:30") || !strings.Contains(body, "<td>2d</td>") || !strings.Contains(body, "Contact rules saved") {
		t.Errorf("operator reads the new rules: %d", code)
	}
	if !strings.Contains(body, `<td>v2</td>`) || !strings.Contains(body, `<td>v1</td>`) {
		t.Error("the history does not show versions 1 and 2")
	}
	// removing every cap is allowed and shown as such
	code, _, _ = admin.post("/contact-rules", url.Values{"quiet_start": {""}, "quiet_end": {""}})
	if rules, _ := marketing.LoadRules(ctx, s.st); code != http.StatusSeeOther || len(rules.Caps) != 0 || rules.QuietStart != "" {
		t.Errorf("POST no caps: %d, rules %+v", code, rules)
	}
	if _, body := op.get("/contact-rules"); !strings.Contains(body, "No caps") {
		t.Error("no caps not shown")
	}
}
