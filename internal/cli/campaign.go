package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// openMarketing builds offers, policy and campaigns with the channels the
// environment configures (SAGITTA_SMTP_*, SAGITTA_SMS_WEBHOOK, ...).
// dataDir keeps the acceptance journals of the dispatcher.
func openMarketing(ctx context.Context, env Env, st store.Store, in *insight.Service, logger *slog.Logger, publicURL, dataDir string) (*marketing.Service, error) {
	mc := marketing.FromEnv(env.Getenv)
	mc.DataDir = dataDir
	if mc.PublicURL == "" {
		mc.PublicURL = publicURL
	}
	mc.Logger = logger
	mc.Location = in.Location() // the shop's time zone (--timezone)
	mc.Recommend = marketing.Recommender(env.Recommend, st)
	if err := marketing.MeasureFromEnv(mc.Measure, env.Getenv); err != nil {
		return nil, err
	}
	return marketing.Open(ctx, st, in, mc)
}

// withMarketing opens the store, the intelligence and the marketing services.
func withMarketing(ctx context.Context, env Env, cfg config.Config, fn func(st store.Store, m *marketing.Service) error) error {
	return withInsight(ctx, env, cfg, func(st store.Store, in *insight.Service) error {
		m, err := openMarketing(ctx, env, st, in, quietLogger(env.Stderr, cfg.LogLevel), "http://"+cfg.Addr, cfg.DataDir)
		if err != nil {
			return err
		}
		return fn(st, m)
	})
}

// readDoc reads FILE ("-": standard input) as YAML or JSON into v, which
// may be a list of documents or one; fields must be known.
func readDoc(env Env, file string, one, many any) (bool, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(env.Stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return false, err // a file that cannot be read is a failure, not a misuse
	}
	trim := bytes.TrimSpace(data)
	isList := len(trim) > 0 && (trim[0] == '[' || trim[0] == '-')
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	target := one
	if isList {
		target = many
	}
	if err := dec.Decode(target); err != nil {
		return false, fmt.Errorf("read %s: %w", file, err)
	}
	return isList, nil
}

func runOffer(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta offer {create FILE | list | show NAME | why OFFER CUSTOMER} [--json]\n" +
		"  FILE is YAML or JSON with one offer or a list; fields: name, type (coupon_amount, coupon_percent, threshold,\n" +
		"  free_shipping, gift, content), amount, percent, threshold, gift, content, code (none, shared, unique),\n" +
		"  shared_code, prefix, valid_from, valid_until, budget_count, budget_cost, unit_cost, per_customer,\n" +
		"  segment, rule, script, value"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "offer "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"create": 1, "list": 0, "show": 1, "why": 2}
	if n, ok := want[args[0]]; !ok || len(pos) != n {
		return usageErr(help)
	}
	return withMarketing(ctx, env, cfg, func(st store.Store, m *marketing.Service) error {
		switch args[0] {
		case "create":
			saved, err := createAll(env, pos[0], func(o offer.Offer) (offer.Saved, error) { return m.Offers.Save(ctx, o, "cli") })
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, saved)
			}
			for _, s := range saved {
				fmt.Fprintf(env.Stdout, "saved offer %s version %d: %s\n", s.Name, s.Version, s.Summary())
			}
			return nil
		case "list":
			offers := m.Offers.List()
			if *asJSON {
				return writeJSON(env.Stdout, offers)
			}
			tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tOFFER\tVALID UNTIL\tBUDGET\tISSUED")
			for _, o := range offers {
				use, err := st.OfferUse(ctx, o.Name)
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", o.Name, o.Type, o.Summary(), o.LastDay(m.Insight.Location()), budget(&o.Offer), use.Count)
			}
			return tw.Flush()
		case "show":
			o, err := m.Offers.Get(pos[0])
			if err != nil {
				return err
			}
			use, err := st.OfferUse(ctx, o.Name)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, map[string]any{"offer": o, "issued": use.Count, "cost": use.Cost, "remaining": offer.Remaining(&o.Offer, use)})
			}
			fmt.Fprintf(env.Stdout, "%s v%d (%s): %s\n  valid: %s to %s\n  budget: %s; issued %d (cost %.2f)\n  per customer: %d\n  eligibility: segment %q rule %q\n",
				o.Name, o.Version, o.Type, o.Summary(), fmtTime(o.ValidFrom), fmtTime(o.ValidUntil), budget(&o.Offer), use.Count, use.Cost,
				o.PerCustomer, o.Segment, o.Rule)
			return nil
		}
		id, err := profile.Lookup(ctx, st, pos[1])
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no customer matches %q", pos[1])
		}
		if err != nil {
			return err
		}
		v, err := m.Offers.Why(ctx, pos[0], id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, v)
		}
		verdict := "NOT eligible"
		if v.Eligible {
			verdict = "eligible"
		}
		fmt.Fprintf(env.Stdout, "customer %d, offer %s: %s — %s\n", id, v.Offer, verdict, v.Reason)
		for _, c := range v.Checks {
			mark := "ok  "
			if !c.Pass {
				mark = "FAIL"
			}
			fmt.Fprintf(env.Stdout, "  %s %-15s %s\n", mark, c.Check, c.Detail)
			if c.Rule != nil {
				fmt.Fprintf(env.Stdout, "       rule: %s\n", c.Rule.Rule)
				for _, val := range c.Rule.Values {
					fmt.Fprintf(env.Stdout, "       %s (%s) = %v\n", val.Name, val.Kind, orUnknown(val.Value))
				}
			}
		}
		return nil
	})
}

func orUnknown(v any) any {
	if v == nil {
		return "unknown"
	}
	return v
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return t.UTC().Format(time.RFC3339)
}

func budget(o *offer.Offer) string {
	var parts []string
	if o.BudgetCount > 0 {
		parts = append(parts, fmt.Sprintf("%d issues", o.BudgetCount))
	}
	if o.BudgetCost > 0 {
		parts = append(parts, fmt.Sprintf("cost %.2f", o.BudgetCost))
	}
	return strings.Join(parts, ", ")
}

func runPolicy(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta policy {show [--json] | apply FILE | default}\n" +
		"  the table maps value_loyalty_class, price sensitivity, lifecycle and churn risk to offer types and depth;\n" +
		"  'default' prints the built-in table (YAML) to start from"
	if done, err := subcommand(env, args, help); done {
		return err
	}
	if args[0] == "default" {
		_, err := env.Stdout.Write(offer.DefaultPolicy().YAML())
		return err
	}
	var cfg config.Config
	fs := flags(env, "policy "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if !(args[0] == "show" && len(pos) == 0) && !(args[0] == "apply" && len(pos) == 1) {
		return usageErr(help)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "show" {
		p, err := offer.LoadPolicy(ctx, st)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, p)
		}
		_, err = env.Stdout.Write(p.YAML())
		return err
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	p, err := offer.ParsePolicy(data)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	v, err := offer.SavePolicy(ctx, st, p, "cli", time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "applied policy version %d (%d rows)\n", v, len(p.Rows))
	return nil
}

func runCampaign(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta campaign {create FILE | list | show NAME | preview NAME [--sample N] | launch NAME [--detach] |\n" +
		"  resume NAME | pause NAME | status NAME} [--json]\n" +
		"  FILE is YAML or JSON: name, segment or rule, offer, channels (email, sms, push, call), subject, body, script,\n" +
		"  include_grey, start_at. Templates are Go text/template over .Name .Code .Offer.Summary .Unsubscribe ...\n" +
		"  Channels come from the environment: SAGITTA_SMTP_ADDR, SAGITTA_SMTP_FROM, SAGITTA_SMTP_USER, SAGITTA_SMTP_PASSWORD,\n" +
		"  SAGITTA_SMTP_TLS (starttls|tls|none), SAGITTA_SMS_WEBHOOK, SAGITTA_PUSH_WEBHOOK, SAGITTA_WEBHOOK_SECRET, SAGITTA_PUBLIC_URL.\n" +
		"  launch and resume dispatch in the foreground until the campaign is done (--detach: leave it to 'sagitta serve').\n" + loopHelp
	if done, err := subcommand(env, args, help); done {
		return err
	}
	if args[0] == "report" || args[0] == "why" {
		return runCampaignLoop(ctx, env, args)
	}
	var cfg config.Config
	fs := flags(env, "campaign "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	sample := fs.Int("sample", 3, "preview: rendered messages to show")
	detach := fs.Bool("detach", false, "launch: queue only; a running 'sagitta serve' dispatches")
	upliftModel := fs.String("uplift-model", "", "create: attach an uplift model file (sagitta uplift train) to the campaigns")
	budget := budgetFlags(fs)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"create": 1, "list": 0, "show": 1, "preview": 1, "launch": 1, "resume": 1, "pause": 1, "status": 1}
	if n, ok := want[args[0]]; !ok || len(pos) != n {
		return usageErr(help)
	}
	return withMarketing(ctx, env, cfg, func(st store.Store, m *marketing.Service) error {
		cs := m.Campaigns
		show := func(v any, text func()) error {
			if *asJSON {
				return writeJSON(env.Stdout, v)
			}
			text()
			return nil
		}
		switch args[0] {
		case "create":
			saved, err := createAll(env, pos[0], func(c campaign.Campaign) (campaign.Saved, error) {
				one := []campaign.Campaign{c}
				if err := attachModel(one, *upliftModel); err != nil {
					return campaign.Saved{}, err
				}
				return cs.Save(ctx, one[0], "cli")
			})
			if err != nil {
				return err
			}
			return show(saved, func() {
				for _, s := range saved {
					fmt.Fprintf(env.Stdout, "saved campaign %s version %d\n", s.Name, s.Version)
				}
			})
		case "list":
			list := cs.List()
			var sts []campaign.Status
			for _, c := range list {
				s, err := cs.Status(ctx, c.Name)
				if err != nil {
					return err
				}
				sts = append(sts, s)
			}
			return show(sts, func() {
				tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tSTATE\tAUDIENCE\tSENT\tDROPPED\tPENDING")
				for _, s := range sts {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", s.Campaign, s.State, s.Audience, s.Deliveries[store.DeliverySent],
						s.Deliveries[store.DeliveryDropped], s.Deliveries[store.DeliveryPending])
				}
				tw.Flush()
			})
		case "show":
			c, err := cs.Get(pos[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, c)
			}
			out, _ := yaml.Marshal(c.Campaign)
			_, err = env.Stdout.Write(out)
			return err
		case "preview":
			p, err := cs.Preview(ctx, pos[0], *sample)
			if err != nil {
				return err
			}
			if budget.set(fs) {
				return previewBudget(ctx, env, fs, cs, p, budget, *asJSON)
			}
			return show(p, func() { printPreview(env.Stdout, p) })
		case "pause":
			if err := cs.Pause(ctx, pos[0]); err != nil {
				return err
			}
		case "launch":
			lo, err := budget.launch(fs)
			if err != nil {
				return err
			}
			if _, err := cs.LaunchWith(ctx, pos[0], lo); err != nil {
				return err
			}
			if !*detach {
				if err := dispatch(ctx, env, cs, pos[0]); err != nil {
					return err
				}
			}
		case "resume":
			s, err := cs.Status(ctx, pos[0])
			if err != nil {
				return err
			}
			if s.State == store.RunPaused {
				err = cs.Resume(ctx, pos[0])
			} else {
				err = cs.ResumeAfterCrash(ctx, pos[0])
			}
			if err != nil {
				return err
			}
			if !*detach {
				if err := dispatch(ctx, env, cs, pos[0]); err != nil {
					return err
				}
			}
		}
		s, err := cs.Status(ctx, pos[0])
		if err != nil {
			return err
		}
		return show(s, func() { printStatus(env.Stdout, s) })
	})
}

// dispatch runs the dispatcher until the campaign has no more work here,
// showing progress on a terminal.
func dispatch(ctx context.Context, env Env, cs *campaign.Service, name string) error {
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- cs.Run(dctx) }()
	if isTerminal(env.Stderr) {
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-dctx.Done():
					return
				case <-t.C:
					if s, err := cs.Status(dctx, name); err == nil {
						fmt.Fprintf(env.Stderr, "\r%s: %d of %d decided, %d sent   ", name, s.Audience-s.Remaining, s.Audience, s.Deliveries[store.DeliverySent])
					}
				}
			}
		}()
	}
	err := cs.Wait(ctx, name)
	stop()
	if rerr := <-done; rerr != nil && err == nil {
		err = rerr
	}
	if isTerminal(env.Stderr) {
		fmt.Fprintln(env.Stderr)
	}
	return err
}

func printStatus(w io.Writer, s campaign.Status) {
	fmt.Fprintf(w, "%s: %s, audience %s, remaining %s\n", s.Campaign, s.State, thousands(s.Audience), thousands(s.Remaining))
	keys := make([]string, 0, len(s.Deliveries))
	for k := range s.Deliveries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-8s %s\n", k, thousands(s.Deliveries[k]))
	}
}

func printPreview(w io.Writer, p campaign.Preview) {
	fmt.Fprintf(w, "%s: %s selected, %s in the audience, %s would be sent now\n", p.Campaign, thousands(p.Selected), thousands(p.Audience), thousands(p.Sendable))
	for _, ch := range sortedKeys(p.ByChannel) {
		fmt.Fprintf(w, "  via %-6s %s\n", ch, thousands(p.ByChannel[ch]))
	}
	if len(p.Dropped) > 0 {
		fmt.Fprintln(w, "dropped by rule:")
		for _, k := range sortedKeys(p.Dropped) {
			fmt.Fprintf(w, "  %-16s %s\n", k, thousands(p.Dropped[k]))
		}
	}
	printHoldout(w, p.Holdout)
	for i, m := range p.Sample {
		fmt.Fprintf(w, "--- sample %d: customer %d via %s to %s\n", i+1, m.CustomerID, m.Channel, m.To)
		if m.Subject != "" {
			fmt.Fprintf(w, "Subject: %s\n", m.Subject)
		}
		fmt.Fprintln(w, strings.TrimRight(m.Body+m.Script, "\n"))
	}
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func runContact(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta contact rules [FILE] [--json]\n" +
		"  without FILE shows the contact rules; with FILE (YAML or JSON) replaces them:\n" +
		"  caps: [{channel: \"*\"|email|sms|push|call, max: N, window: 24h|7d}], quiet_start: \"21:00\", quiet_end: \"08:00\"\n" +
		"  (\"\" for none), opt_out_only: [channels where no recorded decision means consent]"
	if done, err := subcommand(env, args, help, "rules"); done {
		return err
	}
	var cfg config.Config
	fs := flags(env, "contact rules", &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr(help)
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if len(pos) == 1 {
		var r contact.Rules
		if _, err := readDoc(env, pos[0], &r, &r); err != nil {
			return err
		}
		if err := marketing.SaveRules(ctx, st, r, "cli", time.Now()); err != nil {
			return fmt.Errorf("%s: %w", pos[0], err)
		}
	}
	r, err := marketing.LoadRules(ctx, st)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, r)
	}
	out, _ := yaml.Marshal(r)
	_, err = env.Stdout.Write(out)
	return err
}

// isHelp reports a request for a command's help in place of a subcommand.
func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help")
}

// subcommand answers what every command with subcommands answers alike:
// -h, --help or help prints its help (exit 0); no subcommand, or one not
// in only (when given), is a usage error (exit 2). done reports that the
// command has nothing more to do, err what it returns.
func subcommand(env Env, args []string, help string, only ...string) (done bool, err error) {
	switch {
	case isHelp(args):
		fmt.Fprintln(env.Stdout, help)
		return true, nil
	case len(args) == 0, len(only) > 0 && !slices.Contains(only, args[0]):
		return true, usageErr(help)
	}
	return false, nil
}

// createAll reads one definition or a list from file and saves each.
func createAll[T, S any](env Env, file string, save func(T) (S, error)) ([]S, error) {
	var one T
	var many []T
	list, err := readDoc(env, file, &one, &many)
	if err != nil {
		return nil, err
	}
	if !list {
		many = []T{one}
	}
	saved := make([]S, 0, len(many))
	for _, v := range many {
		s, err := save(v)
		if err != nil {
			return nil, err
		}
		saved = append(saved, s)
	}
	return saved, nil
}
