package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

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
