package recommend

import (
	"context"
	"fmt"
	"strings"
)

// Model kinds.
const (
	ModelPopularity = "popularity"
	ModelItemKNN    = "itemknn"
	ModelALS        = "als"
	ModelBlend      = "blend"
)

// Config chooses a model and its hyperparameters. DefaultConfig's values
// were chosen on a validation split carved from MovieLens-100K's training
// part (never on the test items).
type Config struct {
	Model string // popularity, itemknn, als or blend (default)
	ALS   ALSOptions
	KNN   ItemKNNOptions
	// Blend weights of ALS, item-kNN and popularity, each model's scores
	// scaled to a maximum of 1 per user first.
	BlendALS, BlendKNN, BlendPop float64
	// SkipKNN leaves out the item-kNN an ALS model otherwise carries for
	// cart completion and candidate generation (evaluation only).
	SkipKNN bool
}

// DefaultConfig is the configuration tuned on a validation split of
// MovieLens-100K's training data (see docs/benchmarks.md).
func DefaultConfig() Config {
	return Config{Model: ModelALS,
		ALS:      ALSOptions{Factors: 32, Iterations: 15, Lambda: 5, Alpha: 0.3, CGSteps: 3, Workers: 2},
		KNN:      ItemKNNOptions{Neighbors: 100, Shrink: 10, Workers: 2, Similarity: "rp3b", RPAlpha: 1, RPBeta: 0.5},
		BlendALS: 1, BlendKNN: 0.2, BlendPop: 0}
}

// kind is the configured model kind, lower case ("" is a blend).
func (c Config) kind() string {
	if c.Model == "" {
		return ModelBlend
	}
	return strings.ToLower(c.Model)
}

// Fitted holds the models trained from one matrix.
type Fitted struct {
	Kind string
	Pop  *Popularity
	KNN  *ItemKNN
	ALS  *ALS
	W    [3]float64 // blend weights: ALS, kNN, popularity
	sc   Scorer
}

// Fit trains the configured model on m.
func Fit(ctx context.Context, m *Matrix, c Config) (*Fitted, error) {
	kind := c.kind()
	f := &Fitted{Kind: kind, Pop: FitPopularity(m), W: [3]float64{c.BlendALS, c.BlendKNN, c.BlendPop}}
	var err error
	switch kind {
	case ModelPopularity:
	case ModelItemKNN:
		f.KNN, err = FitItemKNN(ctx, m, c.KNN)
	case ModelALS:
		f.ALS, err = FitALS(ctx, m, c.ALS)
		if err == nil && c.KNN.Neighbors >= 0 && !c.SkipKNN {
			// Item-kNN serves cart completion and candidate generation.
			f.KNN, err = FitItemKNN(ctx, m, c.KNN)
		}
	case ModelBlend:
		// Item-kNN also serves cart completion and cold items, so the blend
		// always has one.
		if f.KNN, err = FitItemKNN(ctx, m, c.KNN); err == nil && c.BlendALS > 0 {
			f.ALS, err = FitALS(ctx, m, c.ALS)
		}
	default:
		return nil, fmt.Errorf("unknown model %q (popularity, itemknn, als, blend)", c.Model)
	}
	if err != nil {
		return nil, fmt.Errorf("train %s: %w", kind, err)
	}
	f.bind()
	return f, nil
}

func (f *Fitted) bind() {
	switch f.Kind {
	case ModelPopularity:
		f.sc = f.Pop
	case ModelItemKNN:
		f.sc = f.KNN
	case ModelALS:
		f.sc = f.ALS
	default:
		b := &Blend{}
		if f.ALS != nil {
			b.Models, b.Weights = append(b.Models, f.ALS), append(b.Weights, f.W[0])
		}
		if f.KNN != nil {
			b.Models, b.Weights = append(b.Models, f.KNN), append(b.Weights, f.W[1])
		}
		b.Models, b.Weights = append(b.Models, f.Pop), append(b.Weights, f.W[2])
		f.sc = b
	}
}

// Score implements Scorer.
func (f *Fitted) Score(u int32, hist []int32, dst []float32) { f.sc.Score(u, hist, dst) }
