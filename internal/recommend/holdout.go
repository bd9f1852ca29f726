package recommend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Why a model carries no evaluation (Model.NoEval).
const (
	NoEvalSkipped    = "skipped"    // trained with --no-eval (EvalOptions.Skip)
	NoEvalUntestable = "untestable" // the data left too few users to test
)

// EvalOptions bound the held-out evaluation TrainEvaluated runs before it
// trains the served model. The zero value is the default of `sagitta
// recommend train`.
type EvalOptions struct {
	// Skip trains the served model only (`--no-eval`).
	Skip bool
	// Window is the tested end of the history in the time split: the
	// model is trained on what came before the cutoff (the UTC midnight
	// Window before the last interaction) and tested on the items each
	// customer first took at or after it. Default 30 days.
	Window time.Duration
	// MaxUsers bounds the tested users: more are sampled down to it
	// (default 5,000), so that the evaluation's ranking cost does not grow
	// with the shop.
	MaxUsers int
	// MinUsers is the fewest tested users whose figures are kept: a time
	// split testing fewer falls back to leave-one-out, and fewer than that
	// again leaves the model without an evaluation (default 20).
	MinUsers int
	K        int    // cut-off of the metrics; default 10
	Seed     uint64 // of the user sample and the leave-one-out draw; default 1
	Workers  int    // scoring goroutines; default 2
}

func (o EvalOptions) withDefaults() EvalOptions {
	if o.Window <= 0 {
		o.Window = 30 * 24 * time.Hour
	}
	if o.MaxUsers <= 0 {
		o.MaxUsers = 5000
	}
	if o.MinUsers <= 0 {
		o.MinUsers = 20
	}
	if o.K <= 0 {
		o.K = 10
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	return o
}

// Evaluation is the held-out evaluation of a model's configuration, kept in
// the model file: how the data was split, how many users were tested and
// the metrics at K of a model trained on the training part only, beside
// those of the popularity baseline on the same split.
type Evaluation struct {
	Protocol string `json:"protocol"` // ProtocolTime, or ProtocolLOO when the history is too short for it
	// Cutoff (time split): trained on the interactions before it, tested
	// on the items first taken at or after it.
	Cutoff     time.Time `json:"cutoff,omitzero"`
	WindowDays float64   `json:"window_days,omitempty"`
	Seed       uint64    `json:"seed"`
	// MaxUsers is the sample bound; Testable the users the split could
	// test, of whom Model.Users were (sampled when more than MaxUsers).
	MaxUsers          int            `json:"max_users"`
	Testable          int            `json:"testable_users"`
	TrainInteractions int            `json:"train_interactions"`
	K                 int            `json:"k"`
	Model             Metrics        `json:"model"`
	Popularity        Metrics        `json:"popularity"`
	Algorithm         string         `json:"algorithm"`
	Params            map[string]any `json:"params"`
	TrainSeconds      float64        `json:"train_seconds"` // the held-out model's training
	EvalSeconds       float64        `json:"eval_seconds"`  // ranking for the model and the baseline
	Note              string         `json:"note,omitempty"`
}

// errUntestable is a split that leaves too few users to test.
var errUntestable = errors.New("too few users to test")

// holdoutSplit is the split TrainEvaluated evaluates on, with its
// protocol, its cutoff (time split) and why the time split was not used
// (when it was not). The split's tested users are not sampled yet.
//
// A time split is preferred: recommendations are used on the customers'
// next purchases, and a model trained on the past and tested on what came
// after cannot learn from purchases made after the ones it predicts (a
// random leave-one-out lets it, and lets a seasonal best-seller look
// better than it is). A shop whose history is too short for it — the
// window holds most of the data or no customer bought both before and
// after the cutoff — is evaluated by leave-one-out instead, and says so.
func holdoutSplit(d *Dataset, o EvalOptions) (s *Split, protocol string, cut time.Time, note string, err error) {
	o = o.withDefaults()
	if d.Len() == 0 {
		return nil, "", time.Time{}, "", fmt.Errorf("holdout: no interactions: %w", errUntestable)
	}
	var last int64
	timed := true
	for _, t := range d.T {
		if t == 0 {
			timed = false
			break
		}
		last = max(last, t)
	}
	if timed {
		cut = time.Unix(last, 0).UTC().Add(-o.Window).Truncate(24 * time.Hour)
		ts, terr := TimeSplit(d, cut.Unix())
		switch {
		case terr != nil:
			note = fmt.Sprintf("no time split at %s (%v)", cut.Format(time.DateOnly), terr)
		case 2*before(d, cut.Unix()) < d.Len():
			note = fmt.Sprintf("the time split at %s would train on less than half of the history", cut.Format(time.DateOnly))
		case ts.Tested() < o.MinUsers:
			note = fmt.Sprintf("the time split at %s tests %d users, fewer than %d", cut.Format(time.DateOnly), ts.Tested(), o.MinUsers)
		default:
			return ts, ProtocolTime, cut, "", nil
		}
		note += "; leave-one-out instead"
	} else {
		note = "the interactions have no time; leave-one-out"
	}
	s = LeaveOneOut(d, o.Seed)
	if n := s.Tested(); n < o.MinUsers {
		return nil, "", time.Time{}, note, fmt.Errorf("%s: %d users with two items or more, fewer than %d: %w", note, n, o.MinUsers, errUntestable)
	}
	return s, ProtocolLOO, time.Time{}, note, nil
}

// before counts the interactions before cut.
func before(d *Dataset, cut int64) int {
	n := 0
	for _, t := range d.T {
		if t < cut {
			n++
		}
	}
	return n
}

// Holdout evaluates configuration c on the held-out split of d
// (holdoutSplit, at most o.MaxUsers users tested): a separate model is
// trained on the training part, and it and the popularity baseline are
// scored at o.K. The error wraps errUntestable when the
// data leaves too few users to test.
func Holdout(ctx context.Context, d *Dataset, c Config, o EvalOptions) (*Evaluation, error) {
	o = o.withDefaults()
	s, protocol, cut, note, err := holdoutSplit(d, o)
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Protocol: protocol, Cutoff: cut, Seed: o.Seed, MaxUsers: o.MaxUsers, Testable: s.Tested(),
		TrainInteractions: s.Train.NNZ(), K: o.K, Params: c.Params(), Note: note}
	if protocol == ProtocolTime {
		ev.WindowDays = o.Window.Hours() / 24
	}
	s.SampleUsers(o.MaxUsers, o.Seed)
	hc := c
	hc.ALS.Progress = nil
	// An ALS model scores with its factors only; the item-kNN it carries
	// for cart completion does not change the figures.
	hc.SkipKNN = true
	start := time.Now()
	m, err := Fit(ctx, s.Train, hc)
	if err != nil {
		return nil, fmt.Errorf("holdout: %w", err)
	}
	ev.TrainSeconds = time.Since(start).Seconds()
	ev.Algorithm = m.Kind
	start = time.Now()
	if ev.Model, err = Evaluate(ctx, m, s, o.K, o.Workers); err != nil {
		return nil, fmt.Errorf("holdout: %w", err)
	}
	if ev.Popularity, err = Evaluate(ctx, FitPopularity(s.Train), s, o.K, o.Workers); err != nil {
		return nil, fmt.Errorf("holdout: %w", err)
	}
	ev.EvalSeconds = time.Since(start).Seconds()
	return ev, nil
}

// isUntestable reports whether err is Holdout's "too few users to test".
func isUntestable(err error) bool { return errors.Is(err, errUntestable) }

// TrainEvaluated evaluates c on a holdout of d (Holdout; not when o.Skip),
// then trains the served model on all of d. Data too thin to evaluate
// gives a model without an evaluation, NoEval saying why; any other
// failure is an error.
func TrainEvaluated(ctx context.Context, d *Dataset, c Config, o EvalOptions) (*Model, error) {
	var ev *Evaluation
	why := NoEvalSkipped
	if !o.Skip {
		var err error
		ev, err = Holdout(ctx, d, c, o)
		switch {
		case isUntestable(err):
			why = NoEvalUntestable + ": " + err.Error()
		case err != nil:
			return nil, err
		}
	}
	start := time.Now()
	m, err := Train(ctx, d, c)
	if err != nil {
		return nil, err
	}
	m.TrainSeconds = time.Since(start).Seconds()
	m.Interactions = d.Len()
	m.Eval = ev
	if ev == nil {
		m.NoEval = why
	}
	return m, nil
}

// Params are the hyperparameters of c that its kind uses, named as the
// flags of `sagitta recommend train` that set them, with the defaults a
// zero value stands for filled in.
func (c Config) Params() map[string]any {
	p := map[string]any{}
	als := func() {
		a := c.ALS.withDefaults()
		p["factors"], p["iterations"], p["lambda"], p["alpha"] = a.Factors, a.Iterations, a.Lambda, a.Alpha
		p["cg-steps"], p["reg-exponent"], p["seed"] = a.CGSteps, a.RegExponent, a.Seed
	}
	knn := func() {
		k := c.KNN
		if k.Neighbors <= 0 {
			k.Neighbors = 100
		}
		if k.Similarity == "" {
			k.Similarity = "cosine"
		}
		p["neighbors"], p["similarity"] = k.Neighbors, k.Similarity
		if k.Similarity == "rp3b" {
			if k.RPAlpha <= 0 {
				k.RPAlpha = 1
			}
			p["rp-alpha"], p["rp-beta"] = k.RPAlpha, k.RPBeta
		} else {
			p["shrink"] = k.Shrink
		}
	}
	switch kind := c.kind(); kind {
	case ModelALS:
		als()
	case ModelItemKNN:
		knn()
	case ModelBlend:
		knn()
		if c.BlendALS > 0 {
			als()
		}
		p["w-als"], p["w-knn"], p["w-pop"] = c.BlendALS, c.BlendKNN, c.BlendPop
	}
	return p
}

// ParamNames lists the keys of p in order, for printing.
func ParamNames(p map[string]any) []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
