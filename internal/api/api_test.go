package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// now is the clock of every test server.
var now = time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)

// env is an API over a fresh SQLite store with one key per role.
type env struct {
	t    *testing.T
	st   store.Store
	h    http.Handler
	keys map[string]string // role -> secret
	log  *syncBuffer
}

func newEnv(t testing.TB, opts api.Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{st: st, keys: map[string]string{}, log: &syncBuffer{}}
	for _, role := range apikey.Roles {
		secret, k, err := apikey.Generate(role, role+" key", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			t.Fatalf("create key: %v", err)
		}
		e.keys[role] = secret
	}
	opts.Store = st
	opts.Now = func() time.Time { return now }
	r := identity.NewResolver(identity.DefaultPolicy())
	r.Now = opts.Now
	opts.Resolver = r
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.h = api.New(opts)
	return e
}

// addKey creates another key with role and returns a name for req.role.
func (e *env) addKey(t testing.TB, role string) string {
	t.Helper()
	secret, k, err := apikey.Generate(role, "another", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	name := role + "-" + k.ID
	e.keys[name] = secret
	return name
}

// req describes one request of a scenario.
type req struct {
	method, path string
	role         string // admin, analyst, operator; "" for no key; anything else is sent as the key itself
	header       map[string]string
	body         string
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(t testing.TB, r req) resp {
	t.Helper()
	hr := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if secret, ok := e.keys[r.role]; ok {
		hr.Header.Set("Authorization", "Bearer "+secret)
	} else if r.role != "" {
		hr.Header.Set("Authorization", "Bearer "+r.role)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", r.method, r.path, ct)
	}
	return resp{w.Code, w.Header(), w.Body.Bytes()}
}

// mustDo runs r and fails unless it answers status; it decodes the body into v when v is not nil.
func (e *env) mustDo(t testing.TB, r req, status int, v any) resp {
	t.Helper()
	got := e.do(t, r)
	if got.status != status {
		t.Fatalf("%s %s: status %d, want %d: %s", r.method, r.path, got.status, status, got.body)
	}
	if v != nil {
		if err := json.Unmarshal(got.body, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", r.method, r.path, got.body, err)
		}
	}
	return got
}

// scenario is one request and what must come back.
type scenario struct {
	name   string
	req    req
	status int
	want   []string // substrings of the body
	check  func(t *testing.T, r resp)
}

func run(t *testing.T, e *env, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := e.do(t, sc.req)
			if got.status != sc.status {
				t.Fatalf("status %d, want %d; body %s", got.status, sc.status, got.body)
			}
			for _, w := range sc.want {
				if !bytes.Contains(got.body, []byte(w)) {
					t.Errorf("body %s lacks %q", got.body, w)
				}
			}
			if sc.check != nil {
				sc.check(t, got)
			}
		})
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// ingestResult mirrors the ingest response.
type ingestResult struct {
	Received         int
	Imported         int64
	Duplicates       int64
	Rejected         int64
	CustomersCreated int64 `json:"customers_created"`
	CustomersMerged  int64 `json:"customers_merged"`
	Errors           []struct {
		Index int
		Error string
	}
	Problems []struct {
		Index int
		Error string
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, api.Options{})
	event := `[{"type":"view","time":"2011-01-01T10:00:00Z","customer":"c1"}]`
	run(t, e, []scenario{
		{name: "health needs no key", req: req{method: "GET", path: "/v1/health"}, status: 200, want: []string{`"status":"ok"`}},
		{name: "openapi needs no key", req: req{method: "GET", path: "/v1/openapi.json"}, status: 200, want: []string{`"3.1.0"`}},
		{name: "stats without key", req: req{method: "GET", path: "/v1/stats"}, status: 401, want: []string{"missing API key"},
			check: func(t *testing.T, r resp) {
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate header")
				}
			}},
		{name: "unknown key", req: req{method: "GET", path: "/v1/stats", role: "sgt_aaaaaaaa_" + strings.Repeat("a", 52)}, status: 401, want: []string{"unknown API key"}},
		{name: "garbage key", req: req{method: "GET", path: "/v1/stats", role: "letmein"}, status: 401, want: []string{"unknown API key"}},
		{name: "basic auth", req: req{method: "GET", path: "/v1/stats", header: map[string]string{"Authorization": "Basic YTpi"}}, status: 401, want: []string{"Bearer"}},
		{name: "X-API-Key header", req: req{method: "GET", path: "/v1/stats", header: map[string]string{"X-API-Key": e.keys["analyst"]}}, status: 200, want: []string{`"customers":0`}},
		{name: "analyst reads", req: req{method: "GET", path: "/v1/stats", role: "analyst"}, status: 200},
		{name: "operator reads", req: req{method: "GET", path: "/v1/stats", role: "operator"}, status: 200},
		{name: "analyst may not ingest", req: req{method: "POST", path: "/v1/events", role: "analyst", body: event}, status: 403, want: []string{"role analyst may not call POST /v1/events"}},
		{name: "operator may not ingest", req: req{method: "POST", path: "/v1/customers", role: "operator", body: `[]`}, status: 403},
		{name: "ingest without key", req: req{method: "POST", path: "/v1/events", body: event}, status: 401},
		{name: "admin ingests", req: req{method: "POST", path: "/v1/events", role: "admin", body: event}, status: 200, want: []string{`"imported":1`}},
		{name: "customer without key", req: req{method: "GET", path: "/v1/customers/1"}, status: 401},
		{name: "unknown route", req: req{method: "GET", path: "/v1/nothing", role: "admin"}, status: 404, want: []string{"no such route"}},
		{name: "wrong method", req: req{method: "DELETE", path: "/v1/stats", role: "admin"}, status: 405,
			check: func(t *testing.T, r resp) {
				if !strings.Contains(r.header.Get("Allow"), "GET") {
					t.Errorf("Allow = %q", r.header.Get("Allow"))
				}
			}},
	})
}

func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
