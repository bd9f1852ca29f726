package web

import (
	"strings"
	"unicode/utf8"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// seesPII tells whether a role sees personal data unmasked. Only admin does:
// analysts work with aggregates and segments, operators (store and hotline
// agents) find a customer by e-mail or phone but see it masked.
func seesPII(role string) bool { return role == store.RoleAdmin }

// piiFields are the attributes and identity kinds that identify a person.
var piiFields = map[string]bool{
	"email": true, "phone": true, "name": true, "first_name": true, "last_name": true,
	"birth_date": true, "postcode": true, "address": true,
}

// isPII tells whether an attribute or identity kind is personal data.
func isPII(field string) bool { return piiFields[field] }

// mask hides a personal value, keeping just enough to tell two apart:
// "a•••@e•••.com", "•••••••89", "J•••".
func mask(field, v string) string {
	if v == "" {
		return ""
	}
	switch field {
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok {
			return first(v) + "•••"
		}
		host, tld := domain, ""
		if i := strings.LastIndexByte(domain, '.'); i > 0 {
			host, tld = domain[:i], domain[i:]
		}
		return first(local) + "•••@" + first(host) + "•••" + tld
	case "phone":
		digits := 0
		for _, c := range v {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits <= 4 {
			return "•••"
		}
		keep := []rune{}
		for i := len(v) - 1; i >= 0 && len(keep) < 2; i-- {
			if v[i] >= '0' && v[i] <= '9' {
				keep = append([]rune{rune(v[i])}, keep...)
			}
		}
		return strings.Repeat("•", digits-2) + string(keep)
	case "birth_date":
		if len(v) >= 4 {
			return v[:4] + "-••-••"
		}
		return "••••"
	}
	return first(v) + "•••"
}

func first(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return ""
	}
	return string(r)
}

// maskFor masks a value unless the role sees personal data.
func maskFor(role, field, v string) string {
	if seesPII(role) || !isPII(field) {
		return v
	}
	return mask(field, v)
}
