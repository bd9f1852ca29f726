package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// withInsight opens the store and the intelligence service over it.
func withInsight(ctx context.Context, env Env, cfg config.Config, fn func(st store.Store, s *insight.Service) error) error {
	loc, err := cfg.Location()
	if err != nil {
		return usageErr("%v", err)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := insight.Open(ctx, st, insight.Options{DataDir: cfg.DataDir, Location: loc,
		Logger: quietLogger(env.Stderr, cfg.LogLevel)})
	if err != nil {
		return err
	}
	return fn(st, s)
}

// needFeatures tells the user how to get features when none were computed.
func needFeatures(s *insight.Service) error {
	if s.Table().Len() == 0 {
		return errors.New("no features computed yet: run 'sagitta features compute' first")
	}
	return nil
}

// runFeaturesCmd implements "sagitta features compute|summary".
func runFeaturesCmd(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && args[0] == "summary" {
		return runFeaturesSummary(env, args[1:])
	}
	if len(args) > 0 && args[0] == "settings" {
		return runFeatureSettings(ctx, env, args[1:])
	}
	const help = "usage: sagitta features compute [--as-of DATE] [--json] | sagitta features summary FILE [--json] | " +
		"sagitta features settings [show | apply FILE | example] [--json]"
	if done, err := subcommand(env, args, help, "compute"); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "features compute", &cfg)
	asOfFlag := fs.String("as-of", "", "compute as of this date (YYYY-MM-DD: end of that day) or RFC 3339 instant; default now")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	asOf := time.Now().UTC()
	if *asOfFlag != "" {
		var err error
		if asOf, err = parseAsOf(*asOfFlag); err != nil {
			return usageErr("--as-of: %v", err)
		}
	}
	return withInsight(ctx, env, cfg, func(_ store.Store, s *insight.Service) error {
		start := time.Now()
		t, err := s.Recompute(ctx, asOf, true)
		if err != nil {
			return err
		}
		sum := t.Summarize()
		if *asJSON {
			return writeJSON(env.Stdout, struct {
				AsOf    time.Time `json:"as_of"`
				Seconds float64   `json:"seconds"`
				feature.Summary
			}{asOf, time.Since(start).Seconds(), sum})
		}
		fmt.Fprintf(env.Stdout, "features, tags and segments of %s customers as of %s in %.2fs\n",
			thousands(int64(sum.Customers)), asOf.Format(time.RFC3339), time.Since(start).Seconds())
		printFeatureSummary(env.Stdout, sum)
		return nil
	})
}

// runFeatureSettings implements "sagitta features settings [show | apply FILE | example]".
func runFeatureSettings(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta features settings [show | apply FILE | example] [--json]"
	sub := "show"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var cfg config.Config
	fs := flags(env, "features settings "+sub, &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case sub == "example" && len(pos) == 0:
		_, err := io.WriteString(env.Stdout, feature.SettingsExample)
		return err
	case sub == "apply" && len(pos) == 1, sub == "show" && len(pos) == 0:
	default:
		return usageErr(help)
	}
	var set feature.Settings
	if sub == "apply" {
		data, err := readLimited(pos[0], feature.MaxSettingsSize)
		if err != nil {
			return err
		}
		if set, err = feature.ParseSettings(data); err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	return withInsight(ctx, env, cfg, func(_ store.Store, s *insight.Service) error {
		v := s.Settings()
		if sub == "apply" {
			if v, err = s.PutSettings(ctx, set, "cli"); err != nil {
				return err
			}
		}
		if *asJSON {
			return writeJSON(env.Stdout, v)
		}
		if sub == "apply" {
			fmt.Fprintf(env.Stdout, "feature settings version %d stored; they apply from the next 'sagitta features compute'\n", v.Version)
			return nil
		}
		if v.Version == 0 {
			fmt.Fprintln(env.Stdout, "# no settings stored: every default applies (see 'sagitta features settings example')")
		} else {
			fmt.Fprintf(env.Stdout, "# version %d, %s by %s\n", v.Version, v.CreatedAt.Format(time.RFC3339), v.Author)
		}
		out, err := yaml.Marshal(v.Settings)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(out)
		return err
	})
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

func runTag(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta tag {apply FILE | list | show NAME | delete NAME | builtin} [--json]"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "tag "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "builtin":
		_, err := env.Stdout.Write(tag.BuiltinFile())
		return err
	case "apply", "show", "delete":
		if len(pos) != 1 {
			return usageErr(help)
		}
	case "list":
	default:
		return usageErr("unknown tag command %q; %s", args[0], help)
	}
	return withInsight(ctx, env, cfg, func(_ store.Store, s *insight.Service) error {
		switch args[0] {
		case "apply":
			data, err := os.ReadFile(pos[0])
			if err != nil {
				return err
			}
			defs, err := tag.Parse(pos[0], data)
			if err != nil {
				return err
			}
			applied, err := s.ApplyTags(ctx, defs, "cli")
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, applied)
			}
			for _, g := range []struct {
				what  string
				names []string
			}{{"created", applied.Created}, {"updated", applied.Updated}, {"unchanged", applied.Unchanged}} {
				if len(g.names) > 0 {
					fmt.Fprintf(env.Stdout, "%-9s %d: %s\n", g.what, len(g.names), strings.Join(g.names, ", "))
				}
			}
			return nil
		case "delete":
			return s.Tags.Delete(ctx, pos[0], "cli")
		case "show":
			info, err := s.Tags.Get(pos[0])
			if err != nil {
				return err
			}
			hist, err := s.Tags.History(ctx, pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, struct {
					tag.Info
					History []tag.Version `json:"history"`
				}{info, hist})
			}
			fmt.Fprintf(env.Stdout, "%s (%s) v%d: %s\n  rule: %s\n  members: %s (%.1f%%)\n", info.Name, info.Kind, info.Version,
				info.Description, info.Rule, thousands(int64(info.Count)), 100*info.Share)
			if info.Problem != "" {
				fmt.Fprintf(env.Stdout, "  problem: %s\n", info.Problem)
			}
			for _, v := range hist {
				fmt.Fprintf(env.Stdout, "  version %d at %s by %s\n", v.Version, v.CreatedAt.Format(time.RFC3339), v.Author)
			}
			return nil
		}
		list := s.Tags.List()
		if *asJSON {
			return writeJSON(env.Stdout, list)
		}
		if err := needFeatures(s); err != nil {
			fmt.Fprintln(env.Stderr, err)
		}
		for _, t := range list {
			fmt.Fprintf(env.Stdout, "%-24s %-10s %10s %6.1f%%  %s\n", t.Name, t.Kind, thousands(int64(t.Count)), 100*t.Share, t.Description)
		}
		return nil
	})
}

func runSegment(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta segment {count EXPR | save NAME EXPR | list | show NAME | delete NAME | export NAME [--out FILE]} [--json]"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "segment "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	out := fs.String("out", "", "export: write the CSV here instead of standard output")
	desc := fs.String("description", "", "save: what the segment is for")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"count": 1, "save": 2, "list": 0, "show": 1, "delete": 1, "export": 1}
	n, ok := want[args[0]]
	if !ok {
		return usageErr("unknown segment command %q; %s", args[0], help)
	}
	if len(pos) != n {
		return usageErr(help)
	}
	return withInsight(ctx, env, cfg, func(_ store.Store, s *insight.Service) error {
		switch args[0] {
		case "count":
			if err := needFeatures(s); err != nil {
				return err
			}
			start := time.Now()
			c, err := s.Segs.Count(ctx, pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, map[string]any{"count": c, "ms": float64(time.Since(start).Microseconds()) / 1000})
			}
			fmt.Fprintln(env.Stdout, c)
			return nil
		case "save":
			v, err := s.Segs.Save(ctx, segment.Segment{Name: pos[0], Rule: pos[1], Description: *desc}, "cli")
			if err != nil {
				return err
			}
			info, err := s.Segs.Get(pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, info)
			}
			fmt.Fprintf(env.Stdout, "saved %s version %d: %s customers\n", pos[0], v, thousands(info.Count))
			return nil
		case "show":
			info, err := s.Segs.Get(pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, info)
			}
			fmt.Fprintf(env.Stdout, "%s v%d: %s\n  rule: %s\n  members: %s\n", info.Name, info.Version, info.Description, info.Rule, thousands(info.Count))
			return nil
		case "delete":
			return s.Segs.Delete(ctx, pos[0], "cli")
		case "export":
			var w io.Writer = env.Stdout
			if *out != "" {
				f, err := os.Create(*out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			return s.Segs.Export(ctx, pos[0], w)
		}
		list := s.Segs.List()
		if *asJSON {
			return writeJSON(env.Stdout, list)
		}
		for _, g := range list {
			fmt.Fprintf(env.Stdout, "%-24s %10s  %s\n", g.Name, thousands(g.Count), g.Rule)
		}
		return nil
	})
}

func runAdmission(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta admission {add --list black|white|grey [--reason R] [--expires DATE] FILE | " +
		"rule --list L --name NAME [--reason R] [--expires-after DURATION] RULE | remove --list L ID | list [--list L]} [--json]"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "admission "+args[0], &cfg)
	list := fs.String("list", "", "black (never contacted), white (pre-approved) or grey (flagged for review)")
	reason := fs.String("reason", "", "why these customers are on the list (default for rows without one)")
	expires := fs.String("expires", "", "expiry date (YYYY-MM-DD) for rows without one; default never")
	name := fs.String("name", "", "rule: the rule list's name (lower_snake_case)")
	expiresAfter := fs.Duration("expires-after", 0, "rule: entries expire this long after each run (e.g. 720h); default never")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "add", "remove", "rule":
		if !admission.ValidList(*list) {
			return usageErr("--list: %q is not black, white or grey", *list)
		}
		if len(pos) != 1 {
			return usageErr(help)
		}
	case "list":
	default:
		return usageErr("unknown admission command %q; %s", args[0], help)
	}
	var exp time.Time
	if *expires != "" {
		if exp, err = parseAsOf(*expires); err != nil {
			return usageErr("--expires: %v", err)
		}
	}
	return withInsight(ctx, env, cfg, func(st store.Store, s *insight.Service) error {
		switch args[0] {
		case "rule":
			if err := needFeatures(s); err != nil {
				return err
			}
			rep, err := s.ApplyAdmissionRule(ctx, admission.RuleList{Name: *name, List: *list, Rule: pos[0],
				Reason: *reason, ExpiresAfter: *expiresAfter}, "cli")
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, rep)
			}
			fmt.Fprintf(env.Stdout, "%s: %d customers on the %s list (%d added, %d removed)\n", rep.Name, rep.Members,
				*list, len(rep.Added), len(rep.Removed))
			return nil
		case "add":
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			entries, err := s.Lists.ReadCSV(ctx, f, admission.Upload{List: *list, Reason: *reason, ExpiresAt: exp})
			if err != nil {
				return err
			}
			if err := s.AddAdmission(ctx, entries); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "added %d customers to the %s list\n", len(entries), *list)
			return nil
		case "remove":
			var id int64
			if _, err := fmt.Sscan(pos[0], &id); err != nil {
				return usageErr("remove takes a customer id")
			}
			return s.RemoveAdmission(ctx, *list, id)
		}
		entries := s.Lists.Entries(*list)
		if *asJSON {
			return writeJSON(env.Stdout, entries)
		}
		for _, e := range entries {
			until := "never"
			if !e.ExpiresAt.IsZero() {
				until = e.ExpiresAt.Format("2006-01-02")
			}
			fmt.Fprintf(env.Stdout, "%-6s %10d  expires %-10s  %s (%s)\n", e.List, e.CustomerID, until, e.Reason, e.Source)
		}
		return nil
	})
}
