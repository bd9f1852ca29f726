package web

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestOverviewFlows: the overview shows the latest recorded period's flow
// matrix as a table (also without the chart bundle), another period when
// the selector asks for it, and the stage sizes over time; stage names
// that the catalogue does not know are shown as recorded, escaped.
func TestOverviewFlows(t *testing.T) {
	ctx := t.Context()
	st, in, k := emptyShop(t, store.RoleAnalyst)
	s := New(Options{Store: st, Insight: in})
	delete(s.assets.files, ChartsFile) // the tables must do without the charts
	token := s.sessions.create(k)
	get := func(path, lang string) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
		r.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, w.Code, w.Body)
		}
		return w.Body.String()
	}
	if body := get("/", "en"); !strings.Contains(body, `id="no-flows"`) || !strings.Contains(body, "No lifecycle snapshot recorded yet") {
		t.Error("an empty shop's overview does not say that no flows are recorded")
	}

	now := time.Now().UTC().Truncate(time.Second)
	d0, d1, d2 := now.AddDate(0, 0, -20), now.AddDate(0, 0, -10), now
	odd := `<b onclick="x">odd</b>`
	for _, ls := range []store.LifecycleSnapshot{
		{At: d0, AsOf: d0, Stages: []store.StageCount{{Stage: "active", Customers: 5}, {Stage: odd, Customers: 1}}},
		{At: d1, AsOf: d1, PrevAt: d0, PrevAsOf: d0, Stages: []store.StageCount{{Stage: "active", Customers: 4}, {Stage: "silent", Customers: 2}},
			Flows: []store.StageFlow{{From: "", To: "silent", Customers: 1}, {From: "active", To: "active", Customers: 4},
				{From: "active", To: "silent", Customers: 1}, {From: odd, To: "", Customers: 1}}},
		{At: d2, AsOf: d2, PrevAt: d1, PrevAsOf: d1, Stages: []store.StageCount{{Stage: "active", Customers: 3}, {Stage: "churned", Customers: 3}},
			Flows: []store.StageFlow{{From: "active", To: "active", Customers: 3}, {From: "active", To: "churned", Customers: 1},
				{From: "silent", To: "churned", Customers: 2}}},
	} {
		if err := st.AddLifecycleSnapshot(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.overview.refreshNow(ctx); err != nil {
		t.Fatal(err)
	}
	matrix := regexp.MustCompile(`(?s)<table class="compact matrix-flows" id="flow-matrix">.*?</table>`)
	cells := func(html string) string { // the matrix as text: "header | ... ; row | ..."
		html = regexp.MustCompile(`</t[hd]>`).ReplaceAllString(html, "|")
		html = regexp.MustCompile(`</tr>`).ReplaceAllString(html, ";")
		return regexp.MustCompile(`<[^>]+>|\s+`).ReplaceAllString(html, "")
	}

	body := get("/", "en")
	m := matrix.FindString(body)
	if m == "" {
		t.Fatalf("no flow matrix on the overview:\n%s", body)
	}
	// the latest period by default: active and silent to active and churned
	if got, want := cells(m), `from\to|active|churned|Total|;active|3|1|4|;silent|0|2|2|;`; got != want {
		t.Errorf("latest matrix = %s, want %s", got, want)
	}
	if !strings.Contains(body, `data-chart="flows"`) || !strings.Contains(body, `data-chart="stage_history"`) {
		t.Error("no chart placeholders for the flows and the stage history")
	}
	if !strings.Contains(body, "3 changed stage, 0 entered, 0 left") {
		t.Error("no summary of the period")
	}
	// the earlier period through the selector
	id := strconv.FormatInt(d1.UnixMicro(), 10)
	if !strings.Contains(body, `<option value="`+id+`">`) {
		t.Errorf("the selector lacks the earlier period %s", id)
	}
	body = get("/?flows="+id, "en")
	m = matrix.FindString(body)
	esc := `&lt;b onclick=&#34;x&#34;&gt;odd&lt;/b&gt;`
	if got, want := cells(m), `from\to|active|silent|left(merged)|Total|;active|4|1|0|5|;`+strings.ReplaceAll(esc, " ", "")+`|0|0|1|1|;entered|0|1|0|1|;`; got != want {
		t.Errorf("earlier matrix = %s, want %s", got, want)
	}
	if !strings.Contains(body, "1 changed stage, 1 entered, 1 left") {
		t.Error("no summary of the earlier period")
	}
	if strings.Contains(body, odd) {
		t.Error("a stage name reached the page unescaped")
	}
	if !strings.Contains(body, `<option value="`+id+`" selected>`) {
		t.Error("the chosen period is not selected")
	}
	// stage sizes over time: a column per stage, newest first; the unknown stage escaped
	hist := regexp.MustCompile(`(?s)<section class="card" id="stage-history">.*?</section>`).FindString(body)
	if !strings.Contains(hist, "<th>"+esc+"</th>") || !strings.Contains(hist, "<td>"+d2.Format("2006-01-02 15:04")+"</td>") {
		t.Errorf("stage history table:\n%s", hist)
	}
	// translated, in Chinese
	if body := get("/", "zh"); !strings.Contains(body, "生命周期流转") || !strings.Contains(cells(matrix.FindString(body)), "活跃|流失|合计") {
		t.Error("the Chinese overview lacks the translated flows")
	}
}
