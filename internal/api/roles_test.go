package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// agentRoutes are the only routes a key with role agent may call (besides
// the public ones).
var agentRoutes = map[string]bool{"GET /v1/calls": true, "POST /v1/calls/{id}/{action}": true}

// TestAgentRoleMatrix calls every route of the table with an agent's key:
// 403 on each but the public and the call-task routes, which answer
// something else (here 503: no marketing service; TestAgentCalls in
// marketing_test.go exercises them). An operator is refused none of them.
func TestAgentRoleMatrix(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := map[string]string{}
	for _, role := range []string{store.RoleAgent, store.RoleOperator, store.RoleAdmin} {
		secret, k, err := apikey.Generate(role, role, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		keys[role] = secret
	}
	h := New(Options{Store: st})
	fill := strings.NewReplacer("{ref}", "1", "{name}", "x", "{id}", "1", "{action}", "result", "{list}", "black", "{customer}", "1")
	for _, rt := range (&server{}).routes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		for _, role := range []string{store.RoleAgent, store.RoleOperator} {
			r := httptest.NewRequest(method, fill.Replace(path), strings.NewReader("{}"))
			r.Header.Set("Authorization", "Bearer "+keys[role])
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			refused := w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), "role "+role+" may not call")
			switch {
			case role == store.RoleAgent && rt.access != public && !agentRoutes[rt.pattern]:
				if !refused {
					t.Errorf("agent %s: %d %s, want 403", rt.pattern, w.Code, w.Body.String())
				}
			case role == store.RoleAgent:
				if refused {
					t.Errorf("agent %s: refused, want allowed", rt.pattern)
				}
			case refused && rt.access != write && rt.access != operate:
				t.Errorf("operator %s: refused", rt.pattern)
			}
		}
	}
}
