package profile

import (
	"strings"
	"unicode/utf8"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// SeesPII tells whether a role sees personal data unmasked. Only admin does:
// analysts work with aggregates and segments, operators (store and hotline
// agents) find a customer by e-mail or phone but see it masked. The API and
// the console both follow it.
func SeesPII(role string) bool { return role == store.RoleAdmin }

// piiFields are the attributes and identity kinds that identify a person.
var piiFields = map[string]bool{
	"email": true, "phone": true, "name": true, "first_name": true, "last_name": true,
	"birth_date": true, "postcode": true, "address": true,
}

// IsPII tells whether an attribute or identity kind is personal data.
func IsPII(field string) bool { return piiFields[field] }

// Mask hides a personal value, keeping just enough to tell two apart:
// "a•••@e•••.com", "•••••••89", "J•••".
func Mask(field, v string) string {
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

// MaskFor masks a value unless the role sees personal data.
func MaskFor(role, field, v string) string {
	if SeesPII(role) || !IsPII(field) {
		return v
	}
	return Mask(field, v)
}

// MaskedFor returns the profile as a role may see it: identities, merge
// links, attributes and refused values that are personal data masked
// unless the role sees them (SeesPII).
func (p Profile) MaskedFor(role string) Profile {
	if SeesPII(role) {
		return p
	}
	p.MergedFrom = append([]Merge(nil), p.MergedFrom...)
	for i := range p.MergedFrom {
		m := &p.MergedFrom[i]
		m.Value = MaskFor(role, m.Kind, m.Value)
	}
	p.Identities = append([]Identity(nil), p.Identities...)
	for i := range p.Identities {
		id := &p.Identities[i]
		id.Value = MaskFor(role, id.Kind, id.Value)
	}
	p.Attributes = append([]Attribute(nil), p.Attributes...)
	for i := range p.Attributes {
		a := &p.Attributes[i]
		a.Value = MaskFor(role, a.Name, a.Value)
	}
	p.InvalidValues = append([]InvalidValue(nil), p.InvalidValues...)
	for i := range p.InvalidValues {
		v := &p.InvalidValues[i]
		v.Value = MaskFor(role, v.Name, v.Value)
	}
	return p
}
