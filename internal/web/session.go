package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Cookie names.
const (
	sessionCookie = "sagitta_session"
	loginCookie   = "sagitta_login" // CSRF token of the login form, before a session exists
	langCookie    = "sagitta_lang"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	maxSessions   = 10_000
	maxLifetime   = 24 * time.Hour
)

// session is one logged-in browser.
type session struct {
	keyHash string // to check on every request that the key still exists
	keyID   string
	keyName string
	role    string
	csrf    string
	created time.Time
	seen    time.Time
}

// sessions are kept in memory, by the SHA-256 of the cookie value; a restart
// logs everyone out.
type sessions struct {
	mu  sync.Mutex
	m   map[[32]byte]*session
	ttl time.Duration
	now func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[[32]byte]*session{}, ttl: ttl, now: now}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for a key and returns the cookie value.
func (ss *sessions) create(k store.APIKey) string {
	token := randomToken()
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.m) >= maxSessions {
		ss.evictLocked(now)
	}
	ss.m[sha256.Sum256([]byte(token))] = &session{keyHash: k.Hash, keyID: k.ID, keyName: k.Name, role: k.Role,
		csrf: randomToken(), created: now, seen: now}
	return token
}

// evictLocked drops expired sessions and, when still full, the least
// recently seen one.
func (ss *sessions) evictLocked(now time.Time) {
	var oldest [32]byte
	var oldestSeen time.Time
	for h, s := range ss.m {
		if ss.expired(s, now) {
			delete(ss.m, h)
			continue
		}
		if oldestSeen.IsZero() || s.seen.Before(oldestSeen) {
			oldest, oldestSeen = h, s.seen
		}
	}
	if len(ss.m) >= maxSessions {
		delete(ss.m, oldest)
	}
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.seen) > ss.ttl || now.Sub(s.created) > maxLifetime
}

// get returns a copy of the live session of a cookie value.
func (ss *sessions) get(token string) (session, bool) {
	h := sha256.Sum256([]byte(token))
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[h]
	if !ok {
		return session{}, false
	}
	if ss.expired(s, now) {
		delete(ss.m, h)
		return session{}, false
	}
	s.seen = now
	return *s, true
}

func (ss *sessions) remove(token string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sha256.Sum256([]byte(token)))
}

// session finds the caller's session; nil when there is none, or its key was
// deleted since.
func (s *Server) session(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, ok := s.sessions.get(c.Value)
	if !ok {
		return nil, nil
	}
	k, err := s.st.APIKey(r.Context(), sess.keyHash)
	if errors.Is(err, store.ErrNotFound) {
		s.sessions.remove(c.Value)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("check the session's API key: %w", err)
	}
	sess.role = k.Role
	return &sess, nil
}

// checkCSRF accepts a POST that carries the session's token (form field csrf
// or header X-CSRF-Token), or, for the login form, the token of the login
// cookie. A cross-origin Origin header is refused as well.
func (s *Server) checkCSRF(r *http.Request, sess *session) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return errPage(http.StatusForbidden, "error.csrf")
		}
	}
	sent := r.Header.Get(csrfHeader)
	if sent == "" {
		sent = r.PostFormValue(csrfField)
	}
	want := ""
	if sess != nil {
		want = sess.csrf
	} else if c, err := r.Cookie(loginCookie); err == nil {
		want = c.Value
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
		return errPage(http.StatusForbidden, "error.csrf")
	}
	return nil
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// loginPage shows the login form.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.sess != nil {
		http.Redirect(w, r, home(rq.sess.role, safeNext(r.URL.Query().Get("next"))), http.StatusSeeOther)
		return nil
	}
	return s.showLogin(w, r, rq, "", http.StatusOK)
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, rq *request, problem string, code int) error {
	token := randomToken()
	setCookie(w, r, loginCookie, token, 3600)
	v := s.view(r, rq, "login.title")
	v.CSRF = token
	v.Data = map[string]string{"Next": safeNext(r.FormValue("next")), "Problem": problem}
	s.render(w, "login", code, v)
	return nil
}

// login checks the API key and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) error {
	secret := strings.TrimSpace(r.PostFormValue("key"))
	if secret == "" {
		return s.showLogin(w, r, rq, "login.key_missing", http.StatusBadRequest)
	}
	if !apikey.WellFormed(secret) {
		return s.showLogin(w, r, rq, "login.key_malformed", http.StatusUnauthorized)
	}
	k, err := s.st.APIKey(r.Context(), apikey.Hash(secret))
	if errors.Is(err, store.ErrNotFound) {
		return s.showLogin(w, r, rq, "login.key_unknown", http.StatusUnauthorized)
	}
	if err != nil {
		return fmt.Errorf("look up API key: %w", err)
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(old.Value) // a fresh session id on every login
	}
	setCookie(w, r, sessionCookie, s.sessions.create(k), 0)
	setCookie(w, r, loginCookie, "", -1)
	http.Redirect(w, r, home(k.Role, safeNext(r.PostFormValue("next"))), http.StatusSeeOther)
	return nil
}

// home turns the overview, where a login goes by default, into the call
// queue for an agent, who may open nothing else.
func home(role, next string) string {
	if next == "/" && !read.allows(role) {
		return "/calls"
	}
	return next
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a redirect target on this site: a path, never //host or a URL.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
