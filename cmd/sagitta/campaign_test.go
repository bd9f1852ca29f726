package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
)

// A campaign's dispatcher is killed with SIGKILL half-way, mid-chunk:
// messages of its chunks in flight were accepted by the SMTP server (250)
// but not yet recorded in the store, others were sent and not yet
// accepted. `campaign resume` finishes it. Every eligible customer gets
// exactly one message at the server: the accepted ones are recorded from
// the dispatcher's acceptance journal, not sent again.
//
// The server holds every DATA after the first third (no answer; refused
// once the client is gone), and the kill comes once all connections wait
// there: so it lands mid-chunk but not inside the round trip between the
// server keeping a message and the client reading its 250, where no SMTP
// client can know (see the campaign package's journal.go).
func TestCampaignSurvivesKill9(t *testing.T) {
	const n = 1500
	dir, data, want := campaignShop(t, n)
	mb, _ := markettest.NewMailbox(t, "", "", false)
	mb.Delay = 2 * time.Millisecond
	mb.HoldAfter = len(want)/3 + 5 // not at a chunk's end
	envs := []string{"SAGITTA_SMTP_ADDR=" + mb.Addr, "SAGITTA_SMTP_FROM=shop@example.org", "SAGITTA_SMTP_TLS=none",
		"SAGITTA_PUBLIC_URL=https://shop.example", "SAGITTA_DATA_DIR=" + data}
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
	writeFile(t, dir, "offer.yaml", "name: spring10\ntype: coupon_amount\namount: 10\nbudget_count: 100000\nvalid_until: 2099-01-01T00:00:00Z\nrule: frequency >= 1\nprefix: SP-\n")
	writeFile(t, dir, "campaign.yaml", "name: spring\nrule: frequency >= 1\noffer: spring10\nchannels: [email]\nholdout_percent: 0\n"+
		"subject: \"Hello {{.Name}}\"\nbody: |\n  Dear {{.Name}}, {{.Code}} gives you {{.Offer.Summary}}.\n  {{.Unsubscribe}}\n")
	must("offer", "create", dir+"/offer.yaml")
	// a template with a missing field: refused, naming it (exit 1)
	writeFile(t, dir, "typo.yaml", "name: typo\nrule: frequency >= 1\nchannels: [email]\nsubject: s\nbody: \"{{.Coupon}}\"\n")
	if r := runEnv("campaign", "create", dir+"/typo.yaml"); r.code == 0 || !strings.Contains(r.stderr, `"Coupon"`) {
		t.Errorf("campaign with {{.Coupon}}: exit %d, %s", r.code, r.stderr)
	}
	must("campaign", "create", dir+"/campaign.yaml")
	var pv campaign.Preview
	if err := json.Unmarshal([]byte(must("campaign", "preview", "spring", "--json")), &pv); err != nil {
		t.Fatal(err)
	}
	if pv.Audience != n || pv.Sendable != int64(len(want)) || pv.Dropped["consent"] != int64(n-len(want)) || len(pv.Sample) != 3 {
		t.Fatalf("preview: audience %d, sendable %d, dropped %v, %d samples; want %d, %d, consent %d", pv.Audience, pv.Sendable, pv.Dropped,
			len(pv.Sample), n, len(want), n-len(want))
	}
	if mb.Count() != 0 {
		t.Fatalf("preview sent %d mails", mb.Count())
	}

	launch := exec.Command(bin, "campaign", "launch", "spring")
	launch.Env = append(os.Environ(), envs...)
	var lout bytes.Buffer
	launch.Stdout, launch.Stderr = &lout, &lout
	if err := launch.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	// wait until the connections in use all wait at the server
	for held, since := 0, time.Now(); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if h := mb.Held(); h != held {
			held, since = h, time.Now()
		} else if held > 0 && time.Since(since) > 300*time.Millisecond {
			break
		}
	}
	if err := launch.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	launch.Wait()
	atKill, held := mb.Count(), mb.Held()
	mb.Release()
	if atKill >= len(want) || held == 0 {
		t.Fatalf("the campaign was not caught mid-way (%d mails, %d held): the test proves nothing\n%s", atKill, held, lout.String())
	}
	var st campaign.Status
	if err := json.Unmarshal([]byte(must("campaign", "status", "spring", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != "running" {
		t.Fatalf("status after the kill: %+v", st)
	}
	// accepted by the server, not recorded in the store: what the journal covers
	unrecorded := atKill - int(st.Deliveries["sent"])
	journals, _ := filepath.Glob(filepath.Join(data, "inflight", "*.log"))
	if unrecorded <= 0 || len(journals) == 0 {
		t.Errorf("at the kill: %d mails accepted, %d recorded as sent, %d journals; want some accepted and not recorded", atKill,
			st.Deliveries["sent"], len(journals))
	}
	st = campaign.Status{}
	if err := json.Unmarshal([]byte(must("campaign", "resume", "spring", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != "done" || st.Deliveries["sent"] != int64(len(want)) || st.Deliveries["pending"] != 0 || st.Remaining != 0 {
		t.Fatalf("status after resume: %+v; want done with %d sent", st, len(want))
	}
	keys := map[string]string{} // key -> address
	ids := map[string]string{}  // key -> Message-ID
	perTo := map[string]int{}
	for _, m := range mb.Mails() {
		k := markettest.KeyOf(m)
		if id, ok := ids[k]; ok && id != m.Header.Get("Message-Id") {
			t.Errorf("key %s sent with Message-IDs %s and %s", k, id, m.Header.Get("Message-Id"))
		}
		ids[k] = m.Header.Get("Message-Id")
		if prev, ok := keys[k]; ok && prev != m.To {
			t.Errorf("key %s went to %s and %s", k, prev, m.To)
		}
		keys[k] = m.To
		perTo[m.To]++
		if !want[m.To] {
			t.Errorf("mail to %s, who opted out", m.To)
		}
	}
	twice := 0
	for to := range want {
		if c := perTo[to]; c != 1 {
			t.Errorf("%s got %d mails at the server; want exactly 1", to, c)
			twice += max(0, c-1)
		}
	}
	if len(keys) != len(want) {
		t.Errorf("%d distinct message keys; want %d", len(keys), len(want))
	}
	if left, _ := filepath.Glob(filepath.Join(data, "inflight", "*")); len(left) != 0 {
		t.Errorf("journals left after resume: %v", left)
	}
	t.Logf("%d customers, %d eligible; %d mails accepted before the kill (%d of them not recorded in the store), %d held; %d after resume, %d twice",
		n, len(want), atKill, unrecorded, held, mb.Count(), twice)
}

// campaignShop imports n customers with e-mail consent (opted out when
// i%10 == 9) and one order each, computes features and returns the
// folder, the data directory and the addresses that may be mailed.
func campaignShop(t *testing.T, n int) (dir, data string, want map[string]bool) {
	t.Helper()
	dir = t.TempDir()
	var cust, orders bytes.Buffer
	cust.WriteString("customer,email,name,consent_email\n")
	orders.WriteString("order,customer,time,item,quantity,unit_price\n")
	want = map[string]bool{}
	for i := range n {
		consent := "opt_in"
		if i%10 == 9 {
			consent = "opt_out"
		}
		fmt.Fprintf(&cust, "c%d,c%d@example.org,Customer %d,%s\n", i, i, i, consent)
		fmt.Fprintf(&orders, "o%d,c%d,2025-05-%02dT10:00:00Z,i%d,1,%d\n", i, i, 1+i%28, i%40, 5+i%50)
		if consent == "opt_in" {
			want[fmt.Sprintf("c%d@example.org", i)] = true
		}
	}
	cf := writeFile(t, dir, "customers.csv", cust.String())
	of := writeFile(t, dir, "orders.csv", orders.String())
	data = dir + "/data"
	mustRun(t, "import", "customers", "--source", "shop", "--data-dir", data, cf)
	mustRun(t, "import", "orders", "--source", "shop", "--data-dir", data, of)
	mustRun(t, "features", "compute", "--as-of", "2025-06-01", "--data-dir", data)
	// no quiet hours: the tests run at any time of day
	writeFile(t, dir, "rules.yaml", "caps: [{channel: \"*\", max: 1, window: 24h}]\nquiet_start: \"\"\nquiet_end: \"\"\n")
	mustRun(t, "contact", "rules", "--data-dir", data, dir+"/rules.yaml")
	return dir, data, want
}

// sagitta serve dispatches a campaign launched over the API, serves the
// one-click unsubscribe of its messages and the next-best-offers view.
func TestServeRunsCampaigns(t *testing.T) {
	_, data, want := campaignShop(t, 200)
	mb, _ := markettest.NewMailbox(t, "", "", false)
	t.Setenv("SAGITTA_SMTP_ADDR", mb.Addr)
	t.Setenv("SAGITTA_SMTP_FROM", "shop@example.org")
	t.Setenv("SAGITTA_SMTP_TLS", "none")
	admin := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "admin", "--data-dir", data))
	url, logs, stop := startServe(t, data)
	defer stop()
	for _, r := range []struct{ path, body string }{
		{"/v1/offers", `{"name":"ten","type":"coupon_amount","amount":10,"budget_count":1000,"valid_until":"2099-01-01T00:00:00Z","rule":"frequency >= 1","script":"Offer 10 off"}`},
		{"/v1/campaigns", `{"name":"spring","rule":"frequency >= 1","offer":"ten","holdout_percent":0,"channels":["email"],"subject":"Hi {{.Name}}","body":"{{.Code}} {{.Unsubscribe}}"}`},
	} {
		if code, body := call(t, "POST", url+r.path, admin, r.body); code != 201 {
			t.Fatalf("POST %s: %d %s", r.path, code, body)
		}
	}
	if code, body := call(t, "POST", url+"/v1/campaigns/spring/launch", admin, ""); code != 200 {
		t.Fatalf("launch: %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := call(t, "GET", url+"/v1/campaigns/spring", admin, "")
		if strings.Contains(body, `"state":"done"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the campaign did not finish: %s\n%s", body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	mails := mb.Mails()
	if len(mails) != len(want) {
		t.Fatalf("%d mails; want %d", len(mails), len(want))
	}
	lu := strings.Trim(mails[0].Header.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(lu, url+"/v1/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe %q does not point at the server %s", lu, url)
	}
	if code, body := call(t, "POST", lu, "", "List-Unsubscribe=One-Click"); code != 200 {
		t.Fatalf("one-click unsubscribe: %d %s", code, body)
	}
	ref := strings.TrimSuffix(mails[0].To, "@example.org")
	code, body := call(t, "GET", url+"/v1/customers/shop:"+ref+"/contacts", admin, "")
	if code != 200 || !strings.Contains(body, `"Kind":"unsubscribed"`) || !strings.Contains(body, `"Kind":"sent"`) {
		t.Errorf("contacts after the unsubscribe: %d %s", code, body)
	}
	// the offer was issued to everyone mailed: its limit of one is reached
	code, body = call(t, "GET", url+"/v1/customers/shop:"+ref+"/next-best-offers?refused=true", admin, "")
	if code != 200 || !strings.Contains(body, `"reason":"customer_limit: issued to this customer 1 of at most 1"`) || !strings.Contains(body, `"recent_contacts":[`) {
		t.Errorf("next-best-offers: %d %s", code, body)
	}
	if strings.Contains(logs.String(), "@example.org") {
		t.Errorf("the server log holds an e-mail address")
	}
}
