package identity

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Errors returned by the normalizers; the caller reports them with the field.
var (
	ErrInvalidEmail = errors.New("not a valid e-mail address")
	ErrInvalidPhone = errors.New("not a valid phone number (7 to 15 digits)")
)

// NormalizeEmail trims and lower-cases an address and checks its shape:
// one @, a non-empty local part, a domain with a dot, no spaces.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') || !utf8.ValidString(s) {
		return "", ErrInvalidEmail
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 || strings.ContainsAny(s, " \t\r\n,;<>") {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// NormalizePhone keeps the digits of a number and drops an international
// "00" prefix, so "+44 7700 900123", "0044-7700-900123" and "+447700900123"
// are one number. In an international number a national trunk zero written
// in brackets ("+44 (0)20 7946 0000") is dropped, as E.164 does. It rejects
// numbers outside 7 to 15 digits (E.164) and any letter.
func NormalizePhone(s string) (string, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "+") || strings.HasPrefix(t, "00") {
		s = strings.Replace(s, "(0)", "", 1)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return "", ErrInvalidPhone
		}
	}
	d := strings.TrimPrefix(b.String(), "00")
	if len(d) < 7 || len(d) > 15 {
		return "", ErrInvalidPhone
	}
	return d, nil
}
