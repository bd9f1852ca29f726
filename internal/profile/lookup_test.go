package profile

import "testing"

func TestParseRef(t *testing.T) {
	for _, c := range []struct{ ref, kind, value string }{
		{"123", "id", "123"},
		{"email:ann@example.com", "email", "ann@example.com"},
		{"EMAIL:ann@example.com", "email", "ann@example.com"},
		{"ann@example.com", "email", "ann@example.com"},
		{"phone:+44 7700 900123", "phone", "+44 7700 900123"},
		{"+44 7700 900123", "phone", "+44 7700 900123"},
		{"online-retail:17850", "online-retail", "17850"},
		{"crm:ann@example.com", "crm", "ann@example.com"}, // an external id may look like an address
		{"crm:a:b", "crm", "a:b"},
		{"ann", "", ""},
		{"", "", ""},
		{":17850", "", ""},
		{"crm:", "", ""},
		{"-5", "", ""},
	} {
		kind, value := parseRef(c.ref)
		if kind != c.kind || value != c.value {
			t.Errorf("parseRef(%q) = %q, %q; want %q, %q", c.ref, kind, value, c.kind, c.value)
		}
	}
}
