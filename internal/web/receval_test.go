package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/app"
	"github.com/sagitta-dev/sagitta/internal/cli"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/recommend"
)

// TestModelsPageRecommendationEval: the evaluation kept with the test
// shop's recommendation model (trained from its SQLite store) equals a
// separate run of the evaluator over the same split — the time split 30
// days before the last purchase, the model trained on the part before it —
// and the models page shows it in a table and the chart's data.
func TestModelsPageRecommendationEval(t *testing.T) {
	s, srv := server(t)
	ctx := context.Background()
	m := s.rec.Model()
	ev := m.Eval
	if ev == nil {
		t.Fatalf("the shop's model has no evaluation: %q", m.NoEval)
	}
	// the orders the model was trained on: the shop's, not those other
	// tests of the package import later (the browser test's conversions)
	d, _, err := recommend.OrderInteractions(ctx, s.st, s.end.Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for _, x := range d.T {
		last = max(last, x)
	}
	cut := time.Unix(last, 0).UTC().AddDate(0, 0, -30).Truncate(24 * time.Hour)
	split, err := recommend.TimeSplit(d, cut.Unix())
	if err != nil {
		t.Fatal(err)
	}
	split.SampleUsers(5000, 1)
	fit, err := recommend.Fit(ctx, split.Train, recShopConfig)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := recommend.Evaluate(ctx, fit, split, 10, 2)
	pop, _ := recommend.Evaluate(ctx, recommend.FitPopularity(split.Train), split, 10, 2)
	if ev.Protocol != recommend.ProtocolTime || !ev.Cutoff.Equal(cut) || ev.Model != want || ev.Popularity != pop || want.Users < 50 {
		t.Fatalf("kept %s at %s:\n %+v\n %+v\nseparate run at %s:\n %+v\n %+v", ev.Protocol, ev.Cutoff, ev.Model, ev.Popularity, cut, want, pop)
	}

	c := loggedIn(t, srv, s, "analyst")
	code, body := c.get("/models")
	if code != 200 {
		t.Fatalf("/models: %d", code)
	}
	for _, w := range []string{`id="rec-metrics"`, `data-chart="rec"`, "Time split at " + cut.Format(time.DateOnly),
		"<th class=\"num\">NDCG@10</th>", "popularity (baseline)", "neighbors 100"} {
		if !strings.Contains(body, w) {
			t.Errorf("/models lacks %q", w)
		}
	}
	table := regexp.MustCompile(`(?s)<table class="list" id="rec-metrics">.*?</table>`).FindString(body)
	for _, row := range []struct {
		name string
		m    recommend.Metrics
	}{{"itemknn", want}, {"popularity (baseline)", pop}} {
		cells := []string{row.name, formatFixed(row.m.NDCG, 4), formatFixed(row.m.HR, 4), formatFixed(row.m.Recall, 4),
			formatFixed(row.m.Precision, 4), formatFixed(row.m.MAP, 4)}
		re := `<td>` + regexp.QuoteMeta(cells[0]) + `</td>`
		for _, c := range cells[1:] {
			re += `<td class="num">` + regexp.QuoteMeta(c) + `</td>`
		}
		if !regexp.MustCompile(re).MatchString(table) {
			t.Errorf("the table has no row %v:\n%s", cells, table)
		}
	}
	var charts struct {
		Rec struct {
			K                 int
			Algorithm         string
			Model, Popularity []float64
		}
	}
	raw := regexp.MustCompile(`(?s)<script type="application/json" id="chart-data">(.*?)</script>`).FindStringSubmatch(body)
	if raw == nil || json.Unmarshal([]byte(raw[1]), &charts) != nil || charts.Rec.K != 10 || charts.Rec.Algorithm != "itemknn" ||
		len(charts.Rec.Model) != 6 || charts.Rec.Model[0] != want.NDCG || charts.Rec.Popularity[1] != pop.HR {
		t.Errorf("chart data %+v", charts.Rec)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/models", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	if _, zh, _ := c.do(req); !strings.Contains(zh, "按时间切分于 "+cut.Format(time.DateOnly)) || !strings.Contains(zh, "热门度（基线）") {
		t.Errorf("the Chinese page lacks the evaluation")
	}
}

// formatFixed is the page's float with prec digits, for figures in [0, 1).
func formatFixed(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }

// TestModelsPageRecommendationEscaped serves a model whose evaluation
// carries markup (a note and an algorithm name, as a crafted model file
// could): the page shows it as text.
func TestModelsPageRecommendationEscaped(t *testing.T) {
	s, _ := server(t)
	orig := s.rec.Model()
	bad := *orig
	ev := *orig.Eval
	ev.Note, ev.Algorithm = `<script>alert("note")</script>`, `<b>knn</b>`
	bad.Eval = &ev
	rec := recommend.NewService(recommend.ServiceOptions{})
	rec.Swap(&bad)
	srv := httptest.NewServer(app.NewHandler(cli.Services{Store: s.st, Resolver: identity.NewResolver(identity.DefaultPolicy()),
		Insight: s.in, Marketing: s.mk, Recommend: rec}))
	defer srv.Close()
	c := loggedIn(t, srv, s, "analyst")
	_, body := c.get("/models")
	if strings.Contains(body, `<script>alert("note")`) || strings.Contains(body, "<b>knn</b>") {
		t.Fatal("markup of the model file reached the page unescaped")
	}
	if !strings.Contains(body, html.EscapeString(`<script>alert("note")</script>`)) || !strings.Contains(body, "<td>&lt;b&gt;knn&lt;/b&gt;</td>") {
		t.Errorf("the note or the algorithm is not shown escaped")
	}
}

// TestModelsPageRecommendationWithoutEval: a model without an evaluation
// says why and how to get one — trained with --no-eval, on too short a
// history, or read from a format-1 file.
func TestModelsPageRecommendationWithoutEval(t *testing.T) {
	s, _ := server(t)
	for _, tc := range []struct{ noEval, want string }{
		{recommend.NoEvalSkipped, "trained with --no-eval"},
		{recommend.NoEvalUntestable + ": 3 users <i>only</i>", "too short to hold part of it out (3 users &lt;i&gt;only&lt;/i&gt;)"},
		{"", "holds no evaluation"},
	} {
		m := *s.rec.Model()
		m.Eval, m.NoEval = nil, tc.noEval
		rec := recommend.NewService(recommend.ServiceOptions{})
		rec.Swap(&m)
		srv := httptest.NewServer(app.NewHandler(cli.Services{Store: s.st, Resolver: identity.NewResolver(identity.DefaultPolicy()),
			Insight: s.in, Marketing: s.mk, Recommend: rec}))
		c := loggedIn(t, srv, s, "analyst")
		_, body := c.get("/models")
		srv.Close()
		if !strings.Contains(body, `id="rec-no-eval"`) || !strings.Contains(body, tc.want) || strings.Contains(body, `id="rec-metrics"`) {
			t.Errorf("NoEval %q: the page lacks %q", tc.noEval, tc.want)
		}
		if !strings.Contains(body, "sagitta recommend train --from-store") && tc.noEval != recommend.NoEvalUntestable+": 3 users <i>only</i>" {
			t.Errorf("NoEval %q: the page does not say how to get an evaluation", tc.noEval)
		}
	}
}
