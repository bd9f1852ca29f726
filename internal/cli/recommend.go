package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend"
)

// runRecommend implements "sagitta recommend eval|train|topn".
func runRecommend(ctx context.Context, env Env, args []string) error {
	const help = "usage: sagitta recommend {eval|train|topn} [flags]; run 'sagitta recommend eval -h' for a command's flags"
	if len(args) == 0 {
		return usageErr(help)
	}
	switch args[0] {
	case "eval":
		return runRecommendEval(ctx, env, args[1:])
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
	fs.Float64Var(&c.ALS.Alpha, "alpha", c.ALS.Alpha, "ALS: confidence 1 + alpha × (1 + ln count)")
	fs.IntVar(&c.ALS.CGSteps, "cg-steps", c.ALS.CGSteps, "ALS: conjugate-gradient steps per solve")
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
