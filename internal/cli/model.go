package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/predict"
)

const modelHelp = `usage:
  sagitta model list [--json]
  sagitta model clv fit [--calibration-end DATE] [--holdout-end DATE] [--time-unit day|week] [--json]
  sagitta model churn train --data FILE --label COL=VALUE --id COL [--exclude a,b] --out MODEL [--json]
  sagitta model churn score --model MODEL --data FILE --out FILE
  sagitta model churn eval --data FILE --label COL=VALUE --id COL [--exclude a,b] [--folds 5] [--json]
  sagitta model churn train|eval [--cutoff DATE] [--horizon DAYS] [--json]   (over the shop's own data)`

// runModel implements "sagitta model ...".
func runModel(ctx context.Context, env Env, args []string) error {
	if isHelp(args) || len(args) > 1 && (args[0] == "clv" || args[0] == "churn") && isHelp(args[1:]) {
		fmt.Fprintln(env.Stdout, modelHelp)
		return nil
	}
	if len(args) == 0 {
		return usageErr(modelHelp)
	}
	switch args[0] {
	case "list":
		return runModelList(env, args[1:])
	case "clv":
		if len(args) < 2 || args[1] != "fit" {
			return usageErr(modelHelp)
		}
		return runCLVFit(ctx, env, args[2:])
	case "churn":
		if len(args) < 2 {
			return usageErr(modelHelp)
		}
		return runChurn(ctx, env, args[1], args[2:])
	}
	return usageErr("unknown model command %q\n%s", args[0], modelHelp)
}

// parseDay parses YYYY-MM-DD as a calendar day number.
func parseDay(s string) (int32, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date YYYY-MM-DD", s)
	}
	return int32(t.Unix() / 86400), nil
}

func runCLVFit(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "model clv fit", &cfg)
	calEnd := fs.String("calibration-end", "", "last day (YYYY-MM-DD) whose orders the fit uses; default the day of the last order")
	holdEnd := fs.String("holdout-end", "", "last day of a holdout period after the calibration end to evaluate the predictions on")
	unit := fs.String("time-unit", "day", "time unit of the model parameters: day or week")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var o predict.CLVOptions
	var err error
	if o.Unit, err = clv.ParseUnit(*unit); err != nil {
		return usageErr("--time-unit: %v", err)
	}
	if *calEnd != "" {
		if o.CalibrationEnd, err = parseDay(*calEnd); err != nil {
			return usageErr("--calibration-end: %v", err)
		}
	}
	if *holdEnd != "" {
		if o.HoldoutEnd, err = parseDay(*holdEnd); err != nil {
			return usageErr("--holdout-end: %v", err)
		}
		if *calEnd == "" {
			return usageErr("--holdout-end needs --calibration-end")
		}
	}
	if o.Location, err = cfg.Location(); err != nil {
		return usageErr("%v", err)
	}
	o.DataDir = cfg.DataDir
	st, err := open(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	m, err := predict.FitCLV(ctx, st, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, m)
	}
	printCLV(env.Stdout, m)
	return nil
}

func printCLV(w io.Writer, m *predict.CLVModel) {
	fmt.Fprintf(w, "CLV model version %d: %s customers (%s repeat buyers), orders %s … %s, time unit %s\n",
		m.Version, thousands(int64(m.Customers)), thousands(int64(m.RepeatBuyers)), m.DataFrom, m.CalibrationEnd, m.TimeUnit)
	b := m.BGNBD
	fmt.Fprintf(w, "BG/NBD       r %.4f  alpha %.4f  a %.4g  b %.4g  log-likelihood %.2f\n", b.R, b.Alpha, b.A, b.B, b.LogLik)
	g := m.GammaGamma
	fmt.Fprintf(w, "Gamma-Gamma  p %.4f  q %.4f  gamma %.4f  (%s repeat buyers with a spend)\n", g.P, g.Q, g.Gamma, thousands(int64(m.SpendCustomers)))
	if len(m.StdErrors) > 0 {
		var parts []string
		for _, k := range []string{"r", "alpha", "a", "b", "p", "q", "gamma"} {
			if v, ok := m.StdErrors[k]; ok {
				parts = append(parts, fmt.Sprintf("%s %.3g", k, v))
			}
		}
		fmt.Fprintf(w, "standard errors: %s\n", strings.Join(parts, ", "))
	}
	if ev := m.Evaluation; ev != nil {
		fmt.Fprintf(w, "\nholdout %s … %s (%d days): actual %.0f repeat purchases, predicted %.1f; MAE per customer %.3f (naive rate: %.3f)\n",
			m.CalibrationEnd, m.HoldoutEnd, ev.HoldoutDays, ev.ActualTotal, ev.PredictedTotal, ev.MAE, ev.BaselineMAE)
		fmt.Fprintln(w, "  calibration x   customers   actual mean   predicted mean")
		for _, e := range ev.ByX {
			fmt.Fprintf(w, "  %-13s   %9s   %11.3f   %14.3f\n", e.X, thousands(int64(e.Customers)), e.Actual, e.Predicted)
		}
	}
	for _, n := range m.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, n := range m.Warnings {
		fmt.Fprintln(w, "warning:", n)
	}
}

func runModelList(env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "model list", &cfg)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ms, err := predict.ListModels(cfg.DataDir)
	if err != nil {
		return err
	}
	rh, hasRec, err := recModelHeader(cfg.DataDir)
	if err != nil {
		return err
	}
	if hasRec {
		if ms["recommend"], err = json.Marshal(rh); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(env.Stdout, ms)
	}
	names := make([]string, 0, len(ms))
	for n := range ms {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		fmt.Fprintln(env.Stdout, "no models trained yet: run 'sagitta model clv fit', 'sagitta model churn train' or 'sagitta recommend train --from-store'")
	}
	for _, n := range names {
		if n == "recommend" && hasRec {
			printRecListing(env.Stdout, rh)
			continue
		}
		var h predict.Header
		_ = json.Unmarshal(ms[n], &h)
		fmt.Fprintf(env.Stdout, "%-10s %-6s version %d, trained %s\n", n, h.Kind, h.Version, h.TrainedAt)
	}
	return nil
}

// printPredictions prints the prediction features of a customer 360, when
// a model has scored them.
func printPredictions(w io.Writer, features any) {
	f, _ := features.(map[string]any)
	var parts []string
	for _, c := range []struct{ col, label, format string }{
		{predict.ColChurn, "churn risk", "%.0f%%"},
		{predict.ColPAlive, "P(alive)", "%.2f"},
		{predict.ColCLV, "12-month CLV", "%.2f"},
		{predict.ColPropensity, "P(order in 30 days)", "%.0f%%"},
		{predict.ColNextOrder, "next order in", "%.0f days if active"},
	} {
		v, ok := f[c.col].(float64)
		if !ok {
			continue
		}
		if strings.HasSuffix(c.format, "%%") {
			v *= 100
		}
		parts = append(parts, c.label+" "+fmt.Sprintf(c.format, v))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "Predictions: %s\n", strings.Join(parts, ", "))
	}
}

// retrain refits the models every period until ctx ends.
func retrain(ctx context.Context, in *insight.Service, every time.Duration, logger *slog.Logger) {
	repeat(ctx, every, func() {
		start := time.Now()
		if err := in.Retrain(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("retrain models", "error", err)
		} else if err == nil {
			logger.Info("models retrained, features recomputed", "seconds", time.Since(start).Seconds())
		}
	})
}
