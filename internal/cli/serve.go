package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/store"
)

func runServe(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "serve", &cfg)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env SAGITTA_ADDR)")
	sizesEvery := fs.Duration("sizes-every", time.Hour, "record every segment's size and the customers per lifecycle stage this often (0: never)")
	flowsEvery := fs.Duration("flows-every", lifecycle.DefaultEvery, "record the flows between lifecycle stages at most this often")
	advance := fs.String("advance", string(insight.AdvanceLive), "move the features' time windows to now once a day: "+
		"live (only a table computed as of the last seven days), always or never")
	saveEvery := fs.Duration("save-every", 10*time.Minute, "save the feature table changed by ingestion this often (and at shutdown)")
	maintainEvery := fs.Duration("maintain-every", time.Minute, "look this often whether the features need a recompute, a move in time or saving")
	modelPoll := fs.Duration("model-poll", 10*time.Second, "check DATA_DIR/models/recommend.model this often and swap in a retrained model (0: load once)")
	retrainEvery := fs.Duration("retrain-every", 0, "refit the CLV and churn models and recompute the features this often, e.g. 24h (0: never)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	mode, err := insight.ParseAdvanceMode(*advance)
	if err != nil {
		return usageErr("--advance: %v", err)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	logger := newLogger(env.Stderr, cfg.LogLevel)
	if *flowsEvery <= 0 {
		return usageErr("--flows-every must be positive")
	}
	in, err := openInsightWith(ctx, cfg, st, logger, *flowsEvery)
	if err != nil {
		return err
	}
	if *sizesEvery > 0 {
		go recordSizes(ctx, in, *sizesEvery, logger)
	}
	stop := maintain(in, insight.MaintainOptions{Every: *maintainEvery, Advance: mode, SaveEvery: *saveEvery})
	defer stop()
	env.Recommend = startRecommender(ctx, cfg.DataDir, st, *modelPoll, logger)
	if *retrainEvery > 0 {
		go retrain(ctx, in, *retrainEvery, logger)
	}
	return serve(ctx, env, cfg.Addr, cfg.DataDir, st, in, logger, nil)
}

// maintain keeps the features current in the background (see
// insight.Service.Maintain). The returned stop, called once the server has
// drained its requests, saves the table and waits for that.
func maintain(in *insight.Service, o insight.MaintainOptions) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.Maintain(ctx, o)
	}()
	return func() {
		cancel()
		<-done
	}
}

// recordSizes records the segment sizes and a lifecycle snapshot every
// period until ctx ends, for the segment size history and the lifecycle flows.
func recordSizes(ctx context.Context, in *insight.Service, every time.Duration, logger *slog.Logger) {
	repeat(ctx, every, func() {
		if err := in.RecordHistory(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("record segment sizes and lifecycle", "error", err)
		}
	})
}

// repeat runs fn every period until ctx ends.
func repeat(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// openInsight loads the intelligence service for a server.
func openInsight(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger) (*insight.Service, error) {
	return openInsightWith(ctx, cfg, st, logger, 0)
}

// openInsightWith is openInsight with the least time between two recorded
// lifecycle flows (0: the default).
func openInsightWith(ctx context.Context, cfg config.Config, st store.Store, logger *slog.Logger, flowEvery time.Duration) (*insight.Service, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return insight.Open(ctx, st, insight.Options{DataDir: cfg.DataDir, Location: loc, Logger: logger, FlowEvery: flowEvery})
}

// serve serves the API on addr until ctx ends, then drains requests for up
// to ten seconds. ready, when set, is called once the port is open.
func serve(ctx context.Context, env Env, addr, dataDir string, st store.Store, in *insight.Service, logger *slog.Logger, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	mk, err := openMarketing(ctx, env, st, in, logger, "http://"+ln.Addr().String(), dataDir)
	if err != nil {
		ln.Close()
		return err
	}
	go func() {
		if err := mk.Campaigns.Run(ctx); err != nil {
			logger.Error("campaign dispatcher stopped", "error", err)
		}
	}()
	srv := &http.Server{
		Handler: env.NewHandler(Services{Store: st, Resolver: identity.NewResolver(identity.DefaultPolicy()), Insight: in,
			Marketing: mk, Recommend: env.Recommend, Logger: logger}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	url := "http://" + ln.Addr().String()
	logger.Info("serving the API", "url", url)
	if ready != nil {
		ready(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}
