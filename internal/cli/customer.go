package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

func runCustomer(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta customer show REF [--as-of DATE] [--json]; REF is an id, an e-mail, a phone or SOURCE:ID"
	if done, err := subcommand(env, args, help, "show"); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "customer show", &cfg)
	asOfFlag := fs.String("as-of", "", "show orders and events up to this date (YYYY-MM-DD or RFC 3339)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("name one customer: an id, an e-mail, a phone (phone:+44...) or SOURCE:ID")
	}
	var asOf time.Time
	if *asOfFlag != "" {
		if asOf, err = parseAsOf(*asOfFlag); err != nil {
			return usageErr("--as-of: %v", err)
		}
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := profile.Lookup(ctx, st, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no customer matches %q (try an internal id, an e-mail, phone:NUMBER or SOURCE:ID)", pos[0])
	}
	if err != nil {
		return err
	}
	p, err := profile.Build(ctx, st, id, asOf)
	if err != nil {
		return err
	}
	intel, err := customerIntel(ctx, env, cfg, st, id, asOf)
	if err != nil {
		return err
	}
	if *asJSON {
		if intel == nil {
			return writeJSON(env.Stdout, p)
		}
		return writeJSON(env.Stdout, struct {
			profile.Profile
			Intel map[string]any `json:"intelligence"`
		}{p, intel})
	}
	printProfile(env.Stdout, p)
	printIntel(env.Stdout, intel)
	return nil
}

// customerIntel computes the intelligence part of a profile: from the saved
// feature table, or as of asOf when one is given (computed, not saved).
func customerIntel(ctx context.Context, env Env, cfg config.Config, st store.Store, id int64, asOf time.Time) (map[string]any, error) {
	loc, err := cfg.Location()
	if err != nil {
		return nil, err
	}
	s, err := insight.Open(ctx, st, insight.Options{DataDir: cfg.DataDir, Location: loc,
		Logger: quietLogger(env.Stderr, cfg.LogLevel)})
	if err != nil {
		return nil, err
	}
	if !asOf.IsZero() && !asOf.Equal(s.Table().AsOf) {
		if _, err := s.Recompute(ctx, asOf, false); err != nil {
			return nil, err
		}
	}
	return s.Customer(ctx, id)
}

func printIntel(w io.Writer, in map[string]any) {
	if in == nil {
		fmt.Fprintln(w, "\nNo features yet: run 'sagitta features compute'.")
		return
	}
	rfm := in["rfm"].(map[string]any)
	asOf, _ := in["features_as_of"].(time.Time)
	score := unknown
	if r, f, m := rfm["r"], rfm["f"], rfm["m"]; r != nil && f != nil && m != nil {
		score = showNumber(r) + showNumber(f) + showNumber(m)
	}
	recency := showNumber(rfm["recency_days"])
	if recency != unknown {
		recency += " days"
	}
	fmt.Fprintf(w, "\nAs of %s: RFM %s (%s), recency %s, frequency %s, monetary %s; class %s; lifecycle %s; price sensitivity %s\n",
		asOf.Format("2006-01-02 15:04"), score, showText(rfm["segment"]), recency, showNumber(rfm["frequency"]),
		showMoney(rfm["monetary"]), showText(in["value_loyalty_class"]), showText(in["lifecycle_stage"]), showNumber(in["price_sensitivity"]))
	printPredictions(w, in["features"])
	if tags, ok := in["tags"].([]tag.Why); ok {
		fmt.Fprint(w, "Tags:")
		for _, t := range tags {
			if t.Member {
				fmt.Fprintf(w, " %s", t.Tag)
			}
		}
		fmt.Fprintln(w)
	}
}

// unknown is how customer show prints a value the store or the features do
// not have (JSON has null or leaves it out).
const unknown = "unknown"

// showMoney prints an amount with two decimals, never float noise like
// 5391.209999999999.
func showMoney(v any) string {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return unknown
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// showNumber prints a number rounded to two decimals in its shortest form
// (4, 0.35, 12.5).
func showNumber(v any) string {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return unknown
	}
	r := math.Round(f*100) / 100
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func showText(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return unknown
}

// parseAsOf reads a date (end of that day, UTC) or an RFC 3339 instant.
func parseAsOf(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or RFC 3339", s)
	}
	return d.Add(24*time.Hour - time.Microsecond), nil
}

func printProfile(w io.Writer, p profile.Profile) {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return unknown
		}
		return t.UTC().Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "Customer %d (since %s)\n", p.ID, ts(p.CreatedAt))
	fmt.Fprintln(w, "\nIdentities:")
	for _, i := range p.Identities {
		ns := ""
		if i.Namespace != "" {
			ns = i.Namespace + ":"
		}
		fmt.Fprintf(w, "  %-6s %s%s   (from %s, %s)\n", i.Kind, ns, i.Value, i.Source, ts(i.FirstSeen))
	}
	if len(p.MergedFrom) > 0 {
		fmt.Fprintln(w, "\nMerged:")
		for _, m := range p.MergedFrom {
			fmt.Fprintf(w, "  customer %d into %d: both had %s %s (seen in %s, %s)\n", m.Merged, m.Into, m.Kind, m.Value, m.Source, ts(m.At))
		}
	}
	if len(p.Attributes) > 0 {
		fmt.Fprintln(w, "\nAttributes:")
		for _, a := range p.Attributes {
			fmt.Fprintf(w, "  %-12s %-30s from %s at %s (%s)\n", a.Name, a.Value, a.Source, ts(a.ObservedAt), a.Rule)
		}
	}
	if len(p.InvalidValues) > 0 {
		fmt.Fprintln(w, "\nRefused values:")
		for _, v := range p.InvalidValues {
			fmt.Fprintf(w, "  %-12s %q from %s: %s\n", v.Name, v.Value, v.Source, v.Problem)
		}
	}
	if len(p.Consent) > 0 {
		fmt.Fprintln(w, "\nConsent:")
		for _, c := range p.Consent {
			fmt.Fprintf(w, "  %-6s %-8s from %s at %s\n", c.Channel, c.Status, c.Source, ts(c.At))
		}
	}
	s := p.OrderSummary
	fmt.Fprintf(w, "\nOrders: %d sales, %d cancellations/returns, revenue %.2f, refunded %.2f, first %s, last %s\n",
		s.Orders, s.Cancellations, s.Revenue, s.Refunded, ts(s.FirstOrder), ts(s.LastOrder))
	for _, o := range p.RecentOrders {
		fmt.Fprintf(w, "  %s  %-6s %-14s %3d lines  %10.2f  %s\n", ts(o.PlacedAt), o.Kind, o.ExtID, len(o.Lines), o.Total, o.Source)
	}
	if len(p.RecentEvents) > 0 {
		fmt.Fprintln(w, "\nRecent events:")
		for _, e := range p.RecentEvents {
			fmt.Fprintf(w, "  %s  %-14s %s\n", ts(e.At), e.Type, e.Item)
		}
	}
}
