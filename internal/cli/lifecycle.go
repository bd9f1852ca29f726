package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/lifecycle"
	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// runLifecycle implements "sagitta lifecycle flows".
func runLifecycle(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta lifecycle flows [--from DATE] [--to DATE] [--all] [--json]"
	if done, err := subcommand(env, args, help, "flows"); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "lifecycle flows", &cfg)
	fromFlag := fs.String("from", "", "earliest as-of (YYYY-MM-DD or RFC 3339)")
	toFlag := fs.String("to", "", "latest as-of (YYYY-MM-DD: its end, or RFC 3339)")
	all := fs.Bool("all", false, "print every period with flows in the range, not only the latest")
	asJSON := fs.Bool("json", false, "print every snapshot in the range (stage counts, flows) as JSON, as GET /v1/lifecycle/flows")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	from, err := lifecycle.ParseBound(*fromFlag, false)
	if err != nil {
		return usageErr("--from: %v", err)
	}
	to, err := lifecycle.ParseBound(*toFlag, true)
	if err != nil {
		return usageErr("--to: %v", err)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	snaps, err := st.LifecycleSnapshots(ctx, from, to)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, lifecycle.NewReport(snaps))
	}
	var periods []store.LifecycleSnapshot
	for _, s := range snaps {
		if s.HasFlows() {
			periods = append(periods, s)
		}
	}
	if len(periods) == 0 {
		fmt.Fprintf(env.Stdout, "No lifecycle flows recorded in this range (%d snapshots with stage counts). "+
			"Flows are recorded when the features are recomputed or advanced at least a day later (sagitta serve does it).\n", len(snaps))
		return nil
	}
	if !*all {
		periods = periods[len(periods)-1:]
	}
	for i, p := range periods {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		printFlows(env.Stdout, p)
	}
	return nil
}

// printFlows prints one period's flows as a matrix: a row per stage the
// customers were in, a column per stage they are in now.
func printFlows(w io.Writer, p store.LifecycleSnapshot) {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	fmt.Fprintf(w, "Lifecycle flows from %s to %s (as of; recorded %s)\n", day(p.PrevAsOf), day(p.AsOf), day(p.At))
	m := lifecycle.MatrixOf(p.Flows, rfm.Stages())
	name := func(s, empty string) string {
		if s == "" {
			return empty
		}
		return s
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "from \\ to\t")
	for _, s := range m.To {
		fmt.Fprintf(tw, "%s\t", name(s, "(left)"))
	}
	fmt.Fprintln(tw, "total\t")
	for i, s := range m.From {
		fmt.Fprintf(tw, "%s\t", name(s, "(entered)"))
		var total int64
		for _, n := range m.Cells[i] {
			fmt.Fprintf(tw, "%s\t", thousands(n))
			total += n
		}
		fmt.Fprintf(tw, "%s\t\n", thousands(total))
	}
	tw.Flush()
}
