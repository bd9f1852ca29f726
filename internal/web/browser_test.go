package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// chromium finds the browser: $SAGITTA_CHROMIUM, else Debian's chromium.
func chromium(t *testing.T) string {
	if p := os.Getenv("SAGITTA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SAGITTA_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("SAGITTA_REQUIRE_CHROMIUM=1 but no chromium found (apt-get install -y chromium)")
	}
	t.Skip("no chromium found (apt-get install -y chromium, or set SAGITTA_CHROMIUM): skipping the browser test")
	return ""
}

// screenshots is where the browser test leaves its pictures:
// $SAGITTA_SCREENSHOTS, else testdata/screenshots (ignored by git).
func screenshots(t *testing.T) string {
	dir := os.Getenv("SAGITTA_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// transfer sums the bytes the browser received per URL.
type transfer struct {
	mu    sync.Mutex
	urls  map[network.RequestID]string
	bytes map[string]float64
}

func (tr *transfer) listen(ev any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		tr.urls[e.RequestID] = e.Request.URL
	case *network.EventLoadingFinished:
		tr.bytes[tr.urls[e.RequestID]] += e.EncodedDataLength
	}
}

func (tr *transfer) total() (float64, string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var sum float64
	var lines []string
	for u, b := range tr.bytes {
		sum += b
		lines = append(lines, fmt.Sprintf("%9.0f  %s", b, u))
	}
	sort.Strings(lines)
	return sum, strings.Join(lines, "\n")
}

// TestBrowser clicks through the console in a real headless Chromium:
// login, overview, customer 360, the segment builder with a broken and a
// good rule, and saving the segment; it saves a screenshot of each step and
// measures the bytes of the overview's first load.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	s := newShop(t)
	srv := httptest.NewServer(s.handler)
	defer srv.Close()
	shots := screenshots(t)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(),
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("window-size", "1280,900"),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 150*time.Second)
	defer cancelTimeout()

	// every script error of every page fails the test
	var jsMu sync.Mutex
	var jsErrors []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			jsMu.Lock()
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			jsErrors = append(jsErrors, fmt.Sprintf("%s:%d:%d %s", d.URL, d.LineNumber+1, d.ColumnNumber+1, msg))
			jsMu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		jsMu.Lock()
		defer jsMu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("script error in the page: %s", e)
		}
	}()

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(shots, name+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		var err error
		for try := 0; try < 5; try++ {
			var v string
			if v, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil {
				return v
			}
			// right after a navigation the browser may renumber the nodes
			// it just reported: ask again
			if !strings.Contains(err.Error(), "No node with given id") {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("text of %s: %v", sel, err)
		return ""
	}

	// an admin imports a file of customers (one row without any id is
	// rejected), then logs out; the features are recomputed with them
	csvPath := filepath.Join(t.TempDir(), "browser-customers.csv")
	if err := os.WriteFile(csvPath, []byte("customer,email,name,city\nbr-1,br.one@example.com,Bea One,Graz\n"+
		"br-2,br.two@example.com,Ben Two,Graz\n,,no id,Graz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	do("open the login", chromedp.Navigate(srv.URL+"/import"), chromedp.WaitVisible(chromedp.CSS("#key")))
	shot("1-login")
	do("log in as admin", chromedp.SendKeys(chromedp.CSS("#key"), s.keys[store.RoleAdmin]),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#import-form")))
	// the page again, settled: the node of the file input must not go away under the upload
	do("open the import", chromedp.Navigate(srv.URL+"/import"), chromedp.WaitReady(chromedp.CSS("#file")))
	do("import customers", chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{csvPath}),
		chromedp.SendKeys(chromedp.CSS("#source"), "browser"), chromedp.Click(chromedp.CSS("#import")),
		chromedp.WaitVisible(chromedp.CSS("#import-summary")))
	if got := text("#im-imported") + "/" + text("#im-rejected"); got != "2/1" {
		t.Errorf("imported/rejected %s, want 2/1", got)
	}
	shot("0-import")
	imported, err := profile.Lookup(t.Context(), s.st, "browser:br-1")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, ok := s.in.Table().Index(imported); ok {
			break
		}
	}
	if _, ok := s.in.Table().Index(imported); !ok {
		t.Error("the features were not recomputed with the imported customers")
	}
	do("log out", chromedp.Click(chromedp.CSS(".who button.link")), chromedp.WaitVisible(chromedp.CSS("#key")))

	// login
	do("open the login", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#key")))
	do("log in", chromedp.SendKeys(chromedp.CSS("#key"), s.keys[store.RoleOperator]),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#value-loyalty")))

	// the overview's first load, with an empty cache: every byte received
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.ClearBrowserCache, struct{}{}); err != nil {
		t.Fatal(err)
	}
	tr := &transfer{urls: map[network.RequestID]string{}, bytes: map[string]float64{}}
	lctx, stopListen := context.WithCancel(ctx)
	if err := chromedp.Listen(lctx, tr.listen); err != nil {
		t.Fatal(err)
	}
	do("load the overview", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#value-loyalty")))
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!window.echarts"))
	if err != nil {
		t.Fatal(err)
	}
	if charts {
		do("draw the charts", chromedp.WaitVisible(chromedp.CSS(`[data-chart="rfm"] canvas`)),
			chromedp.Sleep(700)) // ECharts animates for about half a second
	} else {
		do("note instead of charts", chromedp.WaitVisible(chromedp.CSS(`[data-chart="rfm"] .chart-note`)))
		t.Log("ECharts is not bundled (go generate ./internal/web): the overview shows notes instead of charts")
	}
	stopListen()
	bytes, detail := tr.total()
	t.Logf("overview first load: %.0f bytes transferred (charts bundled: %v)\n%s", bytes, charts, detail)
	if bytes > 1<<20 {
		t.Errorf("overview first load transferred %.0f bytes, more than 1 MiB", bytes)
	}
	// the overview follows the import once its aggregates are computed again
	wantCustomers := formatThousands(uint64(mustStats(t, s).Customers))
	for deadline := time.Now().Add(10 * time.Second); text("#kpi-customers") != wantCustomers && time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		do("reload the overview", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#kpi-customers")))
	}
	if got := text("#kpi-customers"); got != wantCustomers {
		t.Errorf("overview shows %s customers, want %s", got, wantCustomers)
	}
	shot("2-overview")
	if charts {
		do("draw the distributions", chromedp.WaitVisible(chromedp.CSS(`[data-chart="churn_hist"] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-chart="clv_hist"] canvas`)))
		// the lifecycle flows of the last recorded period, as a sankey, and the stage sizes over time
		do("draw the lifecycle flows", chromedp.WaitVisible(chromedp.CSS(`[data-chart="flows"] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-chart="stage_history"] canvas`)))
		links, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(function () {
			var o = echarts.getInstanceByDom(document.querySelector('[data-chart="flows"]')).getOption();
			return o.series[0].type === "sankey" ? o.series[0].links.length : -1; })()`))
		if err != nil || links <= 0 {
			t.Errorf("the flows chart: %d links, %v; want a sankey with links", links, err)
		}
		do("let the sankey settle", chromedp.Sleep(1200)) // it animates for a second
		shot("2b-overview-flows")
	}
	if got := text("#flow-matrix"); !strings.Contains(got, "active") {
		t.Errorf("the flow matrix reads %q", got)
	}

	// customer 360
	id := strconv.FormatInt(s.xssID, 10)
	do("open a customer", chromedp.Navigate(srv.URL+"/customers?q=crm:xss-1"), chromedp.WaitVisible(chromedp.CSS("#identities")))
	if got := text("h1"); !strings.Contains(got, id) {
		t.Errorf("customer page heading %q, want customer %s", got, id)
	}
	if got := text("#identities"); strings.Contains(got, "ann.lee@example.com") || !strings.Contains(got, "a•••@e•••.com") {
		t.Errorf("an operator sees the identities %q, want them masked", got)
	}
	shot("3-customer-360")
	do("open a customer with a class", chromedp.Navigate(srv.URL+"/customers/"+strconv.FormatInt(s.classy(t), 10)),
		chromedp.WaitVisible(chromedp.CSS("#tags")))
	shot("4-customer-360-tags")

	// the models: CLV fit by calibration purchases, churn ROC and calibration
	do("models", chromedp.Navigate(srv.URL+"/models"), chromedp.WaitVisible(chromedp.CSS("#clv-by-x")))
	if charts {
		do("draw the model charts", chromedp.WaitVisible(chromedp.CSS(`[data-chart="clv"] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-chart="roc"] canvas`)), chromedp.WaitVisible(chromedp.CSS(`[data-chart="rec"] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-chart="lift"] canvas`)), chromedp.Sleep(700))
	}
	shot("4c-models")

	do("members of a segment", chromedp.Navigate(srv.URL+"/customers?segment=win_back"), chromedp.WaitVisible(chromedp.CSS("#customer-list")))
	shot("4b-segment-members")

	// segment builder: a broken rule shows the error at its position
	do("open the builder", chromedp.Navigate(srv.URL+"/segments/new"), chromedp.WaitVisible(chromedp.CSS("#rule")))
	do("type a broken rule", chromedp.SendKeys(chromedp.CSS("#rule"), "class_b and monetry > 5"),
		chromedp.WaitVisible(chromedp.CSS("#rule-error")), chromedp.WaitVisible(chromedp.CSS("#rule-echo-box mark")))
	if got := text("#rule-error"); !strings.Contains(got, "monetry") || !strings.Contains(got, "line 1, column 13") {
		t.Errorf("rule error %q, want the unknown name at line 1, column 13", got)
	}
	if got := text("#rule-echo-box mark"); got != "m" {
		t.Errorf("the marked character is %q, want the m of monetry", got)
	}
	shot("5-builder-error")

	// a good rule shows the live count and a sample
	rule := "class_b and at_risk"
	want, err := s.in.Count(t.Context(), rule)
	if err != nil {
		t.Fatal(err)
	}
	do("type a good rule", chromedp.Evaluate[chromedp.Void](`document.getElementById("rule").value = ""`), chromedp.SendKeys(chromedp.CSS("#rule"), rule),
		chromedp.WaitVisible(chromedp.CSS("#live-count")), chromedp.WaitNotVisible(chromedp.CSS("#rule-error")))
	if got := text("#live-count"); !strings.HasPrefix(got, formatThousands(want)+" of ") {
		t.Errorf("live count %q, want %d", got, want)
	}
	// the browser checks the form before sending it: no name, no request
	do("save without a name", chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#name + .js-error")))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/segments/new") {
		t.Errorf("a form without a name was sent: at %s (%v)", loc, err)
	}
	shot("6a-builder-browser-check")
	do("fill in the segment", chromedp.SendKeys(chromedp.CSS("#name"), "browser_probe"),
		chromedp.SendKeys(chromedp.CSS("#description"), "saved by the browser test"))
	shot("6-builder-count")

	// save
	do("save", clearFlash(), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(".flash"); got != "Segment saved." {
		t.Errorf("after saving: %q", got)
	}
	info, err := s.in.Segs.Get("browser_probe")
	if err != nil || info.Rule != rule || uint64(info.Count) != want {
		t.Errorf("saved segment %+v, %v; want rule %q with %d members", info, err, rule, want)
	}
	shot("7-segment-saved")

	// a call campaign for the segment: a template mistake comes back from
	// the server next to its field; then save, preview, launch
	do("new campaign", chromedp.Navigate(srv.URL+"/campaigns/new?segment=browser_probe"), chromedp.WaitVisible(chromedp.CSS("#campaign-form")))
	do("fill in the campaign", chromedp.SendKeys(chromedp.CSS("#name"), "browser_calls"),
		chromedp.SendKeys(chromedp.CSS("#description"), "calls to the browser test's segment"),
		chromedp.Click(chromedp.CSS("#ch_call")), chromedp.SetValue(chromedp.CSS("#offer"), "vip10"),
		chromedp.SendKeys(chromedp.CSS("#holdout_percent"), "30"),
		chromedp.SendKeys(chromedp.CSS("#script"), "Hello {{.Nmae}}, we have {{.Offer.Summary}} for you: code {{.Code}}."))
	do("save with a mistake", chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#script + .field-error, #script ~ .field-error")))
	if got := text(".field .field-error"); !strings.Contains(got, "Nmae") {
		t.Errorf("template error next to the script: %q", got)
	}
	shot("11-campaign-error")
	do("fix the script", chromedp.Evaluate[chromedp.Void](`document.getElementById("script").value = ""`),
		chromedp.SendKeys(chromedp.CSS("#script"), "Hello {{.Name}}, we have {{.Offer.Summary}} for you: code {{.Code}}."),
		chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#launch")))
	if got := text(".flash"); !strings.Contains(got, "Campaign saved") {
		t.Errorf("after saving the campaign: %q", got)
	}
	shot("12-campaign")
	do("preview", chromedp.Click(chromedp.CSS("#preview-link")), chromedp.WaitVisible(chromedp.CSS("#preview")))
	pv, err := s.mk.Campaigns.Preview(t.Context(), "browser_calls", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := text("#pv-sendable"); got != formatThousands(uint64(pv.Sendable)) || pv.Sendable == 0 {
		t.Errorf("preview shows %s sendable, the service %d", got, pv.Sendable)
	}
	shot("13-campaign-preview")
	do("launch", chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`), // the confirmation dialog
		clearFlash(), chromedp.Click(chromedp.CSS("#launch")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(".flash"); !strings.Contains(got, "Campaign launched") {
		t.Errorf("after the launch: %q", got)
	}
	do("the launched campaign", chromedp.Navigate(srv.URL+"/campaigns/browser_calls"), chromedp.WaitVisible(chromedp.CSS("#state")))
	if got := text("#state"); got != "running" && got != "done" {
		t.Errorf("state after the launch: %q", got)
	}
	shot("14-campaign-launched")

	// the agent's workbench: take a call, read the script, record the result
	var tasks []store.CallTask
	for deadline := time.Now().Add(20 * time.Second); len(tasks) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if tasks, err = call.List(t.Context(), s.st, "browser_calls", ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(tasks) == 0 {
		t.Fatal("no call task after the launch")
	}
	do("call queue", chromedp.Navigate(srv.URL+"/calls?campaign=browser_calls"), chromedp.WaitVisible(chromedp.CSS("#open-calls button.take")))
	shot("15-call-queue")
	do("take a call", chromedp.Click(chromedp.CSS("#open-calls button.take")), chromedp.WaitVisible(chromedp.CSS("#result-form")))
	if got := text("#script"); !strings.Contains(got, "10% off") || !strings.Contains(got, "VIP") || !strings.Contains(got, "•••") {
		t.Errorf("the call script %q lacks the offer, its code or the masked name", got)
	}
	shot("16-call-task")
	do("record intent", chromedp.SendKeys(chromedp.CSS("#note"), "wants it delivered on Friday"),
		clearFlash(), chromedp.Click(chromedp.CSS("#r-intent")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(".flash"); !strings.Contains(got, "Recorded: intent") {
		t.Errorf("after the result: %q", got)
	}
	// the shop's orders arrive (as `sagitta import` would load them): half
	// of the treated customers and a tenth of the held-out ones buy within
	// the week, so the report has an uplift to show
	wantT, wantH := buyAfterLaunch(t, s, "browser_calls")
	// a report computed before the orders arrived is shown until the new
	// one, started by this view, is ready
	wantConv := fmt.Sprintf("%d / %d", wantT, wantH)
	conversions := func() string { return text("#up-t-conversions") + " / " + text("#up-h-conversions") }
	do("report", chromedp.Navigate(srv.URL+"/campaigns/browser_calls/report"), chromedp.WaitVisible(chromedp.CSS("#call-results")))
	for deadline := time.Now().Add(15 * time.Second); conversions() != wantConv && time.Now().Before(deadline); {
		time.Sleep(300 * time.Millisecond)
		do("reload the report", chromedp.Navigate(srv.URL+"/campaigns/browser_calls/report"), chromedp.WaitVisible(chromedp.CSS("#call-results")))
	}
	if charts {
		do("draw the report", chromedp.WaitVisible(chromedp.CSS(`[data-chart="calls"] canvas`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-chart="uplift"] canvas`)), chromedp.Sleep(700))
	}
	if got := text("#call-results"); !strings.Contains(got, "intent") {
		t.Errorf("report call results %q lack the intent", got)
	}
	if got := conversions(); got != wantConv {
		t.Errorf("report conversions %q, want %q", got, wantConv)
	}
	if got := text("#up-verdict"); !strings.HasPrefix(got, "win") {
		t.Errorf("report verdict %q, want a win", got)
	}
	shot("17-campaign-report")
	do("campaigns", chromedp.Navigate(srv.URL+"/campaigns"), chromedp.WaitVisible(chromedp.CSS("#campaign-list")))
	shot("18-campaigns")
	do("contact rules", chromedp.Navigate(srv.URL+"/contact-rules"), chromedp.WaitVisible(chromedp.CSS("#caps")))
	if got := text("#quiet"); got != "21:00 – 08:00" {
		t.Errorf("quiet hours shown %q", got)
	}
	shot("18b-contact-rules")
	do("offers", chromedp.Navigate(srv.URL+"/offers/new"), chromedp.WaitVisible(chromedp.CSS("#offer-form")))
	do("offer without an end", chromedp.SendKeys(chromedp.CSS("#name"), "browser_offer"), chromedp.SetValue(chromedp.CSS("#percent"), "150"),
		chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS("#valid_until + .js-error")))
	shot("19-offer-browser-check")
	do("segments list", chromedp.Navigate(srv.URL+"/segments"), chromedp.WaitVisible(chromedp.CSS("#segment-list")))
	shot("8-segments")
	do("tags list", chromedp.Navigate(srv.URL+"/tags"), chromedp.WaitVisible(chromedp.CSS("#tag-list")))
	shot("8b-tags")

	// the admission lists, and the console in Chinese
	do("admission", chromedp.Navigate(srv.URL+"/admission"), chromedp.WaitVisible(chromedp.CSS("#customer")))
	shot("9-admission")
	do("switch to Chinese", chromedp.Navigate(srv.URL+"/"), chromedp.Click(chromedp.CSS("a.lang")),
		chromedp.WaitVisible(chromedp.CSS("#value-loyalty")), chromedp.Sleep(700))
	if got := text("h1"); got != "概览" {
		t.Errorf("overview heading in Chinese: %q", got)
	}
	shot("10-overview-zh")
	do("a campaign in Chinese", chromedp.Navigate(srv.URL+"/campaigns/browser_calls/report"), chromedp.WaitVisible(chromedp.CSS("#call-results")),
		chromedp.Sleep(700))
	shot("20-report-zh")
	do("the call queue in Chinese", chromedp.Navigate(srv.URL+"/calls"), chromedp.WaitVisible(chromedp.CSS("#my-calls")))
	shot("21-calls-zh")
	if err := s.in.Segs.Delete(t.Context(), "browser_probe", "test"); err != nil {
		t.Fatal(err)
	}
}

func mustStats(t *testing.T, s *shop) store.Stats {
	st, err := s.st.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// clearFlash removes the page's flash messages before a form is sent: its
// answer is a new page, and waiting for a flash must not find the old one
// (from the step before) while the new page is still on its way.
func clearFlash() chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".flash").forEach(e => e.remove())`)
}

// buyAfterLaunch imports an order the day after the launch for every other
// treated customer and every tenth held-out one (those with an e-mail
// address, by which the orders name them), and returns how many of each.
func buyAfterLaunch(t *testing.T, s *shop, name string) (treatedBuyers, heldBuyers int) {
	t.Helper()
	ctx := t.Context()
	arms, err := s.mk.Campaigns.ArmsOf(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	held, err := arms.HeldOut()
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.st.CampaignRun(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	audience := roaring64.New()
	if err := audience.UnmarshalBinary(run.Audience); err != nil {
		t.Fatal(err)
	}
	treated := audience.ToArray()
	if len(held) < 30 || len(treated) < 30 {
		t.Fatalf("%d treated and %d held out: too few for a report", len(treated), len(held))
	}
	ids := append([]int64{}, held...)
	for _, id := range treated {
		ids = append(ids, int64(id))
	}
	emails, err := s.st.AddressesOf(ctx, store.KindEmail, ids)
	if err != nil {
		t.Fatal(err)
	}
	var b ingest.Batch
	at := arms.TouchAt.Add(26 * time.Hour) // after the shop's own orders: other tests read those alone
	if !at.After(s.end.Add(time.Hour)) {
		t.Fatalf("the campaign touched at %s, before the shop's end %s", arms.TouchAt, s.end)
	}
	buy := func(id int64) bool {
		e, ok := emails[id]
		if ok {
			b.Lines = append(b.Lines, ingest.OrderLineRecord{Source: "shop", Order: fmt.Sprintf("after-%s-%d", name, id), Email: e,
				Time: at, Item: "browser-item", Quantity: 1, UnitPrice: 40, Amount: 40, Kind: store.OrderSale})
		}
		return ok
	}
	for i, id := range treated {
		if i%2 == 0 && buy(int64(id)) {
			treatedBuyers++
		}
	}
	for i, id := range held {
		if i%10 == 0 && buy(id) {
			heldBuyers++
		}
	}
	release := s.in.IngestGate() // as the API's ingestion: store, then tell the features
	defer release()
	loader := ingest.NewLoader(s.st, identity.NewResolver(identity.DefaultPolicy()))
	loader.Collect = true
	loaded, err := loader.Load(ctx, &b)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Lines) != len(b.Lines) {
		t.Fatalf("%d order lines stored of %d", len(loaded.Lines), len(b.Lines))
	}
	if _, err := s.in.Apply(ctx, loaded.Lines, loaded.Events); err != nil {
		t.Fatal(err)
	}
	return treatedBuyers, heldBuyers
}
