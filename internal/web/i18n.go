package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Languages of the console, the first is the default.
var languages = []string{"en", "zh"}

// catalogues maps a language to its messages, key -> text (fmt verbs for
// arguments).
type catalogues map[string]map[string]string

func loadCatalogues() (catalogues, error) {
	c := catalogues{}
	for _, l := range languages {
		b, err := embedded.ReadFile("messages/" + l + ".json")
		if err != nil {
			return nil, fmt.Errorf("cannot read the %s messages: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("cannot read messages/%s.json: %w", l, err)
		}
		c[l] = m
	}
	return c, nil
}

// t translates a key; a key missing in a language falls back to English,
// and a key missing there shows as itself.
func (c catalogues) t(lang, key string, args ...any) string {
	msg, ok := c[lang][key]
	if !ok {
		if msg, ok = c["en"][key]; !ok {
			msg = key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// pick chooses the language: the language cookie, else the browser's
// Accept-Language, else English.
func (c catalogues) pick(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil {
		if _, ok := c[ck.Value]; ok {
			return ck.Value
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if _, ok := c[base]; ok {
			return base
		}
	}
	return languages[0]
}

// setLang remembers a language choice in a cookie and goes back to the page.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request, _ *request) error {
	l := r.URL.Query().Get("to")
	if _, ok := s.cat[l]; !ok {
		return errPage(http.StatusBadRequest, "error.bad_language", l)
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}
