package api

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

//go:embed openapi.json
var openAPIDoc []byte

func (s *server) openAPI(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	writeBody(w, http.StatusOK, openAPIDoc)
	return nil
}

const healthTimeout = 2 * time.Second

// health checks that the store answers a point lookup.
func (s *server) health(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	if _, err := s.store.APIKey(ctx, "health-check"); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.logError(r, "GET /v1/health", "health check failed", err)
		return errorf(http.StatusServiceUnavailable, "store unavailable")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *server) stats(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	st, err := s.store.Stats(r.Context())
	if err != nil {
		return fmt.Errorf("count store contents: %w", err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
