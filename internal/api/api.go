package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes       = 32 << 20
	DefaultMaxRecords         = 10_000
	DefaultIdempotencyEntries = 10_000
	DefaultIdempotencyTTL     = 24 * time.Hour
	DefaultIdempotencyBytes   = 64 << 20
)

// Options configure the API. Store is required; zero values of the others
// take the defaults.
type Options struct {
	Store    store.Store
	Insight  *insight.Service   // tags, segments, customer intelligence; those routes answer 503 when nil
	Resolver *identity.Resolver // identity.DefaultPolicy when nil
	// Recommend answers recommendations; those routes answer 503 when nil.
	Recommend *recommend.Service
	Logger    *slog.Logger // discards when nil
	// MaxBodyBytes bounds a request body (default 32 MiB).
	MaxBodyBytes int64
	// MaxRecords bounds the records of one ingest request (default 10,000).
	MaxRecords int
	// Idempotency-Key replay cache bounds: entries (default 10,000), age
	// (default 24 h) and stored response bytes (default 64 MiB).
	IdempotencyEntries int
	IdempotencyTTL     time.Duration
	IdempotencyBytes   int64
	Now                func() time.Time // time.Now when nil
}

type server struct {
	store    store.Store
	insight  *insight.Service
	rec      *recommend.Service
	resolver *identity.Resolver
	log      *slog.Logger
	maxBody  int64
	maxRecs  int
	now      func() time.Time
	idem     *idempotency
	mux      *http.ServeMux
}

// New returns the API handler. It panics when opts.Store is nil.
func New(opts Options) http.Handler {
	if opts.Store == nil {
		panic("api.New: Options.Store is nil")
	}
	s := &server{store: opts.Store, insight: opts.Insight, rec: opts.Recommend, resolver: opts.Resolver, log: opts.Logger, maxBody: opts.MaxBodyBytes,
		maxRecs: opts.MaxRecords, now: opts.Now, mux: http.NewServeMux()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.resolver == nil {
		s.resolver = identity.NewResolver(identity.DefaultPolicy())
		s.resolver.Now = s.now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.maxRecs <= 0 {
		s.maxRecs = DefaultMaxRecords
	}
	s.idem = newIdempotency(orDefault(opts.IdempotencyEntries, DefaultIdempotencyEntries),
		orDefault(opts.IdempotencyTTL, DefaultIdempotencyTTL), orDefault(opts.IdempotencyBytes, DefaultIdempotencyBytes), s.now)
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	return s
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ServeHTTP answers unknown paths and methods with a JSON error, and hands
// everything else to the route table.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	// the mux answers 404 or 405 (with Allow) in plain text; keep its verdict
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	code, msg := http.StatusNotFound, "no such route; GET /v1/openapi.json lists them"
	if allow := rec.header.Get("Allow"); rec.code == http.StatusMethodNotAllowed && allow != "" {
		w.Header().Set("Allow", allow)
		code, msg = http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed; use %s", r.Method, allow)
	}
	writeJSON(w, code, errorBody{msg})
	s.logRequest(r, "", code, start, "")
}

// wrap adds authentication, authorization, error mapping and the request log
// to a route.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var key store.APIKey
		err := func() error {
			if rt.access != public {
				var err error
				if key, err = s.authenticate(r); err != nil {
					if code, _ := status(err); code == http.StatusUnauthorized {
						sw.Header().Set("WWW-Authenticate", `Bearer realm="sagitta"`)
					}
					return err
				}
				if !rt.access.allows(key.Role) {
					return errorf(http.StatusForbidden, "a key with role %s may not call %s", key.Role, rt.pattern)
				}
				sw.Header().Set("Cache-Control", "no-store")
			}
			return rt.handler(sw, r, key)
		}()
		if err != nil {
			if sw.code != 0 { // the response has started; nothing more can be said
				s.logError(r, rt.pattern, "response failed", err)
			} else {
				s.writeError(sw, r, rt.pattern, err)
			}
		}
		s.logRequest(r, rt.pattern, sw.code, start, key.ID)
	})
}

func (s *server) logRequest(r *http.Request, pattern string, code int, start time.Time, keyID string) {
	if pattern == "" {
		pattern = "unmatched"
	}
	if code == 0 {
		code = http.StatusOK
	}
	level := slog.LevelInfo
	if code >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", pattern), slog.Int("status", code),
		slog.Duration("duration", time.Since(start))}
	if keyID != "" {
		attrs = append(attrs, slog.String("key_id", keyID))
	}
	s.log.LogAttrs(r.Context(), level, "request", attrs...)
}

var errNoKey = errorf(http.StatusUnauthorized,
	"missing API key; send it as Authorization: Bearer <key> or X-API-Key: <key>")
var errBadKey = errorf(http.StatusUnauthorized, "unknown API key")

// authenticate finds the caller's key.
func (s *server) authenticate(r *http.Request) (store.APIKey, error) {
	secret := r.Header.Get("X-API-Key")
	if h := r.Header.Get("Authorization"); secret == "" && h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return store.APIKey{}, errorf(http.StatusUnauthorized, "Authorization header must be Bearer <key>")
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" {
		return store.APIKey{}, errNoKey
	}
	if !apikey.WellFormed(secret) {
		return store.APIKey{}, errBadKey
	}
	k, err := s.store.APIKey(r.Context(), apikey.Hash(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.APIKey{}, errBadKey
	case err != nil:
		return store.APIKey{}, fmt.Errorf("look up API key: %w", err)
	}
	return k, nil
}

// statusWriter remembers the status of the response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headerRecorder keeps the status and headers a handler writes, and drops the body.
type headerRecorder struct {
	header http.Header
	code   int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(code int)        { r.code = code }
