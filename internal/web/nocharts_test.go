package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// emptyShop opens an empty SQLite store, closed when the test ends, the
// intelligence service over it and an API key of the role.
func emptyShop(t *testing.T, role string) (store.Store, *insight.Service, store.APIKey) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in, err := insight.Open(ctx, st, insight.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := apikey.Generate(role, "t", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	return st, in, k
}

// TestWithoutCharts: a build without the ECharts bundle (a fresh clone
// without `go generate ./internal/web`) still serves every page, and the
// overview says where the charts would be; an empty shop renders too.
func TestWithoutCharts(t *testing.T) {
	st, in, k := emptyShop(t, store.RoleAdmin)
	s := New(Options{Store: st, Insight: in})
	delete(s.assets.files, ChartsFile) // as in a build without the bundle
	token := s.sessions.create(k)
	for _, p := range []string{"/", "/customers", "/tags", "/segments", "/segments/new", "/admission"} {
		r := httptest.NewRequest(http.MethodGet, p, nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", p, w.Code, body)
		}
		if strings.Contains(body, "echarts.min.js") {
			t.Errorf("GET %s links the missing ECharts bundle", p)
		}
		if p == "/" && !strings.Contains(body, "go generate ./internal/web") {
			t.Error("the overview does not say how to get the charts")
		}
	}
}
