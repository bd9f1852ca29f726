package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/recommend"
)

// recEvalFlags are the flags of the held-out evaluation that `recommend
// train` runs before it trains the served model.
type recEvalFlags struct {
	skip   *bool
	window *int
	users  *int
}

func evalFlags(set *flag.FlagSet) recEvalFlags {
	return recEvalFlags{
		skip:   set.Bool("no-eval", false, "train the served model only, without the held-out evaluation kept in the model file"),
		window: set.Int("eval-window", 30, "evaluation: days at the end of the history the time split tests (trained on what came before)"),
		users:  set.Int("eval-users", 5000, "evaluation: at most this many customers tested (sampled)"),
	}
}

func (f recEvalFlags) options(seed uint64) (recommend.EvalOptions, error) {
	if *f.window <= 0 {
		return recommend.EvalOptions{}, usageErr("--eval-window %d: the days must be positive", *f.window)
	}
	if *f.users <= 0 {
		return recommend.EvalOptions{}, usageErr("--eval-users %d: must be positive", *f.users)
	}
	return recommend.EvalOptions{Skip: *f.skip, Window: time.Duration(*f.window) * 24 * time.Hour, MaxUsers: *f.users, Seed: seed}, nil
}

// printRecEval prints a recommendation model's evaluation, or why it has
// none and how to get one.
func printRecEval(w io.Writer, h recommend.Header) {
	ev := h.Evaluation
	if ev == nil {
		fmt.Fprintf(w, "no evaluation: %s\n", recNoEvalText(h))
		return
	}
	split := "leave-one-out"
	if ev.Protocol == recommend.ProtocolTime {
		split = fmt.Sprintf("time split at %s (the last %g days tested)", ev.Cutoff.Format(time.DateOnly), ev.WindowDays)
	}
	fmt.Fprintf(w, "evaluation: %s, %s of %s customers tested (at most %s sampled), k = %d; held-out model trained in %.2fs, scored in %.2fs\n",
		split, thousands(int64(ev.Model.Users)), thousands(int64(ev.Testable)), thousands(int64(ev.MaxUsers)), ev.K, ev.TrainSeconds, ev.EvalSeconds)
	fmt.Fprintf(w, "  %-12s %8s %8s %8s %10s %8s %9s\n", "", fmt.Sprintf("NDCG@%d", ev.K), fmt.Sprintf("HR@%d", ev.K), "recall", "precision", "MAP", "coverage")
	for _, r := range []struct {
		name string
		m    recommend.Metrics
	}{{ev.Algorithm, ev.Model}, {"popularity", ev.Popularity}} {
		fmt.Fprintf(w, "  %-12s %8.4f %8.4f %8.4f %10.4f %8.4f %9.3f\n", r.name, r.m.NDCG, r.m.HR, r.m.Recall, r.m.Precision, r.m.MAP, r.m.Coverage)
	}
	if ev.Note != "" {
		fmt.Fprintln(w, "  note:", ev.Note)
	}
}

// recNoEvalText says why a model has no evaluation and how to get one.
func recNoEvalText(h recommend.Header) string {
	const how = "run 'sagitta recommend train --from-store' (without --no-eval)"
	switch why := h.NoEvaluation; {
	case why == recommend.NoEvalSkipped:
		return "trained with --no-eval; " + how
	case strings.HasPrefix(why, recommend.NoEvalUntestable):
		return "the history is too short to hold part of it out (" + strings.TrimPrefix(why, recommend.NoEvalUntestable+": ") + "); train again when it is longer"
	case h.Format == 1:
		return "the model file predates kept evaluations; " + how
	}
	return "trained without one; " + how
}

// recModelHeader reads the header of DATA_DIR/models/recommend.model; ok
// is false when there is no such file.
func recModelHeader(dataDir string) (h recommend.Header, ok bool, err error) {
	if dataDir == "" {
		return h, false, nil
	}
	h, err = recommend.LoadHeader(ModelFile(dataDir))
	if errors.Is(err, iofs.ErrNotExist) {
		return h, false, nil
	}
	return h, err == nil, err
}

// printRecListing is the recommendation model's line of `model list`, with
// its evaluation below.
func printRecListing(w io.Writer, h recommend.Header) {
	fmt.Fprintf(w, "%-10s %-6s format %d, trained %s, %s customers × %s items, %s rules\n", "recommend", h.Kind, h.Format,
		h.TrainedAt.Format(time.RFC3339), thousands(int64(h.Users)), thousands(int64(h.Items)), thousands(int64(h.Rules)))
	var b strings.Builder
	printRecEval(&b, h)
	for line := range strings.Lines(b.String()) {
		fmt.Fprint(w, "           "+line)
	}
}

// runRecommendShow prints a model file's header: kind, size, parameters
// and the held-out evaluation (DATA_DIR's model unless --model).
func runRecommendShow(env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "recommend show", &cfg)
	model := fs.String("model", "", "model file (default DATA_DIR/models/recommend.model)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" {
		*model = ModelFile(cfg.DataDir)
	}
	h, err := recommend.LoadHeader(*model)
	if errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("no model at %s: run 'sagitta recommend train --from-store'", *model)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, h)
	}
	fmt.Fprintf(env.Stdout, "%s: %s model (file format %d) trained %s on %s customers × %s items, %s cart rules\n", *model, h.Kind, h.Format,
		h.TrainedAt.Format(time.RFC3339), thousands(int64(h.Users)), thousands(int64(h.Items)), thousands(int64(h.Rules)))
	var parts []string
	for _, n := range recommend.ParamNames(h.Params) {
		parts = append(parts, fmt.Sprintf("%s %v", n, h.Params[n]))
	}
	if len(parts) > 0 {
		fmt.Fprintln(env.Stdout, "parameters:", strings.Join(parts, ", "))
	}
	printRecEval(env.Stdout, h)
	return nil
}
