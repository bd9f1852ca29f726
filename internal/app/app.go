package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/cli"
	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/postgres"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"github.com/sagitta-dev/sagitta/internal/web"
)

// Run runs the command line args and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := cli.Env{
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		Getenv:     os.Getenv,
		OpenStore:  OpenStore,
		NewHandler: NewHandler,
	}
	return cli.Run(ctx, args, env)
}

// OpenStore opens the storage engine the configuration names: PostgreSQL
// when a DSN is set, else the embedded SQLite store in the data directory.
// This is the one place that chooses.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.Postgres != "" {
		st, err := postgres.Open(ctx, cfg.Postgres, postgres.Options{})
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, cfg.DataDir, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("open embedded store in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// NewHandler builds the HTTP handler served by `sagitta serve`: the JSON API
// under /v1 and the web console everywhere else.
func NewHandler(s cli.Services) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", api.New(api.Options{Store: s.Store, Resolver: s.Resolver, Insight: s.Insight, Recommend: s.Recommend,
		Marketing: s.Marketing, Logger: s.Logger}))
	mux.Handle("/", web.New(web.Options{Store: s.Store, Insight: s.Insight, Marketing: s.Marketing, Recommend: s.Recommend,
		Resolver: s.Resolver, Logger: s.Logger}))
	return mux
}
