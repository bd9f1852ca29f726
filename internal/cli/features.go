package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/feature"
)

// runFeatures implements "sagitta features compute|summary". Register it in
// commands() as
//
//	{"features", "compute customer features, RFM, A/B/C classes and lifecycle", runFeatures},
func runFeatures(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta features compute [--as-of DATE] [--out FILE] [--json] | sagitta features summary FILE [--json]"
	if len(args) == 0 {
		return usageErr(help)
	}
	switch args[0] {
	case "compute":
		return runFeaturesCompute(ctx, env, args[1:])
	case "summary":
		return runFeaturesSummary(env, args[1:])
	}
	return usageErr("unknown subcommand %q; %s", args[0], help)
}

func runFeaturesCompute(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "features compute", &cfg)
	asOfFlag := fs.String("as-of", "", "compute as of this date (YYYY-MM-DD: end of that day) or RFC 3339 instant; default now")
	out := fs.String("out", "", "save the feature table to this file")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	asOf := time.Now().UTC()
	if *asOfFlag != "" {
		var err error
		if asOf, err = parseAsOf(*asOfFlag); err != nil {
			return usageErr("--as-of: %v", err)
		}
	}
	loc, err := cfg.Location()
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	t, err := feature.Compute(ctx, st, asOf, feature.Options{Location: loc})
	if err != nil {
		return fmt.Errorf("compute features: %w", err)
	}
	took := time.Since(start)
	if *out != "" {
		if err := saveTable(t, *out); err != nil {
			return err
		}
	}
	s := t.Summarize()
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			AsOf    time.Time `json:"as_of"`
			Seconds float64   `json:"seconds"`
			File    string    `json:"file,omitempty"`
			feature.Summary
		}{asOf, took.Seconds(), *out, s})
	}
	fmt.Fprintf(env.Stdout, "features of %s customers as of %s in %.2fs", thousands(int64(s.Customers)), asOf.Format(time.RFC3339), took.Seconds())
	if *out != "" {
		fmt.Fprintf(env.Stdout, ", saved to %s", *out)
	}
	fmt.Fprintln(env.Stdout)
	printFeatureSummary(env.Stdout, s)
	return nil
}

func runFeaturesSummary(env Env, args []string) error {
	fs := flagSetOnly(env, "features summary")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("usage: sagitta features summary FILE [--json]")
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := feature.Load(f)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	s := t.Summarize()
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			AsOf time.Time `json:"as_of"`
			feature.Summary
		}{t.AsOf, s})
	}
	fmt.Fprintf(env.Stdout, "features of %s customers as of %s\n", thousands(int64(s.Customers)), t.AsOf.Format(time.RFC3339))
	printFeatureSummary(env.Stdout, s)
	return nil
}

// saveTable writes the table to path through a temporary file, so a failed
// save leaves the previous file.
func saveTable(t *feature.Table, path string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := t.Save(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func printFeatureSummary(w io.Writer, s feature.Summary) {
	fmt.Fprintf(w, "buyers %s, revenue %.2f\n\nvalue × loyalty     class  customers  revenue\n", thousands(int64(s.Buyers)), s.Revenue)
	for _, c := range s.Grid {
		fmt.Fprintf(w, "  %-6s × %-6s   %-5s  %9s  %6.1f%%\n", c.Value, c.Loyalty, c.Class, thousands(int64(c.Customers)), 100*c.RevenueShare)
	}
	for _, g := range []struct {
		title  string
		counts []feature.Count
	}{{"classes", s.Classes}, {"RFM segments", s.Segments}, {"lifecycle stages", s.Lifecycle}} {
		fmt.Fprintf(w, "\n%s\n", g.title)
		for _, c := range g.counts {
			fmt.Fprintf(w, "  %-20s %9s  %5.1f%%\n", c.Value, thousands(int64(c.Customers)), 100*c.Share)
		}
	}
	if l := s.LifecycleThresholds; l != nil {
		fmt.Fprintf(w, "\nlifecycle thresholds: new for %g days, silent after %g, churned after %g\n", l.NewFor, l.SilentAfter, l.ChurnAfter)
	}
}
