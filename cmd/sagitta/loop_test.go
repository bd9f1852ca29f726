package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
)

// The loop with the real binary: a campaign with a 20% holdout (from the
// environment) goes out to an SMTP server; orders imported afterwards for
// half of those mailed and a tenth of those held out; `campaign report`
// shows exactly those counts and a win; `campaign why` names the holdout.
func TestCampaignReportCLI(t *testing.T) {
	dir := t.TempDir()
	const n = 600
	var cust, orders bytes.Buffer
	cust.WriteString("customer,email,name,consent_email\n")
	orders.WriteString("order,customer,time,item,quantity,unit_price\n")
	for i := range n {
		fmt.Fprintf(&cust, "c%d,c%d@example.org,Customer %d,opt_in\n", i, i, i)
		fmt.Fprintf(&orders, "o%d,c%d,2025-05-%02dT10:00:00Z,i%d,1,%d\n", i, i, 1+i%28, i%40, 5+i%50)
	}
	data := dir + "/data"
	mustRun(t, "import", "customers", "--source", "shop", "--data-dir", data, writeFile(t, dir, "customers.csv", cust.String()))
	mustRun(t, "import", "orders", "--source", "shop", "--data-dir", data, writeFile(t, dir, "orders.csv", orders.String()))
	mustRun(t, "features", "compute", "--as-of", "2025-06-01", "--data-dir", data)
	mb, _ := markettest.NewMailbox(t, "", "", false)
	envs := []string{"SAGITTA_SMTP_ADDR=" + mb.Addr, "SAGITTA_SMTP_FROM=shop@example.org", "SAGITTA_SMTP_TLS=none",
		"SAGITTA_PUBLIC_URL=https://shop.example", "SAGITTA_DATA_DIR=" + data, "SAGITTA_HOLDOUT_PERCENT=20"}
	runEnv := func(args ...string) result {
		t.Helper()
		return runWith(t, envs, args...)
	}
	must := func(args ...string) string {
		t.Helper()
		r := runEnv(args...)
		if r.code != 0 {
			t.Fatalf("sagitta %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	writeFile(t, dir, "rules.yaml", "caps: [{channel: \"*\", max: 1, window: 24h}]\nquiet_start: \"\"\nquiet_end: \"\"\n")
	must("contact", "rules", dir+"/rules.yaml")
	writeFile(t, dir, "c.yaml", "name: spring\nrule: frequency >= 1\nchannels: [email]\nsubject: Hello\nbody: \"Hi {{.Name}}\"\n")
	must("campaign", "create", dir+"/c.yaml")
	var pv campaign.Preview
	if err := json.Unmarshal([]byte(must("campaign", "preview", "spring", "--json")), &pv); err != nil {
		t.Fatal(err)
	}
	if pv.Holdout == nil || pv.Holdout.Percent != 20 {
		t.Fatalf("preview: holdout %+v", pv.Holdout)
	}
	// 20% of each class, rounded
	held0 := 0
	for _, s := range pv.Holdout.Strata {
		held0 += int(math.Round(0.2 * float64(s.Audience)))
	}
	if int(pv.Holdout.Size) != held0 || pv.Audience != int64(n-held0) || len(pv.Holdout.Strata) < 2 {
		t.Fatalf("preview: holdout %+v, audience %d", pv.Holdout, pv.Audience)
	}
	if out := must("campaign", "preview", "spring"); !strings.Contains(out, fmt.Sprintf("holdout: %d customers (20%% per campaign), stratified by value_loyalty_class", held0)) {
		t.Errorf("preview text:\n%s", out)
	}
	if r := runEnv("campaign", "report", "spring"); r.code == 0 || !strings.Contains(r.stderr, "not been launched") {
		t.Errorf("report before launch: exit %d %s", r.code, r.stderr)
	}
	must("campaign", "launch", "spring")
	mailed := map[string]bool{}
	for _, m := range mb.Mails() {
		mailed[strings.TrimSuffix(m.To, "@example.org")] = true
	}
	if len(mailed) != n-held0 {
		t.Fatalf("%d mailed, want %d", len(mailed), n-held0)
	}
	// orders after the launch: every other mailed customer, every tenth held out
	orders.Reset()
	orders.WriteString("order,customer,time,item,quantity,unit_price\n")
	at := time.Now().UTC().Add(2 * time.Hour).Format(time.RFC3339)
	var wantT, wantH, mi, hi int
	var held string
	for i := range n {
		c := fmt.Sprint("c", i)
		if mailed[c] {
			if mi%2 == 0 {
				fmt.Fprintf(&orders, "n%d,%s,%s,i1,1,40\n", i, c, at)
				wantT++
			}
			mi++
		} else {
			held = c
			if hi%10 == 0 {
				fmt.Fprintf(&orders, "n%d,%s,%s,i1,1,40\n", i, c, at)
				wantH++
			}
			hi++
		}
	}
	must("import", "orders", "--source", "shop", writeFile(t, dir, "after.csv", orders.String()))
	var rep campaign.Report
	if err := json.Unmarshal([]byte(must("campaign", "report", "spring", "--json", "--window", "3d")), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Treatment.Customers != int64(n-held0) || rep.Holdout.Customers != int64(held0) || rep.Treatment.Conversions != int64(wantT) ||
		rep.Holdout.Conversions != int64(wantH) || rep.Verdict != "win" || rep.Window != "3d" || rep.Complete {
		t.Errorf("report: %+v / %+v, verdict %s, window %s, complete %v; want %d and %d conversions, a win, still open",
			rep.Treatment, rep.Holdout, rep.Verdict, rep.Window, rep.Complete, wantT, wantH)
	}
	if out := must("campaign", "report", "spring"); !strings.Contains(out, "verdict: WIN") || !strings.Contains(out, "uplift ") {
		t.Errorf("report text:\n%s", out)
	}
	if out := must("campaign", "why", "shop:"+held); !strings.Contains(out, "held out of spring") {
		t.Errorf("why %s:\n%s", held, out)
	}
	for _, bad := range [][]string{{"campaign", "report"}, {"campaign", "report", "spring", "--attribution", "best"},
		{"campaign", "report", "spring", "--window", "soon"}, {"campaign", "launch", "spring", "--budget", "5"}} {
		if r := runEnv(bad...); r.code != 2 {
			t.Errorf("sagitta %s: exit %d, want 2 (usage)\n%s", strings.Join(bad, " "), r.code, r.stderr)
		}
	}
}
