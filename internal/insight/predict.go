package insight

import (
	"context"
	"encoding/json"
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
	_, err = predict.Enrich(ctx, s.st, tbl, s.opts.DataDir, s.opts.Location)
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
