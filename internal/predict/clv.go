package predict

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// CLVName is the file name (without .json) of the persisted CLV model.
const CLVName = "clv"

// CLVOptions configure FitCLV.
type CLVOptions struct {
	// CalibrationEnd is the last calendar day whose orders the fit uses;
	// 0: the day of the last order in the store.
	CalibrationEnd int32
	// HoldoutEnd, when after CalibrationEnd, is the last day of a holdout
	// period whose purchases are predicted and compared.
	HoldoutEnd int32
	Unit       clv.Unit
	Location   *time.Location
	// DataDir: where the fitted model is saved ("" saves nothing).
	DataDir string
	Clock   func() time.Time
}

// BGNBDOut is the BG/NBD part of a persisted CLV model.
type BGNBDOut struct {
	R      float64 `json:"r"`
	Alpha  float64 `json:"alpha"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
	LogLik float64 `json:"log_likelihood"`
}

// CLVModel is a fitted BG/NBD + Gamma-Gamma model, as persisted and printed.
type CLVModel struct {
	Header
	Customers  int            `json:"customers"`
	BGNBD      BGNBDOut       `json:"bgnbd"`
	GammaGamma clv.GammaGamma `json:"gamma_gamma"`
	TimeUnit   string         `json:"time_unit"`
	// The training window: the first order day and the calibration end.
	DataFrom       string `json:"data_from"`
	CalibrationEnd string `json:"calibration_end"`
	HoldoutEnd     string `json:"holdout_end,omitempty"`
	RepeatBuyers   int    `json:"repeat_buyers"`
	SpendCustomers int    `json:"gamma_gamma_customers"`
	Transactions   int    `json:"transactions"` // customer-days used
	// IgnoredAfterEnd counts customer-days after the calibration end (the
	// holdout's included) that the fit did not use.
	IgnoredAfterEnd int            `json:"ignored_after_calibration_end"`
	LateCustomers   int            `json:"customers_after_calibration_end"`
	Fit             map[string]any `json:"fit"`
	// StdErrors are asymptotic standard errors of the parameters (those
	// that are determined): how far to trust them on small data.
	StdErrors  map[string]float64 `json:"standard_errors,omitempty"`
	Evaluation *clv.Evaluation    `json:"evaluation,omitempty"`
	Notes      []string           `json:"notes,omitempty"`
	Warnings   []string           `json:"warnings,omitempty"`
}

// Model returns the fitted parameters.
func (m *CLVModel) Model() (clv.BGNBD, clv.GammaGamma, clv.Unit) {
	u, _ := clv.ParseUnit(m.TimeUnit)
	return clv.BGNBD{R: m.BGNBD.R, Alpha: m.BGNBD.Alpha, A: m.BGNBD.A, B: m.BGNBD.B}, m.GammaGamma, u
}

// ErrNoOrders: the store has no sale orders of known customers.
var ErrNoOrders = errors.New("no sale orders of known customers")

// FitCLV reads the shop's sale orders, fits BG/NBD and Gamma-Gamma on the
// calibration period, evaluates on the holdout when one is given and saves
// the model as DATA_DIR/models/clv.json.
func FitCLV(ctx context.Context, src store.Analytics, o CLVOptions) (*CLVModel, error) {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	tx, err := ReadTxns(ctx, src, time.Time{}, o.Location)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	if len(tx.List) == 0 {
		return nil, ErrNoOrders
	}
	return fitCLV(tx, o)
}

func fitCLV(tx *Txns, o CLVOptions) (*CLVModel, error) {
	end := o.CalibrationEnd
	var notes []string
	if end == 0 {
		end = tx.LastDay
		notes = append(notes, fmt.Sprintf("calibration end defaults to the day of the last order, %s", DayString(end)))
	}
	if end < tx.FirstDay {
		return nil, fmt.Errorf("calibration end %s is before the first order (%s)", DayString(end), DayString(tx.FirstDay))
	}
	if o.HoldoutEnd != 0 && o.HoldoutEnd <= end {
		return nil, fmt.Errorf("holdout end %s is not after the calibration end %s", DayString(o.HoldoutEnd), DayString(end))
	}
	s := clv.Summarize(tx.List, end, o.HoldoutEnd, o.Unit)
	m := &CLVModel{
		Header:          Header{Kind: "clv", Format: 1, Version: nextVersion(o.DataDir, CLVName), TrainedAt: o.Clock().UTC().Format(time.RFC3339)},
		Customers:       s.Buyers(),
		TimeUnit:        s.Unit.String(),
		DataFrom:        DayString(tx.FirstDay),
		CalibrationEnd:  DayString(end),
		RepeatBuyers:    s.RepeatBuyers(),
		Transactions:    s.Txns,
		IgnoredAfterEnd: s.Ignored,
		LateCustomers:   s.LateFirst,
		Notes:           notes,
	}
	if s.Ignored > 0 {
		msg := fmt.Sprintf("%d customer-days of orders after the calibration end %s were ignored by the fit", s.Ignored, DayString(end))
		if s.LateFirst > 0 {
			msg += fmt.Sprintf("; %d customers whose first order is later are not in it", s.LateFirst)
		}
		if o.HoldoutEnd != 0 {
			msg += fmt.Sprintf("; %d of them fall in the holdout to %s and are compared with the predictions", s.HoldoutTxns, DayString(o.HoldoutEnd))
		}
		m.Notes = append(m.Notes, msg)
	}
	if n := s.Buyers(); n < clv.WarnBuyers {
		m.Warnings = append(m.Warnings, fmt.Sprintf("only %d buyers (fewer than %d): the estimates are uncertain; read the predictions as rough rankings", n, clv.WarnBuyers))
	}
	fit, err := clv.Fit(s.X, s.Tx, s.T)
	if err != nil {
		return nil, fmt.Errorf("fit BG/NBD on %d customers to %s: %w", s.Buyers(), DayString(end), err)
	}
	gg, err := clv.FitGammaGamma(s.X, s.Monetary)
	if err != nil {
		return nil, fmt.Errorf("fit Gamma-Gamma on the repeat buyers to %s: %w", DayString(end), err)
	}
	m.BGNBD = BGNBDOut{R: fit.R, Alpha: fit.Alpha, A: fit.A, B: fit.B, LogLik: fit.LogLik}
	m.GammaGamma = gg.GammaGamma
	m.SpendCustomers = gg.Customers
	m.Warnings = append(m.Warnings, fit.Warnings...)
	m.Fit = map[string]any{"bgnbd_iterations": fit.Iterations, "bgnbd_gradient_norm": fit.GradNorm,
		"gamma_gamma_iterations": gg.Iterations, "gamma_gamma_log_likelihood": gg.LogLik}
	m.StdErrors = map[string]float64{}
	if se, err := clv.StdErrors(fit.BGNBD, s.X, s.Tx, s.T); err == nil {
		for i, k := range []string{"r", "alpha", "a", "b"} {
			if !math.IsNaN(se[i]) {
				m.StdErrors[k] = se[i]
			}
		}
	}
	if se, err := clv.GGStdErrors(gg.GammaGamma, s.X, s.Monetary); err == nil {
		for i, k := range []string{"p", "q", "gamma"} {
			if !math.IsNaN(se[i]) {
				m.StdErrors[k] = se[i]
			}
		}
	}
	if o.HoldoutEnd != 0 {
		m.HoldoutEnd = DayString(o.HoldoutEnd)
		ev := clv.Evaluate(fit.BGNBD, s, int(o.HoldoutEnd-end))
		m.Evaluation = &ev
	}
	if o.DataDir != "" {
		if err := saveModel(o.DataDir, CLVName, m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// LoadCLV reads the persisted CLV model; ErrNoModel when none was fitted.
func LoadCLV(dataDir string) (*CLVModel, error) {
	var m CLVModel
	if err := loadModel(dataDir, CLVName, &m); err != nil {
		return nil, err
	}
	return &m, nil
}
