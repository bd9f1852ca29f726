package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// printHoldout shows the holdout a launch would draw, per stratum.
func printHoldout(w io.Writer, h *campaign.HoldoutPreview) {
	if h == nil {
		return
	}
	fmt.Fprintf(w, "holdout: %s customers (%g%% per campaign", thousands(h.Size), h.Percent)
	if h.GlobalPercent > 0 {
		fmt.Fprintf(w, ", %g%% global", h.GlobalPercent)
	}
	fmt.Fprintf(w, "), stratified by %s\n", h.Stratified)
	for _, k := range slices.Sorted(maps.Keys(h.Strata)) {
		c := h.Strata[k]
		name := k
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, "  %-8s %s of %s\n", name, thousands(int64(c.Holdout)), thousands(int64(c.Audience)))
	}
}

const loopHelp = "usage: sagitta campaign report NAME [--window 7d] [--attribution last|first|split] [--margin M] [--json]\n" +
	"       sagitta campaign why CUSTOMER [--json]\n" +
	"  report: treatment vs holdout over the window after the launch (conversion, revenue per customer, incremental\n" +
	"  revenue and profit after offer cost, uplift with a 95 percent interval and p-value, verdict, KPI before/after).\n" +
	"  why: the arbitration decisions for a customer (campaigns that competed, their scores, the reason) and holdouts.\n" +
	"  create: fields holdout_percent (default 10, 0 allowed), uplift_model (a file of 'sagitta uplift train'),\n" +
	"  conversion_value; --uplift-model FILE attaches a model to every campaign of the file.\n" +
	"  preview NAME --budget B [--cost C] [--redeem-cost R]: the uplift, propensity and random plans within the budget\n" +
	"  (needs an uplift model); launch NAME --target uplift --budget B: treat only the uplift plan (the holdout is still\n" +
	"  drawn from every eligible customer, and the report compares the whole policy with it)."

// runCampaignLoop runs the measurement subcommands of 'sagitta campaign'.
func runCampaignLoop(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "campaign "+args[0], &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	window := fs.String("window", "7d", "report: attribution window after the launch")
	rule := fs.String("attribution", "last", "report: rule for orders several campaigns cover: last, first or split")
	margin := fs.Float64("margin", 1, "report: gross margin of revenue (0 < m <= 1) for the incremental profit")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr(loopHelp)
	}
	opts, err := campaign.ParseReportOptions(*window, *rule)
	if err != nil {
		return usageErr("%v", err)
	}
	if !(*margin > 0 && *margin <= 1) {
		return usageErr("--margin %v: want 0 < margin <= 1", *margin)
	}
	opts.Margin = *margin
	return withMarketing(ctx, env, cfg, func(st store.Store, m *marketing.Service) error {
		switch args[0] {
		case "report":
			r, err := m.Campaigns.Report(ctx, pos[0], opts)
			if err != nil {
				return err
			}
			if *asJSON {
				return writeJSON(env.Stdout, r)
			}
			printReport(env.Stdout, &r)
			return nil
		}
		id, err := profile.Lookup(ctx, st, pos[0])
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no customer matches %q", pos[0])
		}
		if err != nil {
			return err
		}
		w, err := m.CampaignWhy(ctx, id)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, w)
		}
		printWhy(env.Stdout, &w)
		return nil
	})
}

func printReport(w io.Writer, r *campaign.Report) {
	fmt.Fprintf(w, "%s: launched %s, window %s, attribution %s, holdout %s", r.Campaign, r.LaunchedAt.Format(time.RFC3339), r.Window, r.Attribution, r.Assignment)
	if !r.Complete {
		fmt.Fprint(w, " (window not over yet)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "arm\tcustomers\tconversions\trate\trevenue/customer\toffer cost\t")
	for _, a := range []struct {
		name string
		a    measure.Arm
	}{{"treatment", r.Treatment}, {"holdout", r.Holdout}} {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f%%\t%.2f\t%.2f\t\n", a.name, thousands(a.a.Customers), thousands(a.a.Conversions), 100*a.a.ConversionRate,
			a.a.RevenuePerCustomer, a.a.OfferCost)
	}
	tw.Flush()
	pct := func(e measure.Estimate) string {
		return fmt.Sprintf("%+.2f pp (%.0f%% CI %+.2f to %+.2f, p = %.3g)", 100*float64(e.Value), 100*r.Confidence, 100*float64(e.Low), 100*float64(e.High), float64(e.PValue))
	}
	money := func(e measure.Estimate) string {
		return fmt.Sprintf("%+.2f (CI %+.2f to %+.2f)", float64(e.Value), float64(e.Low), float64(e.High))
	}
	fmt.Fprintf(w, "sent %s; orders in the window %d; success rate %.2f%%\n", thousands(r.Sent), r.Orders, 100*r.SuccessRate)
	fmt.Fprintf(w, "uplift              %s\n", pct(r.Uplift))
	fmt.Fprintf(w, "revenue uplift      %s per customer\n", money(r.RevenueUplift))
	fmt.Fprintf(w, "incremental revenue %s\n", money(r.IncrementalRevenue))
	fmt.Fprintf(w, "incremental profit  %s after offer cost\n", money(r.IncrementalProfit))
	if k := r.KPI; k != nil {
		fmt.Fprintf(w, "KPI %s: treatment %.2f -> %.2f, holdout %.2f -> %.2f, difference in differences %s\n", k.Name, k.TreatmentBefore,
			k.TreatmentAfter, k.HoldoutBefore, k.HoldoutAfter, money(k.DiffInDiff))
	}
	fmt.Fprintf(w, "verdict: %s\n", strings.ToUpper(r.Verdict))
	for _, s := range r.Reasons {
		fmt.Fprintf(w, "  - %s\n", s)
	}
}

func printWhy(w io.Writer, y *marketing.Why) {
	if len(y.Decisions) == 0 && len(y.Holdouts) == 0 {
		fmt.Fprintf(w, "customer %d: no arbitration between campaigns and no holdout recorded\n", y.Customer)
		return
	}
	for _, h := range y.Holdouts {
		fmt.Fprintf(w, "%s  held out of %s: %s\n", h.At.Format(time.RFC3339), h.Campaign, h.Detail)
	}
	for _, d := range y.Decisions {
		fmt.Fprintf(w, "%s  decided by %s's dispatch, %d contact(s) left under the caps: %s\n", d.At.Format(time.RFC3339), d.Campaign, d.Cap,
			strings.Join(d.Chosen, ", "))
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RANK\tCAMPAIGN\tUPLIFT\tVALUE\tCOST\tSCORE\tCHOSEN\tREASON")
		for _, c := range d.Candidates {
			fmt.Fprintf(tw, "  %d\t%s\t%.4f\t%.2f\t%.2f\t%.4f\t%v\t%s\n", c.Rank, c.Campaign, c.Uplift, c.Value, c.Cost, c.Score, c.Chosen, c.Reason)
		}
		tw.Flush()
	}
}

// attachModel sets the uplift model of the campaigns (flag over file) and
// makes its path absolute, so that 'sagitta serve' finds it from anywhere.
func attachModel(cs []campaign.Campaign, flagModel string) error {
	for i := range cs {
		if flagModel != "" {
			cs[i].UpliftModel = flagModel
		}
		if p := cs[i].UpliftModel; p != "" {
			abs, err := filepath.Abs(p)
			if err != nil {
				return fmt.Errorf("uplift model %s: %w", p, err)
			}
			cs[i].UpliftModel = abs
		}
	}
	return nil
}

// budgetOpts are the flags of budgeted targeting.
type budgetOpts struct {
	budget, cost, redeem *float64
	target               *string
}

func budgetFlags(fs *flag.FlagSet) budgetOpts {
	return budgetOpts{
		budget: fs.Float64("budget", 0, "preview/launch: the most to spend on the campaign (0: no limit); preview shows the uplift, propensity and random plans"),
		cost:   fs.Float64("cost", 0, "preview/launch: cost per customer treated (default: the offer's unit cost)"),
		redeem: fs.Float64("redeem-cost", 0, "preview/launch: cost paid only by those who convert (a coupon's discount)"),
		target: fs.String("target", "", "launch: 'uplift' treats only the uplift plan within --budget (the holdout is drawn from all eligible customers first)"),
	}
}

// set reports whether any budget flag was given.
func (b budgetOpts) set(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "budget" || f.Name == "cost" || f.Name == "redeem-cost" })
	return set
}

func (b budgetOpts) options(fs *flag.FlagSet) (campaign.BudgetOptions, error) {
	o := campaign.BudgetOptions{Budget: *b.budget, RedeemCost: *b.redeem}
	if *b.budget < 0 || *b.redeem < 0 || *b.cost < 0 {
		return o, usageErr("--budget, --cost and --redeem-cost: want numbers >= 0")
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "cost" {
			o.Cost = b.cost
		}
	})
	return o, nil
}

func (b budgetOpts) launch(fs *flag.FlagSet) (campaign.LaunchOptions, error) {
	if *b.target == "" {
		if b.set(fs) {
			return campaign.LaunchOptions{}, usageErr("--budget, --cost and --redeem-cost need --target uplift at launch")
		}
		return campaign.LaunchOptions{}, nil
	}
	if *b.target != campaign.TargetUplift {
		return campaign.LaunchOptions{}, usageErr("--target %q: the only strategy is %q", *b.target, campaign.TargetUplift)
	}
	o, err := b.options(fs)
	return campaign.LaunchOptions{Target: *b.target, Budget: o}, err
}

// previewWithTargeting is a preview with the plans of budgeted targeting.
type previewWithTargeting struct {
	campaign.Preview
	Targeting campaign.Targeting `json:"targeting"`
}

func previewBudget(ctx context.Context, env Env, fs *flag.FlagSet, cs *campaign.Service, p campaign.Preview, b budgetOpts, asJSON bool) error {
	o, err := b.options(fs)
	if err != nil {
		return err
	}
	t, err := cs.PlanTargeting(ctx, p.Campaign, o)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, previewWithTargeting{p, t})
	}
	printPreview(env.Stdout, p)
	printTargeting(env.Stdout, &t)
	return nil
}

func printTargeting(w io.Writer, t *campaign.Targeting) {
	limit := "no limit"
	if t.Budget.Limit > 0 {
		limit = fmt.Sprintf("%.2f", t.Budget.Limit)
	}
	fmt.Fprintf(w, "budgeted targeting of %s eligible customers (model %s): budget %s, cost %.2f per customer + %.2f per conversion, value %.2f per conversion\n",
		thousands(int64(t.Eligible)), t.Model, limit, t.Budget.Cost, t.Budget.RedeemCost, t.Budget.Value)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "plan\tcustomers\texpected spend\texpected incremental conversions\texpected incremental value\texpected profit\t")
	for _, p := range []measure.Plan{t.Uplift, t.Propensity, t.Random} {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.1f\t%.2f\t%.2f\t\n", p.Strategy, thousands(int64(p.Customers)), p.Spend, p.IncrementalConversions, p.IncrementalValue, p.Profit)
	}
	tw.Flush()
	fmt.Fprintf(w, "uplift plan: %s; launch with --target uplift to treat only it\n", t.StopReason)
}
