package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestRecommendationEvalWithoutCharts: without the ECharts bundle the
// models page still shows the recommendation evaluation's table, and where
// the chart would be, the placeholder.
func TestRecommendationEvalWithoutCharts(t *testing.T) {
	ctx := t.Context()
	st, in, k := emptyShop(t, store.RoleAnalyst)
	// 100 customers buying in one of two departments for 100 days
	d := recommend.NewDataset()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for u := range 100 {
		for day := u % 7; day < 100; day += 7 {
			d.Add(fmt.Sprint(u), fmt.Sprintf("sku%d", (u%2)*10+(u+day)%10), t0.AddDate(0, 0, day).Unix())
		}
	}
	m, err := recommend.TrainEvaluated(ctx, d, recommend.Config{Model: recommend.ModelItemKNN}, recommend.EvalOptions{})
	if err != nil || m.Eval == nil {
		t.Fatalf("%v, %q", err, m.NoEval)
	}
	rec := recommend.NewService(recommend.ServiceOptions{})
	rec.Swap(m)
	s := New(Options{Store: st, Insight: in, Recommend: rec})
	delete(s.assets.files, ChartsFile)
	r := httptest.NewRequest(http.MethodGet, "/models", nil)
	r.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.sessions.create(k)})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	body := w.Body.String()
	if w.Code != 200 || !regexp.MustCompile(`(?s)<table class="list" id="rec-metrics">.*<td>itemknn</td>.*</table>\s*<div[^>]*data-chart="rec"`).MatchString(body) ||
		!strings.Contains(body, `id="charts-missing"`) || strings.Contains(body, "echarts.min.js") {
		t.Errorf("/models without the bundle: %d, no evaluation table before the chart's place:\n%s", w.Code, body)
	}
}
