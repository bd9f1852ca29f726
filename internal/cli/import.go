package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runImport(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "import", &cfg)
	var maps multiFlag
	source := fs.String("source", "", "source system the records come from (default: the preset's, else the file name)")
	preset := fs.String("preset", "", "a ready mapping: "+strings.Join(ingest.PresetNames(), ", "))
	fs.Var(&maps, "map", "FIELD=COLUMN[:LAYOUT],... (COLUMN is a header name or a 1-based index; LAYOUT a Go time layout); repeatable")
	delim := fs.String("delimiter", "", "field separator: , ; | tab or whitespace (default: by file name, else ,)")
	noHeader := fs.Bool("no-header", false, "the files have no header line; map columns by number")
	rejects := fs.String("rejects", "", "reject file (default DATA_DIR/rejects/KIND-TIME-PID.csv)")
	batch := fs.Int("batch", 20_000, "records per transaction")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: sagitta import {%s} [flags] FILE...\n\nFlags:\n", strings.Join(kindNames(), "|"))
		fs.PrintDefaults()
		fmt.Fprintln(env.Stderr, "\nFields by kind:")
		for _, k := range ingest.Kinds {
			fmt.Fprintf(env.Stderr, "  %-9s %s\n", k, strings.Join(ingest.FieldNames(k), ", "))
		}
	}
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var kind ingest.Kind
	if len(pos) > 0 {
		if k, err := ingest.ParseKind(pos[0]); err == nil {
			kind, pos = k, pos[1:]
		} else if *preset == "" {
			return usageErr("%v", err)
		}
	}
	if kind == "" && *preset == "" {
		return usageErr("name what to import: sagitta import {%s} FILE...", strings.Join(kindNames(), "|"))
	}
	if len(pos) == 0 {
		return usageErr("no files given")
	}
	loc, err := cfg.Location()
	if err != nil {
		return usageErr("%v", err)
	}
	opts := ingest.Options{Kind: kind, Source: *source, Preset: *preset, Map: maps, Delimiter: *delim,
		NoHeader: *noHeader, Location: loc, Rejects: *rejects, BatchSize: *batch,
		Logger: newLogger(io.Discard, cfg.LogLevel)}
	// a wrong --preset, --map or --source is a mistake in the command line
	if err := ingest.CheckOptions(pos, opts); err != nil {
		return usageErr("%v", err)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if opts.Rejects == "" {
		name := string(kind)
		if name == "" {
			name = *preset
		}
		// microseconds and the process id: two imports in one second keep
		// their own reject files
		opts.Rejects = filepath.Join(cfg.DataDir, "rejects",
			fmt.Sprintf("%s-%s-%d.csv", name, time.Now().UTC().Format("20060102T150405.000000"), os.Getpid()))
	}
	var bar *progressBar
	if isTerminal(env.Stderr) {
		bar = &progressBar{w: env.Stderr, label: "import"}
		opts.Progress = bar.update
	}
	sum, err := ingest.Import(ctx, st, identity.NewResolver(identity.DefaultPolicy()), pos, opts)
	bar.done()
	if err != nil {
		if sum.Read > 0 {
			fmt.Fprintf(env.Stderr, "stopped after %s rows (%s imported); importing the same files again resumes without duplicates\n",
				thousands(sum.Read), thousands(sum.Imported))
		}
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, sum)
	}
	printSummary(env.Stdout, sum)
	return nil
}

func kindNames() []string {
	var s []string
	for _, k := range ingest.Kinds {
		s = append(s, string(k))
	}
	return s
}

func printSummary(w io.Writer, s ingest.Summary) {
	fmt.Fprintf(w, "Imported %s from %s (source %q) in %.1fs\n", s.Kind, strings.Join(s.Files, ", "), s.Source, s.Seconds)
	row := func(label string, n int64) { fmt.Fprintf(w, "  %-18s %12s\n", label, thousands(n)) }
	row("read", s.Read)
	row("imported", s.Imported)
	if s.Updated > 0 {
		row("updated", s.Updated)
	}
	row("duplicates", s.Duplicates)
	row("rejected", s.Rejected)
	if s.CustomersCreated > 0 || s.Merged > 0 {
		row("customers created", s.CustomersCreated)
		row("customers merged", s.Merged)
	}
	if s.InvalidValues > 0 {
		row("invalid values", s.InvalidValues)
	}
	if s.OrdersLinked > 0 {
		row("returns linked", int64(s.OrdersLinked))
	}
	if len(s.IgnoredColumns) > 0 {
		fmt.Fprintf(w, "  ignored columns: %s (map them with --map FIELD=COLUMN)\n", strings.Join(s.IgnoredColumns, ", "))
	}
	if s.RejectsFile != "" {
		fmt.Fprintf(w, "  rejected rows, with line and reason: %s\n", s.RejectsFile)
	}
}

// progressBar draws one line on a terminal.
type progressBar struct {
	w     io.Writer
	label string
	drawn bool
}

func (b *progressBar) update(p ingest.Progress) {
	frac := 0.0
	if p.TotalBytes > 0 {
		frac = float64(p.Bytes) / float64(p.TotalBytes)
	}
	const width = 24
	n := int(frac * width)
	if n > width {
		n = width
	}
	rate := float64(p.Rows) / max(p.Elapsed.Seconds(), 0.001)
	fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%%  %s rows  %s rows/s  %s   ", b.label, strings.Repeat("#", n),
		strings.Repeat(".", width-n), frac*100, thousands(p.Rows), thousands(int64(rate)), filepath.Base(p.File))
	b.drawn = true
}

func (b *progressBar) done() {
	if b != nil && b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
