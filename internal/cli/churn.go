package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/model/churn"
	"github.com/sagitta-dev/sagitta/internal/predict"
)

// runChurn implements "sagitta model churn train|score|eval".
func runChurn(ctx context.Context, env Env, sub string, args []string) error {
	var cfg config.Config
	fs := flags(env, "model churn "+sub, &cfg)
	data := fs.String("data", "", "labelled CSV file (with a header line); without it, the shop's own data")
	label := fs.String("label", "", "COLUMN=VALUE: rows whose COLUMN equals VALUE are churners")
	id := fs.String("id", "", "the id column (not a feature)")
	exclude := fs.String("exclude", "", "comma-separated columns that are not features")
	out := fs.String("out", "", "train: the model file to write; score: the CSV file to write ('-': standard output)")
	modelFile := fs.String("model", "", "score: the model file")
	folds := fs.Int("folds", 5, "eval: number of stratified folds")
	foldsFile := fs.String("folds-file", "", "eval: fold numbers 0..k-1, one line per data row, instead of --folds")
	seed := fs.Uint64("seed", 0, "random seed of the folds")
	kind := fs.String("kind", "", "force the model kind: logistic, gbdt or blend (default: the best in inner cross-validation)")
	cutoff := fs.String("cutoff", "", "shop data: the cutoff day YYYY-MM-DD; default the last order day minus the horizon")
	horizon := fs.Int("horizon", 90, "shop data: a customer churns without a purchase within this many days after the cutoff")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	switch *kind {
	case "", churn.KindLogistic, churn.KindGBDT, churn.KindBlend:
	default:
		return usageErr("--kind %q: want logistic, gbdt or blend", *kind)
	}
	o := churn.Options{Seed: *seed, Kind: *kind}
	spec := predict.CSVSpec{Label: *label, ID: *id}
	if *exclude != "" {
		for _, e := range strings.Split(*exclude, ",") {
			if e = strings.TrimSpace(e); e != "" {
				spec.Exclude = append(spec.Exclude, e)
			}
		}
	}
	if *data == "" && sub != "score" {
		return runShopChurn(ctx, env, cfg, sub, *cutoff, *horizon, o, *asJSON)
	}
	needCSV := func() error {
		if *label == "" || *id == "" {
			return usageErr("--data needs --label COLUMN=VALUE and --id COLUMN\n%s", modelHelp)
		}
		return nil
	}
	switch sub {
	case "train":
		if err := needCSV(); err != nil {
			return err
		}
		if *out == "" {
			return usageErr("train --data needs --out MODEL")
		}
		f, err := predict.TrainChurnCSV(ctx, *data, spec, o, time.Now())
		if err != nil {
			return err
		}
		if err := predict.SaveChurnFile(*out, f); err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, map[string]any{"model": *out, "rows": f.Rows, "positives": f.Positive,
				"kind": f.Model.Kind, "inner_cv_auc": f.Model.InnerAUC, "features": len(f.Model.Features)})
		}
		fmt.Fprintf(env.Stdout, "churn model %s: %d rows (%d churners), %d features; chose %s (inner 3-fold AUC: %s)\n",
			*out, f.Rows, f.Positive, len(f.Model.Features), f.Model.Kind, aucs(f.Model.InnerAUC))
		return nil
	case "score":
		if *modelFile == "" || *data == "" || *out == "" {
			return usageErr("usage: sagitta model churn score --model MODEL --data FILE --out FILE")
		}
		f, err := predict.LoadChurnFile(*modelFile)
		if err != nil {
			return err
		}
		var w io.Writer = env.Stdout
		var file *os.File
		if *out != "-" {
			if file, err = os.Create(*out); err != nil {
				return err
			}
			w = file
		}
		n, err := predict.ScoreChurnCSV(f, *data, w)
		if file != nil {
			if cerr := file.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			if file != nil {
				os.Remove(*out)
			}
			return err
		}
		if *out != "-" {
			fmt.Fprintf(env.Stderr, "scored %d rows into %s\n", n, *out)
		}
		return nil
	case "eval":
		if err := needCSV(); err != nil {
			return err
		}
		rep, err := predict.EvalChurnCSV(ctx, *data, spec, *folds, *seed, *foldsFile, o)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(env.Stdout, rep)
		}
		printCV(env.Stdout, rep)
		return nil
	}
	return usageErr("unknown churn command %q\n%s", sub, modelHelp)
}

func aucs(m map[string]float64) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %.4f", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func printCV(w io.Writer, r *predict.CVReport) {
	fmt.Fprintf(w, "%d-fold cross-validation (%s) on %d rows, %d churners, in %.1fs\n", r.Folds, r.FoldsFrom, r.Rows, r.Positives, r.Seconds)
	fmt.Fprintln(w, "  model      AUC (mean of folds)  PR-AUC  top-decile lift  log-loss")
	kinds := []string{churn.KindLogistic, churn.KindGBDT, churn.KindBlend}
	for _, k := range kinds {
		e := r.Models[k]
		fmt.Fprintf(w, "  %-9s  %19.4f  %6.4f  %15.2f  %8.4f\n", k, e.AUC, e.PRAUC, e.Lift, e.LogLoss)
	}
	e := r.Chosen
	fmt.Fprintf(w, "  %-9s  %19.4f  %6.4f  %15.2f  %8.4f\n", "chosen", e.AUC, e.PRAUC, e.Lift, e.LogLoss)
	fmt.Fprintln(w, "calibration of the chosen model (out of fold):")
	for _, b := range r.Calibration {
		fmt.Fprintf(w, "  %s  %5d rows  predicted %.3f  observed %.3f\n", b.Range, b.Count, b.Predicted, b.Observed)
	}
}

func runShopChurn(ctx context.Context, env Env, cfg config.Config, sub, cutoff string, horizon int, o churn.Options, asJSON bool) error {
	if sub != "train" && sub != "eval" {
		return usageErr("unknown churn command %q\n%s", sub, modelHelp)
	}
	so := predict.ShopChurnOptions{Horizon: horizon, Churn: o, DataDir: cfg.DataDir}
	if cutoff != "" {
		d, err := parseDay(cutoff)
		if err != nil {
			return usageErr("--cutoff: %v", err)
		}
		so.Cutoff = d
	}
	var err error
	if so.Location, err = cfg.Location(); err != nil {
		return usageErr("%v", err)
	}
	if isTerminal(env.Stderr) && !asJSON {
		so.Logger = func(msg string) { fmt.Fprintln(env.Stderr, "…", msg) }
	}
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "eval" {
		ev, err := predict.EvalShopChurn(ctx, st, so)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(env.Stdout, ev)
		}
		printShopEval(env.Stdout, ev)
		return nil
	}
	f, ev, err := predict.TrainShopChurn(ctx, st, so)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, map[string]any{"version": f.Version, "training_window": f.Window, "customers": f.Rows,
			"churners": f.Positive, "kind": f.Model.Kind, "inner_cv_auc": f.Model.InnerAUC, "time_split": ev})
	}
	fmt.Fprintf(env.Stdout, "churn model version %d: %d buyers as of %s (%d churned within %s days), chose %s (inner 3-fold AUC: %s)\n",
		f.Version, f.Rows, f.Window["cutoff"], f.Positive, f.Window["horizon_days"], f.Model.Kind, aucs(f.Model.InnerAUC))
	if ev != nil {
		printShopEval(env.Stdout, ev)
	}
	return nil
}

func printShopEval(w io.Writer, ev *predict.ShopEval) {
	fmt.Fprintf(w, "time split: trained at %s (%d buyers, %.1f%% churned), tested at %s (%d buyers, %.1f%% churned), horizon %d days\n",
		ev.TrainCutoff, ev.TrainRows, 100*ev.TrainChurn, ev.TestCutoff, ev.TestRows, 100*ev.TestChurn, ev.HorizonDays)
	fmt.Fprintln(w, "  model             AUC     PR-AUC  top-decile lift")
	for _, k := range []string{churn.KindLogistic, churn.KindGBDT, churn.KindBlend, "chosen", "recency_baseline"} {
		m := ev.Models[k]
		name := k
		if k == "chosen" {
			name = "chosen (" + ev.Chosen + ")"
		}
		fmt.Fprintf(w, "  %-16s  %.4f  %.4f  %15.2f\n", name, m.AUC, m.PRAUC, m.Lift)
	}
	for _, s := range ev.Warnings {
		fmt.Fprintln(w, "warning:", s)
	}
}
