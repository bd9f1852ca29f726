package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Options configure the console. Store is required; without Insight the
// intelligence pages say that it is not loaded.
type Options struct {
	Store   store.Store
	Insight *insight.Service
	// Marketing serves offers, campaigns and call tasks; without it those
	// pages say that they are not loaded.
	Marketing *marketing.Service
	// Recommend answers the customer page's recommendations (nil: none).
	Recommend *recommend.Service
	// Resolver resolves identities on the import page (nil: no import).
	Resolver *identity.Resolver
	// DataDir is where the models are saved (default: the Insight
	// service's data directory).
	DataDir string
	Logger  *slog.Logger     // discards when nil
	Now     func() time.Time // time.Now when nil
	// SessionTTL is how long an idle session lasts (default 8 h); a session
	// never lasts longer than 24 h.
	SessionTTL time.Duration
	// SummaryTTL is how old the precomputed overview may get before a page
	// view starts recomputing it in the background (default 30 s).
	SummaryTTL time.Duration
}

// Server is the console's HTTP handler.
type Server struct {
	st       store.Store
	in       *insight.Service
	mk       *marketing.Service
	rec      *recommend.Service
	res      *identity.Resolver
	dataDir  string
	log      *slog.Logger
	now      func() time.Time
	sessions *sessions
	pages    map[string]*template.Template
	cat      catalogues
	assets   *assets
	overview *bgCache[overviewOf]
	models   modelFiles
	previews previews
	figures  figures
	mux      *http.ServeMux
}

// New returns the console handler. It panics when opts.Store is nil or an
// embedded template does not parse (a build defect, caught by the tests).
func New(opts Options) *Server {
	if opts.Store == nil {
		panic("web.New: Options.Store is nil")
	}
	s := &Server{st: opts.Store, in: opts.Insight, mk: opts.Marketing, rec: opts.Recommend, res: opts.Resolver, dataDir: opts.DataDir,
		log: opts.Logger, now: opts.Now, mux: http.NewServeMux()}
	if s.dataDir == "" && s.in != nil {
		s.dataDir = s.in.DataDir()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 8 * time.Hour
	}
	if opts.SummaryTTL <= 0 {
		opts.SummaryTTL = 30 * time.Second
	}
	s.sessions = newSessions(opts.SessionTTL, s.now)
	var err error
	if s.cat, err = loadCatalogues(); err != nil {
		panic(fmt.Sprintf("web.New: %v", err))
	}
	if s.assets, err = loadAssets(); err != nil {
		panic(fmt.Sprintf("web.New: %v", err))
	}
	if s.pages, err = parseTemplates(s.assets); err != nil {
		panic(fmt.Sprintf("web.New: %v", err))
	}
	s.overview = newOverviewCache(s, opts.SummaryTTL)
	s.previews.s = s
	s.figures.s = s
	if s.in != nil {
		// start the overview's first computation now, so that the first
		// visitor of a large shop does not wait for it
		go s.overview.get(context.Background())
	}
	if s.mk != nil {
		go s.figures.warm()
	}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /assets/{name...}", s.assets.serve)
	s.mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		r.SetPathValue("name", "favicon.svg")
		s.assets.serve(w, r)
	})
	return s
}

// ServeHTTP serves the console.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
	s.mux.ServeHTTP(w, r)
}

// access says who may use a route.
type access int

const (
	public  access = iota // no session needed
	read                  // any role but agent
	operate               // admin and operator: changes tags, segments, lists
	write                 // admin: imports data, as the API's ingestion
	// The agent role (hotline and store staff) may use the call workbench
	// and nothing else: least privilege for people who dial customers.
	loggedIn // any role, agent too: logging out
	callRead // any role, agent too: the call queue and a task
	callWork // admin, operator and agent: take a call, record its result
)

func (a access) allows(role string) bool {
	switch a {
	case public, loggedIn, callRead:
		return true
	case read:
		return role != store.RoleAgent
	case write:
		return role == store.RoleAdmin
	case callWork:
		return role == store.RoleAdmin || role == store.RoleOperator || role == store.RoleAgent
	}
	return role == store.RoleAdmin || role == store.RoleOperator
}

// handlerFunc serves one route for one request.
type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

type route struct {
	pattern string
	access  access
	handler handlerFunc
}

// request is what a handler knows about the caller.
type request struct {
	sess *session // nil on public routes without a session
	lang string
}

func (rq *request) role() string {
	if rq.sess == nil {
		return ""
	}
	return rq.sess.role
}

// httpError is an error with the status and message a user sees.
type httpError struct {
	code int
	msg  string // a catalogue key
	args []any
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func errPage(code int, key string, args ...any) error { return &httpError{code, key, args} }

// wrap adds the session, the role check, CSRF checks on POST, error pages
// and the request log.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, gzip: acceptsGzip(r)}
		rq := &request{lang: s.cat.pick(r)}
		err := func() error {
			sess, err := s.session(r)
			if err != nil {
				return err
			}
			rq.sess = sess
			if rt.access != public {
				if sess == nil {
					if r.Method == http.MethodGet {
						http.Redirect(sw, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
						return nil
					}
					return errPage(http.StatusUnauthorized, "error.login_needed")
				}
				sw.Header().Set("Cache-Control", "no-store")
				if !rt.access.allows(sess.role) {
					return errPage(http.StatusForbidden, "error.forbidden", sess.role)
				}
			}
			if r.Method == http.MethodPost {
				limit := int64(1 << 20)
				if rt.access == write {
					limit = maxUpload + 1<<20
				}
				r.Body = http.MaxBytesReader(sw, r.Body, limit)
				if err := s.checkCSRF(r, sess); err != nil {
					return err
				}
			}
			return rt.handler(sw, r, rq)
		}()
		if err != nil {
			if sw.code != 0 {
				s.log.LogAttrs(r.Context(), slog.LevelError, "console response failed", slog.String("route", rt.pattern), slog.String("error", err.Error()))
			} else {
				s.renderError(sw, r, rq, err)
			}
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("route", rt.pattern), slog.Int("status", code),
			slog.Duration("duration", time.Since(start))}
		if rq.sess != nil {
			attrs = append(attrs, slog.String("key_id", rq.sess.keyID))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "console request", attrs...)
	})
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		if errors.Is(err, context.Canceled) {
			return
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "console error", slog.String("method", r.Method),
			slog.String("route", r.Pattern), slog.String("error", err.Error()))
		he = &httpError{code: http.StatusInternalServerError, msg: "error.internal"}
	}
	if wantsJSON(r) {
		writeJSON(w, he.code, map[string]string{"error": s.cat.t(rq.lang, he.msg, he.args...)})
		return
	}
	v := s.view(r, rq, "error.title")
	v.Data = s.cat.t(rq.lang, he.msg, he.args...)
	v.Status = he.code
	s.render(w, "error", he.code, v)
}

// statusWriter remembers the status of the response.
type statusWriter struct {
	http.ResponseWriter
	code int
	gzip bool // the browser takes gzip
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
