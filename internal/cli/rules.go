package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
)

// runRules implements "sagitta rules mine".
func runRules(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta rules mine (--baskets FILE | --from-store) --min-support S --min-confidence C [--min-lift L] [--max-len N] [--max-itemsets N] [--top N] [--json]"
	if len(args) == 0 || args[0] != "mine" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(env.Stdout, help)
			return nil
		}
		return usageErr(help)
	}
	var cfg config.Config
	fs := flags(env, "rules mine", &cfg)
	basketsFile := fs.String("baskets", "", "basket file: one basket per line, items separated by commas")
	fromStore := fs.Bool("from-store", false, "mine the sale orders in the store (one basket per order)")
	asOfFlag := fs.String("as-of", "", "with --from-store: orders placed at or before this date or instant")
	supS := fs.String("min-support", "", "minimum support in (0, 1], e.g. 0.001 (exact: count ≥ ⌈S × baskets⌉)")
	confS := fs.String("min-confidence", "", "minimum confidence in (0, 1], e.g. 0.5 (compared as exact fractions)")
	liftS := fs.String("min-lift", "", "minimum lift (> 0); default none")
	maxSets := fs.Int("max-itemsets", rules.DefaultMaxItemsets, "refuse to mine more frequent itemsets than this")
	maxLen := fs.Int("max-len", 0, "longest itemset (antecedent + consequent); 0: no limit")
	top := fs.Int("top", 0, "print only the first N rules (0: all)")
	asJSON := fs.Bool("json", false, `print {"rules":N,"itemsets":M,...}`)
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 0 || (*basketsFile == "") == !*fromStore {
		return usageErr(help)
	}
	var o rules.Options
	if o.MinSupport, err = rules.ParseThreshold("--min-support", *supS); err != nil {
		return usageErr("%v", err)
	}
	if o.MinConfidence, err = rules.ParseThreshold("--min-confidence", *confS); err != nil {
		return usageErr("%v", err)
	}
	if o.MinLift, err = rules.ParseLift("--min-lift", *liftS); err != nil {
		return usageErr("%v", err)
	}
	o.MaxItemsets, o.MaxLen = *maxSets, *maxLen

	var b *rules.Baskets
	if *fromStore {
		asOf, err := optionalAsOf(*asOfFlag)
		if err != nil {
			return err
		}
		st, err := open(ctx, env, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		if b, err = recommend.OrderBaskets(ctx, st, asOf); err != nil {
			return err
		}
	} else {
		f, err := os.Open(*basketsFile)
		if err != nil {
			return err
		}
		defer f.Close()
		if b, err = rules.ReadBaskets(ctx, f, *basketsFile); err != nil {
			return err
		}
	}
	start := time.Now()
	res, err := rules.Mine(ctx, b, o)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if *asJSON {
		return writeJSON(env.Stdout, map[string]any{
			"rules": len(res.Rules), "itemsets": len(res.Itemsets), "baskets": res.N, "min_count": res.MinCount,
			"min_confidence": o.MinConfidence.String(), "seconds": elapsed.Seconds(),
		})
	}
	fmt.Fprintf(env.Stdout, "%s baskets, %s frequent itemsets (count ≥ %d), %s rules at confidence ≥ %s in %v\n\n",
		thousands(int64(res.N)), thousands(int64(len(res.Itemsets))), res.MinCount, thousands(int64(len(res.Rules))),
		o.MinConfidence, elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "antecedent\tconsequent\tcount\tsupport\tconfidence\tlift\tconviction\t")
	for i, r := range res.Rules {
		if *top > 0 && i >= *top {
			break
		}
		names := make([]string, len(r.Antecedent))
		for j, a := range r.Antecedent {
			names[j] = res.Items[a]
		}
		conv := "inf"
		if !math.IsInf(r.Conviction, 1) {
			conv = fmt.Sprintf("%.3f", r.Conviction)
		}
		fmt.Fprintf(tw, "{%s}\t%s\t%d\t%.5f\t%.4f\t%.3f\t%s\t\n", strings.Join(names, ", "), res.Items[r.Consequent],
			r.Count, r.Support, r.Confidence, r.Lift, conv)
	}
	return tw.Flush()
}
