package insight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sagitta-dev/sagitta/internal/predict"
)

// Models lists the models persisted in the data directory, by name.
func (s *Service) Models() (map[string]json.RawMessage, error) {
	return predict.ListModels(s.opts.DataDir)
}

// FitCLV fits and saves the CLV model over the store, then scores the
// current feature table with it and re-evaluates tags and segments.
func (s *Service) FitCLV(ctx context.Context, o predict.CLVOptions) (*predict.CLVModel, error) {
	o.DataDir, o.Location, o.Clock = s.opts.DataDir, s.opts.Location, s.opts.Clock
	m, err := predict.FitCLV(ctx, s.st, o)
	if err != nil {
		return nil, err
	}
	tbl := s.Table()
	if tbl.Len() == 0 {
		return m, nil
	}
	s.mu.Lock()
	_, err = s.enrich(ctx, tbl)
	s.mu.Unlock()
	if err != nil {
		return m, fmt.Errorf("score the customers with the new model: %w", err)
	}
	if err := s.evaluate(ctx, tbl); err != nil {
		return m, err
	}
	return m, s.saveTable(tbl)
}

// Predictions returns a customer's predictions from the feature table;
// false when the table has no row for the customer.
func (s *Service) Predictions(id int64) (predict.Prediction, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return predict.PredictionOf(s.Table(), id, s.opts.Location)
}

// Retrain refits the CLV model and the shop's churn model (90-day horizon)
// on everything the store holds, then recomputes the features, which scores
// every customer with them, and re-evaluates tags and segments. A model
// that cannot be trained (too little data) is reported and skipped; the
// features are recomputed anyway.
func (s *Service) Retrain(ctx context.Context) error {
	errs := []error{s.TrainModels(ctx)}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, err := s.Recompute(ctx, s.opts.Clock(), true); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TrainModels fits and saves the CLV and churn models over the store; the
// next recompute scores the customers with them.
func (s *Service) TrainModels(ctx context.Context) error {
	var errs []error
	if _, err := predict.FitCLV(ctx, s.st, predict.CLVOptions{DataDir: s.opts.DataDir, Location: s.opts.Location, Clock: s.opts.Clock}); err != nil {
		errs = append(errs, fmt.Errorf("retrain CLV: %w", err))
	}
	if _, _, err := predict.TrainShopChurn(ctx, s.st, predict.ShopChurnOptions{DataDir: s.opts.DataDir, Location: s.opts.Location, Clock: s.opts.Clock}); err != nil {
		errs = append(errs, fmt.Errorf("retrain churn: %w", err))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// DataDir is the data directory the service keeps its files and models in
// ("" when it keeps them in memory only).
func (s *Service) DataDir() string { return s.opts.DataDir }
