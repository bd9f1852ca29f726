package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/config"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// runRecommend implements "sagitta recommend eval|train|topn|show".
func runRecommend(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta recommend {eval|train|topn|show} [flags]; run 'sagitta recommend eval -h' for a command's flags"
	if len(args) == 0 {
		return usageErr(help)
	}
	switch args[0] {
	case "eval":
		return runRecommendEval(ctx, env, args[1:])
	case "train":
		return runRecommendTrain(ctx, env, args[1:])
	case "topn":
		return runRecommendTopN(ctx, env, args[1:])
	case "show":
		return runRecommendShow(env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, help)
		return nil
	}
	return usageErr("unknown recommend command %q; %s", args[0], help)
}

// modelFlags registers the model and hyperparameter flags.
func modelFlags(fs *flag.FlagSet) *recommend.Config {
	c := recommend.DefaultConfig()
	fs.StringVar(&c.Model, "model", c.Model, "popularity, itemknn, als or blend")
	fs.IntVar(&c.ALS.Factors, "factors", c.ALS.Factors, "ALS: latent factors")
	fs.IntVar(&c.ALS.Iterations, "iterations", c.ALS.Iterations, "ALS: alternating iterations")
	fs.Float64Var(&c.ALS.Lambda, "lambda", c.ALS.Lambda, "ALS: L2 regularization")
	fs.Float64Var(&c.ALS.Alpha, "alpha", c.ALS.Alpha, "ALS: confidence 1 + alpha × log2(1 + summed weight)")
	fs.IntVar(&c.ALS.CGSteps, "cg-steps", c.ALS.CGSteps, "ALS: conjugate-gradient steps per solve")
	fs.Float64Var(&c.ALS.RegExponent, "reg-exponent", c.ALS.RegExponent, "ALS: scale each row's lambda by (n/mean n)^this (0: plain lambda)")
	fs.IntVar(&c.KNN.Neighbors, "neighbors", c.KNN.Neighbors, "item-kNN: neighbours kept per item")
	fs.Float64Var(&c.KNN.Shrink, "shrink", c.KNN.Shrink, "item-kNN: cosine shrinkage")
	fs.StringVar(&c.KNN.Similarity, "similarity", c.KNN.Similarity, "item-kNN: cosine or rp3b")
	fs.Float64Var(&c.KNN.RPAlpha, "rp-alpha", c.KNN.RPAlpha, "item-kNN rp3b: alpha")
	fs.Float64Var(&c.KNN.RPBeta, "rp-beta", c.KNN.RPBeta, "item-kNN rp3b: beta (popularity penalty)")
	fs.Float64Var(&c.BlendALS, "w-als", c.BlendALS, "blend: weight of ALS")
	fs.Float64Var(&c.BlendKNN, "w-knn", c.BlendKNN, "blend: weight of item-kNN")
	fs.Float64Var(&c.BlendPop, "w-pop", c.BlendPop, "blend: weight of popularity")
	return &c
}

func readInteractionsFile(ctx context.Context, path, format string) (*recommend.Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return recommend.ReadInteractions(ctx, f, path, format)
}

func runRecommendEval(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "recommend eval")
	file := fs.String("interactions", "", "interaction file: CSV user,item[,rating,timestamp], MovieLens u.data or Online Retail CSV (gzip ok)")
	format := fs.String("format", recommend.FormatAuto, "auto, csv, movielens or online-retail")
	protocol := fs.String("protocol", recommend.ProtocolLOO, "loo (full ranking), loo-sampled (100 negatives) or time")
	cut := fs.String("split-time", "", "time protocol: train before this date (YYYY-MM-DD) or RFC 3339 instant")
	negatives := fs.Int("negatives", 100, "loo-sampled: sampled negatives per user")
	k := fs.Int("k", 10, "cut-off of the metrics")
	seed := fs.Uint64("seed", 1, "seed of the split, the sampling and the training")
	validation := fs.Bool("validation", false, "evaluate on a leave-one-out split of the training part instead of the test items (for tuning)")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg := modelFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usageErr("--interactions FILE is required")
	}
	cfg.ALS.Seed = *seed
	cfg.SkipKNN = true
	d, err := readInteractionsFile(ctx, *file, *format)
	if err != nil {
		return err
	}
	var s *recommend.Split
	switch *protocol {
	case recommend.ProtocolLOO, recommend.ProtocolLOOSampled:
		s = recommend.LeaveOneOut(d, *seed)
	case recommend.ProtocolTime:
		if *cut == "" {
			return usageErr("--protocol time needs --split-time")
		}
		t, err := parseDateOrInstant(*cut)
		if err != nil {
			return usageErr("--split-time: %v", err)
		}
		if s, err = recommend.TimeSplit(d, t.Unix()); err != nil {
			return err
		}
	default:
		return usageErr("unknown --protocol %q (loo, loo-sampled, time)", *protocol)
	}
	if *validation {
		s = s.Validation(*seed + 1)
	}
	if *protocol == recommend.ProtocolLOOSampled {
		s.SampleNegatives(*negatives, *seed)
	}
	start := time.Now()
	m, err := recommend.Fit(ctx, s.Train, *cfg)
	if err != nil {
		return err
	}
	trainSec := time.Since(start).Seconds()
	start = time.Now()
	met, err := recommend.Evaluate(ctx, m, s, *k, 2)
	if err != nil {
		return err
	}
	evalSec := time.Since(start).Seconds()
	if *asJSON {
		return writeJSON(env.Stdout, map[string]any{
			"protocol": *protocol, "model": m.Kind, "validation": *validation, "seed": *seed,
			"users": len(d.Users), "items": len(d.Items), "interactions": d.Len(), "train_nnz": s.Train.NNZ(),
			"metrics": met, "train_seconds": trainSec, "eval_seconds": evalSec,
		})
	}
	fmt.Fprintf(env.Stdout, "%s: %s users, %s items, %s interactions; protocol %s, model %s, %d users tested\n",
		*file, thousands(int64(len(d.Users))), thousands(int64(len(d.Items))), thousands(int64(d.Len())), *protocol, m.Kind, met.Users)
	fmt.Fprintf(env.Stdout, "NDCG@%d %.4f  HR@%d %.4f  recall@%d %.4f  precision@%d %.4f  MAP@%d %.4f  coverage %.3f\n",
		*k, met.NDCG, *k, met.HR, *k, met.Recall, *k, met.Precision, *k, met.MAP, met.Coverage)
	fmt.Fprintf(env.Stdout, "trained in %.2fs, evaluated in %.2fs\n", trainSec, evalSec)
	return nil
}

func parseDateOrInstant(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// ModelFile is where "recommend train --from-store" puts the model and
// where serve looks for it.
func ModelFile(dataDir string) string { return filepath.Join(dataDir, "models", "recommend.model") }

func runRecommendTrain(ctx context.Context, env Env, args []string) error {
	var cfg config.Config
	fs := flags(env, "recommend train", &cfg)
	file := fs.String("interactions", "", "interaction file: CSV user,item[,rating,timestamp], MovieLens u.data or Online Retail CSV")
	format := fs.String("format", recommend.FormatAuto, "auto, csv, movielens or online-retail")
	fromStore := fs.Bool("from-store", false, "train on the sale orders (and --events) in the store")
	events := fs.String("events", "cart_add:0.5,favorite:0.5,view:0.1", "with --from-store: event types counted as interactions, TYPE:WEIGHT comma-separated (a purchase weighs 1; \"\" for none)")
	asOfFlag := fs.String("as-of", "", "with --from-store: orders and events at or before this date or instant")
	support := fs.String("rules-support", "0.005", "with --from-store: minimum support of the cart-completion rules")
	segAttr := fs.String("segment-attribute", "country", "with --from-store: customer attribute whose values are the segments of the cold start (\"\" for none)")
	maxLen := fs.Int("rules-max-len", 4, "with --from-store: longest itemset of the cart-completion rules (antecedent + consequent)")
	confidence := fs.String("rules-confidence", "0.2", "with --from-store: minimum confidence of the cart-completion rules")
	out := fs.String("out", "", "model file (default with --from-store: DATA_DIR/models/recommend.model)")
	seed := fs.Uint64("seed", 1, "training seed")
	asJSON := fs.Bool("json", false, "print JSON")
	eo := evalFlags(fs)
	mc := modelFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if (*file == "") == !*fromStore {
		return usageErr("usage: sagitta recommend train (--interactions FILE | --from-store) [--out MODEL] [model flags]")
	}
	mc.ALS.Seed = *seed
	if isTerminal(env.Stderr) {
		mc.ALS.Progress = func(it, total int) { fmt.Fprintf(env.Stderr, "\rALS iteration %d/%d", it, total) }
	}
	var d *recommend.Dataset
	var cat recommend.Catalogue
	var baskets *rules.Baskets
	var ro rules.Options
	var err error
	if *fromStore {
		if ro.MinSupport, err = rules.ParseThreshold("--rules-support", *support); err != nil {
			return usageErr("%v", err)
		}
		if ro.MinConfidence, err = rules.ParseThreshold("--rules-confidence", *confidence); err != nil {
			return usageErr("%v", err)
		}
		asOf, err := optionalAsOf(*asOfFlag)
		if err != nil {
			return err
		}
		if *out == "" {
			*out = ModelFile(cfg.DataDir)
		}
		st, err := open(ctx, env, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		weights, err := parseEventWeights(*events)
		if err != nil {
			return err
		}
		if d, cat, err = recommend.OrderInteractions(ctx, st, asOf, weights); err != nil {
			return err
		}
		if d.Len() == 0 {
			return fmt.Errorf("the store holds no sale order lines of known customers: import orders first")
		}
		if baskets, err = recommend.OrderBaskets(ctx, st, asOf); err != nil {
			return err
		}
	} else {
		if *out == "" {
			return usageErr("--out MODEL is required with --interactions")
		}
		if d, err = readInteractionsFile(ctx, *file, *format); err != nil {
			return err
		}
	}
	o, err := eo.options(*seed)
	if err != nil {
		return err
	}
	m, err := recommend.TrainEvaluated(ctx, d, *mc, o)
	if isTerminal(env.Stderr) {
		fmt.Fprintln(env.Stderr)
	}
	if err != nil {
		return err
	}
	trainSec := m.TrainSeconds
	if *fromStore {
		m.SetCatalogue(cat)
		if *segAttr != "" {
			vals, err := segmentValues(ctx, env, cfg, *segAttr)
			if err != nil {
				return err
			}
			m.SetSegments(*segAttr, vals)
		}
		ro.MaxLen = *maxLen
		res, err := rules.Mine(ctx, baskets, ro)
		switch {
		case errors.Is(err, rules.ErrTooMany):
			fmt.Fprintf(env.Stderr, "warning: no cart rules: %v\n", err)
		case err != nil:
			return err
		default:
			m.RuleItems, m.Rules = res.Items, res.Rules
		}
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	if *asJSON {
		segmented := 0
		for _, sg := range m.Segment {
			if sg != "" {
				segmented++
			}
		}
		return writeJSON(env.Stdout, map[string]any{"model": m.Fit.Kind, "out": *out, "users": len(m.Users), "items": len(m.Items),
			"interactions": d.Len(), "rules": len(m.Rules), "users_with_segment": segmented, "train_seconds": trainSec,
			"evaluation": m.Eval, "no_evaluation": m.NoEval})
	}
	fmt.Fprintf(env.Stdout, "trained %s on %s users × %s items (%s interactions) in %.2fs; %s rules; wrote %s\n", m.Fit.Kind,
		thousands(int64(len(m.Users))), thousands(int64(len(m.Items))), thousands(int64(d.Len())), trainSec, thousands(int64(len(m.Rules))), *out)
	printRecEval(env.Stdout, m.Header())
	return nil
}

func runRecommendTopN(ctx context.Context, env Env, args []string) error {
	fs := flagSetOnly(env, "recommend topn")
	model := fs.String("model", "", "model file written by 'sagitta recommend train'")
	n := fs.Int("n", 10, "items per user")
	excludeSeen := fs.Bool("exclude-seen", false, "leave out the items a user interacted with in the training data")
	out := fs.String("out", "", "output CSV user,item,rank (default standard output)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" || *n <= 0 {
		return usageErr("usage: sagitta recommend topn --model MODEL [--n 10] [--exclude-seen] [--out FILE]")
	}
	m, err := recommend.Load(*model)
	if err != nil {
		return err
	}
	w := env.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := csv.NewWriter(bw)
	_ = cw.Write([]string{"user", "item", "rank"})
	rec := make([]string, 3)
	err = m.TopNAll(ctx, *n, *excludeSeen, func(user, item string, rank int) error {
		rec[0], rec[1], rec[2] = user, item, strconv.Itoa(rank)
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

// startRecommender loads the model from DATA_DIR/models (if there is one)
// and, when poll > 0, swaps in a newer file whenever training rewrites it.
func startRecommender(ctx context.Context, dataDir string, st store.Store, poll time.Duration, logger *slog.Logger) *recommend.Service {
	h := recommend.StoreHistory{Store: st}
	rec := recommend.NewService(recommend.ServiceOptions{Items: st, History: h, Segment: h})
	path := ModelFile(dataDir)
	var loaded time.Time
	load := func() {
		fi, err := os.Stat(path)
		if err != nil || !fi.ModTime().After(loaded) {
			return
		}
		m, err := recommend.Load(path)
		if err != nil {
			logger.Warn("cannot load the recommendation model", "path", path, "error", err)
			return
		}
		loaded = fi.ModTime()
		rec.Swap(m)
		logger.Info("recommendation model loaded", "path", path, "users", len(m.Users), "items", len(m.Items), "rules", len(m.Rules), "trained_at", m.TrainedAt)
	}
	load()
	if rec.Model() == nil {
		logger.Info("no recommendation model yet; run 'sagitta recommend train --from-store'", "path", path)
	}
	if poll > 0 {
		go repeat(ctx, poll, load)
	}
	return rec
}

// optionalAsOf reads an --as-of flag; "" is no bound.
func optionalAsOf(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseAsOf(v)
	if err != nil {
		return t, usageErr("--as-of: %v", err)
	}
	return t, nil
}

// segmentValues reads one customer attribute of every customer.
func segmentValues(ctx context.Context, env Env, cfg config.Config, attr string) (map[int64]string, error) {
	st, err := open(ctx, env, cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	vals, err := st.AttributeValues(ctx, attr)
	if err != nil {
		return nil, fmt.Errorf("read the attribute %q: %w", attr, err)
	}
	return vals, nil
}

// parseEventWeights reads "cart_add:0.5,view:0.1" (a type without a weight
// weighs 1).
func parseEventWeights(v string) (map[string]float32, error) {
	out := map[string]float32{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		typ, ws, found := strings.Cut(part, ":")
		w := 1.0
		if found {
			var err error
			if w, err = strconv.ParseFloat(ws, 64); err != nil || w <= 0 {
				return nil, usageErr("--events: %q: the weight must be a positive number", part)
			}
		}
		out[strings.TrimSpace(typ)] = float32(w)
	}
	return out, nil
}
