package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/api"
)

// TestLogsHoldNoPersonalData looks customers up by e-mail and phone, and
// imports them, and checks that the log names routes, statuses and key ids
// but never the e-mail, the phone or the key's secret.
func TestLogsHoldNoPersonalData(t *testing.T) {
	e := newEnv(t, api.Options{})
	seedCustomers(t, e)
	for _, ref := range []string{"ann@example.com", "email:Ann@Example.com", "phone:+44 7700 900123", "+447700900123",
		"nobody@example.com", "phone:+44 7700 900999", "email:ann@"} {
		e.do(t, req{method: "GET", path: "/v1/customers/" + url.PathEscape(ref), role: "analyst"})
	}
	e.do(t, req{method: "POST", path: "/v1/customers", role: "admin", body: `[{"email":"ann@example.com","phone":"+44 7700 900123"},{"email":"bad"}]`})
	e.do(t, req{method: "POST", path: "/v1/customers", role: "admin", body: `[{"email":"ann@example.com","phone":7700900123}]`})

	log := e.log.String()
	for _, secret := range []string{"ann@example", "Ann@Example", "nobody@", "7700 900", "7700900", "0044", "bob@",
		e.keys["admin"], e.keys["analyst"], e.keys["admin"][13:]} {
		if strings.Contains(log, secret) {
			t.Errorf("log holds %q:\n%s", secret, log)
		}
	}
	for _, want := range []string{`"route":"GET /v1/customers/{ref}"`, `"status":200`, `"status":404`, `"status":400`,
		`"route":"POST /v1/customers"`, `"key_id":"` + e.keys["analyst"][4:12] + `"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
}
