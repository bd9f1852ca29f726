package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/synth"
)

func runGenerate(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "generate")
	customers := fs.Int("customers", 50_000, "number of people in the synthetic shop")
	events := fs.Float64("events-per-customer", 10, "mean behaviour events per person")
	seed := fs.Int64("seed", 1, "random seed; the same seed gives the same files")
	out := fs.String("out", "", "directory to write the files to (required)")
	asJSON := fs.Bool("json", false, "print the manifest as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr("--out DIR is required")
	}
	if *customers <= 0 {
		return usageErr("--customers must be positive")
	}
	m, err := generate(ctx, env, *out, synth.Options{Customers: *customers, Seed: *seed, EventsPerCustomer: *events})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, m)
	}
	for _, f := range m.Files {
		fmt.Fprintf(env.Stdout, "%-10s %-6s %12s rows  %s\n", f.Kind, f.Source, thousands(f.Rows), f.Path)
	}
	return nil
}

// flagSetOnly is a flag set without the store flags.
func flagSetOnly(env Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sagitta "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func generate(ctx context.Context, env Env, dir string, opts synth.Options) (synth.Manifest, error) {
	var bar *progressBar
	if isTerminal(env.Stderr) {
		bar = &progressBar{w: env.Stderr, label: "generate"}
		start := time.Now()
		opts.Progress = func(done, total int64) {
			bar.update(ingest.Progress{Bytes: done, TotalBytes: total, Rows: done, Elapsed: time.Since(start)})
		}
	}
	m, err := synth.Generate(ctx, dir, opts)
	bar.done()
	if err != nil {
		return m, fmt.Errorf("generate into %s: %w", dir, err)
	}
	return m, nil
}

// importOrder is the order in which a demo's files are imported: the
// catalogue, then customers, then what refers to them.
var importOrder = map[string]int{"items": 0, "customers": 1, "orders": 2, "events": 3}

// demoFlowDays is how far before the shop's last day the demo computes
// the features first, for a lifecycle flow over that period.
const demoFlowDays = 30

func runDemo(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "demo", &cfg)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address of the API")
	customers := fs.Int("customers", 50_000, "number of people in the synthetic shop")
	seed := fs.Int64("seed", 1, "random seed")
	noServe := fs.Bool("no-serve", false, "import and stop; do not serve the API")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if cfg.Postgres == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	out := env.Stdout
	dir := filepath.Join(cfg.DataDir, "demo-input", fmt.Sprintf("shop-%d-seed-%d", *customers, *seed))
	m, err := readManifest(dir)
	if err != nil {
		fmt.Fprintf(out, "Generating a synthetic shop of %s customers in %s ...\n", thousands(int64(*customers)), dir)
		if m, err = generate(ctx, env, dir, synth.Options{Customers: *customers, Seed: *seed}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(out, "Using the synthetic shop already in %s\n", dir)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	loc, _ := cfg.Location()
	files := append([]synth.File(nil), m.Files...)
	sort.SliceStable(files, func(i, j int) bool { return importOrder[files[i].Kind] < importOrder[files[j].Kind] })
	res := identity.NewResolver(identity.DefaultPolicy())
	for _, f := range files {
		kind, err := ingest.ParseKind(f.Kind)
		if err != nil {
			return err
		}
		opts := ingest.Options{Kind: kind, Source: f.Source, Location: loc,
			Rejects: filepath.Join(cfg.DataDir, "rejects", "demo-"+filepath.Base(f.Path)+".csv")}
		var bar *progressBar
		if isTerminal(env.Stderr) {
			bar = &progressBar{w: env.Stderr, label: "import " + f.Kind}
			opts.Progress = bar.update
		}
		sum, err := ingest.Import(ctx, st, res, []string{f.Path}, opts)
		bar.done()
		if err != nil {
			return fmt.Errorf("import %s: %w", f.Path, err)
		}
		fmt.Fprintf(out, "  %-9s %-5s read %9s  imported %9s  updated %7s  duplicates %9s  rejected %6s  merged %6s  %5.1fs\n",
			f.Kind, f.Source, thousands(sum.Read), thousands(sum.Imported), thousands(sum.Updated), thousands(sum.Duplicates),
			thousands(sum.Rejected), thousands(sum.Merged), sum.Seconds)
	}
	s, err := st.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nThe store now holds %s customers (one record per person, merged across crm, shop and pos), %s orders (%s anonymous), %s order lines, %s events, %s items.\n",
		thousands(s.Customers), thousands(s.Orders), thousands(s.AnonymousOrders), thousands(s.OrderLines),
		thousands(s.Events), thousands(s.Items))
	logger := newLogger(env.Stderr, cfg.LogLevel)
	in, err := openInsight(ctx, cfg, st, quietLogger(env.Stderr, cfg.LogLevel))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "\nFitting the lifetime-value (BG/NBD + Gamma-Gamma) and churn models ...")
	if err := in.TrainModels(ctx); err != nil { // over the store: no features needed
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(out, "  (a model could not be trained: %v)\n", err)
	}
	// Computed as of a month before the shop's last day first, so that the
	// lifecycle snapshot of the last day has flows between stages to show.
	fmt.Fprintf(out, "Computing features, RFM, value-loyalty classes, lifecycle stages, tags and segments, scoring every customer,\n"+
		"as of %s and %s (the lifecycle flows of that month) ...\n", m.End.AddDate(0, 0, -demoFlowDays).Format(time.DateOnly), m.End.Format(time.DateOnly))
	if _, err := in.Recompute(ctx, m.End.AddDate(0, 0, -demoFlowDays), true); err != nil {
		return err
	}
	tbl, err := in.Recompute(ctx, m.End, true)
	if err != nil {
		return err
	}
	printFeatureSummary(out, tbl.Summarize())
	fmt.Fprintln(out, "\nTraining the recommender (implicit ALS, item-kNN, cart-completion rules) on the orders ...")
	train := []string{"train", "--from-store", "--data-dir", cfg.DataDir}
	if cfg.Postgres != "" {
		train = append(train, "--postgres", cfg.Postgres)
	}
	quiet := env
	quiet.Stdout = io.Discard
	if err := runRecommend(ctx, quiet, train); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(out, "  (not trained: %v)\n", err)
	} else if h, ok, _ := recModelHeader(cfg.DataDir); ok {
		printRecEval(out, h)
	}
	if *noServe {
		fmt.Fprintf(out, "\nTry: sagitta customer show 1 --data-dir %s\n     sagitta segment count 'class_b and at_risk' --data-dir %s\n", cfg.DataDir, cfg.DataDir)
		return nil
	}
	secret, k, err := apikey.Generate("admin", "demo", time.Now())
	if err != nil {
		return err
	}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		return err
	}
	stop := maintain(in, insight.MaintainOptions{})
	defer stop()
	env.Recommend = startRecommender(ctx, cfg.DataDir, st, 10*time.Second, logger)
	return serve(ctx, env, cfg.Addr, cfg.DataDir, st, in, logger, func(url string) {
		demoHelp(out, url, secret)
	})
}

func demoHelp(w io.Writer, url, secret string) {
	fmt.Fprintf(w, `
The API is up at %[1]s (Ctrl-C stops it). An admin key for this demo:

  export SAGITTA_KEY=%[2]s

The console is at %[1]s/ : log in with that key.

  curl -s %[1]s/v1/stats -H "Authorization: Bearer $SAGITTA_KEY"
  curl -s %[1]s/v1/customers/1 -H "Authorization: Bearer $SAGITTA_KEY"
  curl -s %[1]s/v1/segments/count -H "Authorization: Bearer $SAGITTA_KEY" -d '{"rule":"class_b and at_risk"}'
  curl -s %[1]s/v1/tags -H "Authorization: Bearer $SAGITTA_KEY"
  curl -s %[1]s/v1/openapi.json

`, url, secret)
}

func readManifest(dir string) (synth.Manifest, error) {
	var m synth.Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, err
	}
	if len(m.Files) == 0 {
		return m, errors.New("empty manifest")
	}
	for _, f := range m.Files {
		if _, err := os.Stat(f.Path); err != nil {
			return m, err
		}
	}
	return m, nil
}
