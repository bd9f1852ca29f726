package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/churn"
	"github.com/sagitta-dev/sagitta/internal/predict"
	"github.com/sagitta-dev/sagitta/internal/recommend"
)

// modelsView is the models page: the saved CLV and churn models'
// diagnostics and the recommendation model in service.
type modelsView struct {
	CLV      *predict.CLVModel
	CLVErr   string
	Churn    *churnView
	ChurnErr string
	Rec      *recView
}

// churnView is what the page shows of the saved churn model (no trees).
type churnView struct {
	Version   int
	TrainedAt string
	Kind      string
	Rows      int
	Positives int
	Window    map[string]string
	InnerAUC  any
	Eval      *predict.ShopEval
	Metrics   []namedMetrics // of the time split, chosen first
}

// liftRow is the cumulative lift of the model and the baseline at a depth.
type liftRow struct {
	Depth             int // percent of the customers, highest scores first
	Model, Baseline   float64
	HasModel, HasBase bool
}

// LiftRows tabulates the saved lift curves, nil when the model has none.
func (c *churnView) LiftRows() []liftRow {
	if c.Eval == nil || len(c.Eval.Lift) == 0 {
		return nil
	}
	m, b := c.Eval.Lift["chosen"], c.Eval.Lift["recency_baseline"]
	rows := make([]liftRow, max(len(m), len(b)))
	for i := range rows {
		rows[i].Depth = 10 * (i + 1)
		if i < len(m) {
			rows[i].Model, rows[i].HasModel = m[i], true
		}
		if i < len(b) {
			rows[i].Baseline, rows[i].HasBase = b[i], true
		}
	}
	return rows
}

type namedMetrics struct {
	Name string
	churn.Metrics
}

// recView describes the recommendation model in service and its held-out
// evaluation (nil for a model without one; NoEval then says why).
type recView struct {
	TrainedAt           time.Time
	Kind                string
	Users, Items, Rules int
	TrainSeconds        float64
	Eval                *recommend.Evaluation
	NoEval              string // recommend.NoEvalSkipped, NoEvalUntestable or ""
	NoEvalDetail        string // what made the data untestable
	Params              string // "factors 32 · iterations 15 · …"
}

// recViewOf describes model m.
func recViewOf(m *recommend.Model) *recView {
	h := m.Header()
	rv := &recView{TrainedAt: h.TrainedAt, Kind: h.Kind, Users: h.Users, Items: h.Items, Rules: h.Rules,
		TrainSeconds: h.TrainSeconds, Eval: h.Evaluation}
	why, detail, _ := strings.Cut(h.NoEvaluation, ": ")
	switch why {
	case recommend.NoEvalSkipped, recommend.NoEvalUntestable:
		rv.NoEval, rv.NoEvalDetail = why, detail
	}
	params := h.Params
	if rv.Eval != nil {
		params = rv.Eval.Params
	}
	var parts []string
	for _, n := range recommend.ParamNames(params) {
		parts = append(parts, fmt.Sprintf("%s %v", n, params[n]))
	}
	rv.Params = strings.Join(parts, " · ")
	return rv
}

// recEvalRow is one line of the evaluation table.
type recEvalRow struct {
	Name     string
	Baseline bool
	recommend.Metrics
}

// Rows are the evaluation table's lines: the model, then popularity.
func (rv *recView) Rows() []recEvalRow {
	if rv.Eval == nil {
		return nil
	}
	return []recEvalRow{{Name: rv.Eval.Algorithm, Metrics: rv.Eval.Model}, {Name: "popularity", Baseline: true, Metrics: rv.Eval.Popularity}}
}

// modelFiles caches what the page reads from the model files, keyed by
// their modification times, so that a view does not decode a churn
// model's trees again.
type modelFiles struct {
	mu   sync.Mutex
	key  string
	clv  *predict.CLVModel
	cerr error
	ch   *predict.ChurnFile
	herr error
}

func (m *modelFiles) load(dataDir string) (*predict.CLVModel, error, *predict.ChurnFile, error) {
	key := dataDir
	for _, n := range []string{predict.CLVName, predict.ChurnName} {
		if fi, err := os.Stat(filepath.Join(dataDir, predict.ModelDir, n+".json")); err == nil {
			key += "|" + fi.ModTime().String()
		} else {
			key += "|-"
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if key != m.key || m.key == "" {
		m.clv, m.cerr = predict.LoadCLV(dataDir)
		m.ch, m.herr = predict.LoadShopChurn(dataDir)
		m.key = key
	}
	return m.clv, m.cerr, m.ch, m.herr
}

// modelsPage shows the models' diagnostics.
func (s *Server) modelsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	v := s.view(r, rq, "models.title")
	mv := &modelsView{}
	if s.dataDir == "" {
		mv.CLVErr, mv.ChurnErr = v.T("models.no_data_dir"), v.T("models.no_data_dir")
	} else {
		clv, cerr, ch, herr := s.models.load(s.dataDir)
		mv.CLV = clv
		mv.CLVErr = modelErr(v, cerr, "models.no_clv")
		if ch != nil {
			mv.Churn = churnOf(ch)
		}
		mv.ChurnErr = modelErr(v, herr, "models.no_churn")
	}
	if s.rec != nil {
		if m := s.rec.Model(); m != nil {
			mv.Rec = recViewOf(m)
		}
	}
	v.Data = mv
	s.render(w, "models", http.StatusOK, v)
	return nil
}

// modelErr is the message for a model that could not be loaded.
func modelErr(v *view, err error, absent string) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, predict.ErrNoModel):
		return v.T(absent)
	}
	return v.T("models.unreadable", err.Error())
}

func churnOf(f *predict.ChurnFile) *churnView {
	c := &churnView{Version: f.Version, TrainedAt: f.TrainedAt, Rows: f.Rows, Positives: f.Positive, Window: f.Window,
		InnerAUC: f.Metrics["inner_cv_auc"]}
	c.Kind, _ = f.Metrics["chosen"].(string)
	if ts, ok := f.Metrics["time_split"]; ok {
		// the metrics were decoded as a generic map: read them again as what they are
		var ev predict.ShopEval
		if b, err := json.Marshal(ts); err == nil && json.Unmarshal(b, &ev) == nil {
			c.Eval = &ev
			for name, m := range ev.Models {
				c.Metrics = append(c.Metrics, namedMetrics{name, m})
			}
			rank := func(n string) int {
				switch n {
				case "chosen":
					return 0
				case "recency_baseline":
					return 2
				}
				return 1
			}
			slices.SortFunc(c.Metrics, func(a, b namedMetrics) int {
				if d := rank(a.Name) - rank(b.Name); d != 0 {
					return d
				}
				if a.Name < b.Name {
					return -1
				}
				return 1
			})
		}
	}
	return c
}

// Charts returns what the page's charts draw.
func (mv *modelsView) Charts() map[string]any {
	out := map[string]any{}
	if mv.CLV != nil && mv.CLV.Evaluation != nil {
		out["clv"] = mv.CLV.Evaluation.ByX
	}
	if c := mv.Churn; c != nil && c.Eval != nil {
		if len(c.Eval.ROC) > 0 {
			out["roc"] = c.Eval.ROC
		}
		if len(c.Eval.Lift) > 0 {
			out["lift"] = c.Eval.Lift
		}
		if m, ok := c.Eval.Models["chosen"]; ok && len(m.Calibration) > 0 {
			out["calibration"] = m.Calibration
		}
	}
	if mv.Rec != nil && mv.Rec.Eval != nil {
		ev := mv.Rec.Eval
		row := func(m recommend.Metrics) []float64 {
			return []float64{m.NDCG, m.HR, m.Recall, m.Precision, m.MAP, m.Coverage}
		}
		out["rec"] = map[string]any{"k": ev.K, "algorithm": ev.Algorithm, "model": row(ev.Model), "popularity": row(ev.Popularity)}
	}
	return out
}
