package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	// The binary is built by TestMain; importing its packages makes go test's
	// cache see every change to them, so a cached pass is never stale.
	_ "github.com/sagitta-dev/sagitta/internal/app"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/synth"
)

// These tests build the real binary and run it as a user would.

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sagitta-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "sagitta")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build sagitta: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	return runWith(t, []string{"SAGITTA_DATA_DIR=", "SAGITTA_POSTGRES="}, args...)
}

// runWith runs the binary with env added to the environment.
func runWith(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("sagitta %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

type stats = store.Stats

func readStats(t *testing.T, dataDir string) stats {
	t.Helper()
	var s stats
	if err := json.Unmarshal([]byte(mustRun(t, "stats", "--json", "--data-dir", dataDir)), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The demo's synthetic shop knows how many people it holds; unification
// must find exactly them, and every order and event must arrive.
func TestDemoUnifiesTheSyntheticShop(t *testing.T) {
	dir := t.TempDir()
	out := mustRun(t, "demo", "--no-serve", "--customers", "3000", "--seed", "7", "--data-dir", dir)
	if !strings.Contains(out, "The store now holds") {
		t.Fatalf("demo output:\n%s", out)
	}
	m, err := synth.ReadManifest(filepath.Join(dir, "demo-input", "shop-3000-seed-7"))
	if err != nil {
		t.Fatal(err)
	}
	got := readStats(t, dir)
	tr := m.Truth
	want := stats{Customers: int64(tr.ExpectedCustomers), AnonymousOrders: tr.AnonymousOrders, Orders: tr.Orders,
		OrderLines: tr.OrderLines, Events: tr.Events, Items: got.Items}
	if got != want {
		t.Errorf("stats after demo:\n got %+v\nwant %+v", got, want)
	}
	// Running the demo again imports nothing new.
	mustRun(t, "demo", "--no-serve", "--customers", "3000", "--seed", "7", "--data-dir", dir)
	if again := readStats(t, dir); again != got {
		t.Errorf("second demo run changed the store: %+v -> %+v", got, again)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type summary struct {
	Read, Imported, Updated, Rejected, Duplicates int64
	RejectsFile                          string `json:"rejects_file"`
}

func importJSON(t *testing.T, args ...string) summary {
	t.Helper()
	var s summary
	out := mustRun(t, append([]string{"import", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return s
}

func TestImportBadRows(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	f := writeFile(t, dir, "orders.csv", "order,customer,time,item,quantity,unit_price\n"+
		"o1,c1,2025-01-02 10:00:00,i1,2,3.5\n"+ // 2: fine
		"o1,c1,2025-01-02 10:00:00,i2,1\n"+ // 3: ragged
		"o2,c2,\"2025-01-03,i1,1,2\n"+ // 4: quote never closed
		"o3,c\xff3,2025-01-03 09:00:00,i1,1,2\n"+ // 5: invalid UTF-8
		"o4,c4,yesterday,i1,1,2\n"+ // 6: bad time
		"o5,c5,2025-01-04 09:00:00,i1,two,2\n"+ // 7: bad number
		"o6,c6,2025-01-04 09:00:00,i1,-1,2\n"+ // 8: negative quantity on a sale
		"o1,c1,2025-01-02 10:00:00,i1,2,3.5\n") // 9: same as line 2, a distinct line of o1
	s := importJSON(t, "orders", "--data-dir", data, f)
	if s.Read != 8 || s.Imported != 2 || s.Rejected != 6 || s.Duplicates != 0 {
		t.Fatalf("summary %+v, want read 8 = imported 2 + rejected 6", s)
	}
	b, err := os.ReadFile(s.RejectsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		",3,ragged row: 5 fields where the header has 6",
		",4,\"quoted field not closed",
		",5,invalid UTF-8",
		",6,\"time: \"\"yesterday\"\" is not a time",
		",7,\"quantity: \"\"two\"\" is not a number\"",
		",8,quantity: negative (-1) on a sale",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("reject file lacks %q:\n%s", want, b)
		}
	}
	// Nothing already stored is lost or doubled by importing again.
	again := importJSON(t, "orders", "--data-dir", data, f)
	if again.Imported != 0 || again.Duplicates != 2 || again.Rejected != 6 {
		t.Errorf("re-import %+v, want 2 duplicates and 6 rejected", again)
	}
	if st := readStats(t, data); st.OrderLines != 2 || st.Orders != 1 || st.Customers != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestImportUsageErrors(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "o.csv", "order,when,amount\n1,2025-01-01,3\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "orders", "--preset", "nope", f}, "unknown preset \"nope\": valid presets are completejourney-demographics, completejourney-transactions, movielens-ratings, online-retail"},
		{[]string{"import", "orders", "--map", "colour=when", f}, "unknown field \"colour\" for orders; valid fields: order, line, customer"},
		{[]string{"import", "orders", "--map", "time=whenever", f}, "no column \"whenever\"; the columns are: order, when, amount"},
		{[]string{"import", "orders", f}, "no column for time; map one with --map time=COLUMN"},
		{[]string{"import", "parcels", f}, "unknown kind \"parcels\""},
		{[]string{"import", "orders", filepath.Join(dir, "missing.csv")}, "missing.csv: no such file"},
	} {
		r := run(t, append(tt.args, "--data-dir", filepath.Join(dir, "d"))...)
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("sagitta %s: exit %d, stderr %q; want an error containing %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
	s := importJSON(t, "orders", "--map", "time=when", "--data-dir", filepath.Join(dir, "d"), f)
	if s.Imported != 1 {
		t.Errorf("with the map: %+v", s)
	}
}

// kill -9 in the middle of an import, then the same import again: the store
// ends up exactly as after one clean import.
func TestImportKilledAndResumed(t *testing.T) {
	dir := t.TempDir()
	m, err := synth.Generate(t.Context(), filepath.Join(dir, "shop"), synth.Options{Customers: 30_000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var events string
	for _, f := range m.Files {
		if f.Kind == "events" {
			events = f.Path
		}
	}
	clean := filepath.Join(dir, "clean")
	importJSON(t, "events", "--data-dir", clean, "--batch", "5000", events)
	want := readStats(t, clean)

	killed := filepath.Join(dir, "killed")
	for _, wait := range []time.Duration{300 * time.Millisecond, 900 * time.Millisecond} {
		cmd := exec.Command(bin, "import", "events", "--data-dir", killed, "--batch", "5000", events)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(wait)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
	}
	partial := readStats(t, killed)
	if partial.Events >= want.Events {
		t.Logf("the import finished before it was killed (%d events); the resume below checks idempotency only", partial.Events)
	}
	s := importJSON(t, "events", "--data-dir", killed, "--batch", "5000", events)
	if got := readStats(t, killed); got != want {
		t.Errorf("after kill and resume: %+v, want %+v (resume summary %+v)", got, want, s)
	}
	if s.Imported+s.Duplicates != want.Events || s.Duplicates != partial.Events {
		t.Errorf("resume %+v: want %d duplicates (what survived the kill) and the rest imported", s, partial.Events)
	}
}

func TestServeAndCustomerLookup(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	f := writeFile(t, dir, "customers.csv", "customer,email,phone,name,consent_email\n"+
		"C1,Ana.Li@Example.com,+44 7700 900123,Ana Li,opt_in\n")
	g := writeFile(t, dir, "shop.jsonl", `{"customer":"S1","email":" ana.li@example.com","city":"Leeds"}`+"\n")
	importJSON(t, "customers", "--source", "crm", "--data-dir", data, f)
	importJSON(t, "customers", "--source", "shop", "--data-dir", data, g)
	out := mustRun(t, "customer", "show", "shop:S1", "--data-dir", data)
	for _, want := range []string{"id     crm:C1", "id     shop:S1", "email  ana.li@example.com", "phone  447700900123",
		"city         Leeds", "email  opt_in"} {
		if !strings.Contains(out, want) {
			t.Errorf("customer show lacks %q:\n%s", want, out)
		}
	}
	var p struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "customer", "show", "ana.li@example.com", "--json", "--data-dir", data)), &p); err != nil || p.ID != 1 {
		t.Errorf("customer show by e-mail: id %d, %v", p.ID, err)
	}
	key := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "analyst", "--data-dir", data))

	url, logs, stop := startServe(t, data)
	defer stop()
	get := func(path, key string) (int, string) { return call(t, "GET", url+path, key, "") }
	if code, _ := get("/v1/health", ""); code != 200 {
		t.Errorf("health: %d", code)
	}
	if code, _ := get("/v1/stats", ""); code != 401 {
		t.Errorf("stats without a key: %d, want 401", code)
	}
	if code, body := get("/v1/customers/ana.li@example.com", key); code != 200 || !strings.Contains(body, `"value": "S1"`) && !strings.Contains(body, `"value":"S1"`) {
		t.Errorf("customer by e-mail: %d %s", code, body)
	}
	if code, _ := get("/v1/customers/phone:+447700900123", key); code != 200 {
		t.Errorf("customer by phone: %d", code)
	}
	if code, _ := get("/v1/openapi.json", ""); code != 200 {
		t.Errorf("openapi: %d", code)
	}
	stop()
	for _, secret := range []string{"ana.li", "7700", key} {
		if strings.Contains(strings.ToLower(logs.String()), strings.ToLower(secret)) {
			t.Errorf("the log contains %q:\n%s", secret, logs.String())
		}
	}
}

func TestIntelligenceCommands(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "orders.csv", "order,customer,time,item,quantity,unit_price\n"+
		"o1,c1,2025-01-02 10:00:00,i1,2,50\n"+
		"o2,c1,2025-03-02 10:00:00,i2,1,80\n"+
		"o3,c1,2025-05-02 10:00:00,i1,1,50\n"+
		"o4,c2,2025-05-20 10:00:00,i3,1,5\n"+
		"o5,c3,2024-01-20 10:00:00,i3,3,5\n")
	data := filepath.Join(dir, "data")
	importJSON(t, "orders", "--source", "shop", "--data-dir", data, f)

	r := run(t, "segment", "count", "frequency >= 1", "--data-dir", data)
	if r.code == 0 || !strings.Contains(r.stderr, "features compute") {
		t.Errorf("segment count before features: exit %d, %q; want advice to compute features", r.code, r.stderr)
	}
	var sum struct {
		Customers int `json:"customers"`
		Buyers    int `json:"buyers"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "features", "compute", "--as-of", "2025-06-01", "--json", "--data-dir", data)), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Customers != 3 || sum.Buyers != 3 {
		t.Errorf("summary %+v, want 3 customers, 3 buyers", sum)
	}
	count := func(expr string) int {
		var c struct {
			Count int `json:"count"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "segment", "count", expr, "--json", "--data-dir", data)), &c); err != nil {
			t.Fatal(err)
		}
		return c.Count
	}
	if n := count("frequency >= 3 and monetary > 200"); n != 1 {
		t.Errorf("frequency >= 3 and monetary > 200: %d, want 1 (c1: 3 orders, 230)", n)
	}
	if n := count("recency_days > 300 or frequency == 1"); n != 2 {
		t.Errorf("recency_days > 300 or frequency == 1: %d, want 2 (c2, c3)", n)
	}
	r = run(t, "segment", "count", "frequncy > 1", "--data-dir", data)
	if r.code == 0 || !strings.Contains(r.stderr, `unknown feature or tag "frequncy" (did you mean frequency?) (line 1, column 1)`) {
		t.Errorf("typo: exit %d, %q", r.code, r.stderr)
	}
	bad := writeFile(t, dir, "tags.yaml", "- name: broken\n  kind: behaviour\n  rule: monetary > 'a lot'\n")
	r = run(t, "tag", "apply", bad, "--data-dir", data)
	if r.code == 0 || !strings.Contains(r.stderr, "broken") {
		t.Errorf("broken tag: exit %d, %q", r.code, r.stderr)
	}
	out := mustRun(t, "admission", "rule", "--list", "grey", "--name", "one_time", "--reason", "review first",
		"frequency == 1", "--data-dir", data)
	if !strings.Contains(out, "one_time: 2 customers on the grey list") {
		t.Errorf("admission rule: %q", out)
	}
	if n := count(`in_list("grey")`); n != 2 {
		t.Errorf(`in_list("grey"): %d, want 2`, n)
	}
	r = run(t, "admission", "rule", "--list", "grey", "--name", "bad", "frequency ==", "--data-dir", data)
	if r.code == 0 || !strings.Contains(r.stderr, "line 1, column") {
		t.Errorf("broken admission rule: exit %d, %q", r.code, r.stderr)
	}
	good := writeFile(t, dir, "tags2.yaml", "- name: regular\n  description: three orders or more\n  kind: behaviour\n  rule: frequency >= 3\n")
	mustRun(t, "tag", "apply", good, "--data-dir", data)
	if n := count("regular"); n != 1 {
		t.Errorf("tag regular: %d members, want 1", n)
	}
	var p struct {
		Intel struct {
			RFM struct {
				Recency   float64 `json:"recency_days"`
				Frequency float64 `json:"frequency"`
				Monetary  float64 `json:"monetary"`
			} `json:"rfm"`
			Tags []struct {
				Tag    string `json:"tag"`
				Member bool   `json:"member"`
			} `json:"tags"`
		} `json:"intelligence"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "customer", "show", "shop:c1", "--as-of", "2025-06-01", "--json", "--data-dir", data)), &p); err != nil {
		t.Fatal(err)
	}
	if rfm := p.Intel.RFM; rfm.Recency != 30 || rfm.Frequency != 3 || rfm.Monetary != 230 {
		t.Errorf("rfm of c1 %+v, want recency 30 (2025-05-02 to 2025-06-01), frequency 3, monetary 230", rfm)
	}
	member := false
	for _, tg := range p.Intel.Tags {
		member = member || tg.Tag == "regular" && tg.Member
	}
	if !member {
		t.Errorf("c1 should carry the tag regular: %+v", p.Intel.Tags)
	}
}

// startServe runs "sagitta serve" on a free port and returns its URL, its
// log (complete once stop has returned) and a stop function (safe to call twice).
func startServe(t *testing.T, data string, flags ...string) (string, *logBuffer, func()) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", data}, flags...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	sc := bufio.NewScanner(stderr)
	url := ""
	for url == "" && sc.Scan() {
		logs.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve did not report its address:\n%s", logs.String())
	}
	done := make(chan struct{})
	go func() {
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
		}
		close(done)
	}()
	stopped := false
	return url, &logs, func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(os.Interrupt)
		<-done
		cmd.Wait()
	}
}

func call(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// logBuffer collects a server's log lines from one goroutine while the
// test reads them from another.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// smallShop imports order lines (CSV without the header, source shop),
// computes features as of 2025-06-01 and returns the data directory and an
// admin key.
func smallShop(t *testing.T, lines string) (data, admin string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	f := writeFile(t, dir, "orders.csv", "order,customer,time,item,quantity,unit_price\n"+lines)
	importJSON(t, "orders", "--source", "shop", "--data-dir", data, f)
	mustRun(t, "features", "compute", "--as-of", "2025-06-01", "--data-dir", data)
	admin = strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "admin", "--data-dir", data))
	return data, admin
}

// An event posted to the API puts its customer into a segment by the time
// the POST is answered.
func TestSegmentMembershipFollowsIngest(t *testing.T) {
	data, admin := smallShop(t, "o1,c1,2025-05-02 10:00:00,i1,1,50\n"+
		"o2,c2,2025-05-20 10:00:00,i3,1,5\n")
	url, logs, stop := startServe(t, data)
	defer stop()
	const rule = `{"rule":"views_30d >= 2"}`
	if code, body := call(t, "POST", url+"/v1/segments/count", admin, rule); code != 200 || body != `{"count":0}`+"\n" {
		t.Fatalf("before: %d %q", code, body)
	}
	events := `[{"customer":"c2","type":"view","time":"2025-06-02T10:00:00Z","item":"i1"},` +
		`{"customer":"c2","type":"view","time":"2025-06-02T10:05:00Z","item":"i3"}]`
	if code, body := call(t, "POST", url+"/v1/events?source=shop", admin, events); code != 200 {
		t.Fatalf("post events: %d %s", code, body)
	}
	if code, body := call(t, "POST", url+"/v1/segments/count", admin, rule); code != 200 || body != `{"count":1}`+"\n" {
		t.Errorf("after the events: %d %q, want a count of 1\n%s", code, body, logs.String())
	}
	// The same events again are duplicates: nothing is counted twice.
	call(t, "POST", url+"/v1/events?source=shop", admin, events)
	if code, body := call(t, "POST", url+"/v1/segments/count", admin, `{"rule":"views_30d == 2"}`); code != 200 || body != `{"count":1}`+"\n" {
		t.Errorf("after re-posting: %d %q, want views_30d still 2", code, body)
	}
	// A restart keeps what ingestion applied: serve saves the table when it stops.
	stop()
	url, logs, stop2 := startServe(t, data)
	defer stop2()
	if code, body := call(t, "POST", url+"/v1/segments/count", admin, rule); code != 200 || body != `{"count":1}`+"\n" {
		t.Errorf("after a restart: %d %q, want a count of 1\n%s", code, body, logs.String())
	}
}

// A batch mixing new and already stored events cannot be applied
// incrementally (which rows were new is unknown); the server's maintenance
// recomputes, and the new event counts.
func TestMaintenanceRecomputesAfterMixedBatch(t *testing.T) {
	data, admin := smallShop(t, "o1,c1,2025-05-02 10:00:00,i1,1,50\no2,c2,2025-05-20 10:00:00,i3,1,5\n")
	url, logs, stop := startServe(t, data, "--maintain-every", "100ms")
	defer stop()
	first := `[{"event":"e1","customer":"c2","type":"view","time":"2025-06-02T10:00:00Z","item":"i1"},` +
		`{"event":"e2","customer":"c2","type":"view","time":"2025-06-02T10:05:00Z","item":"i3"}]`
	mixed := `[{"event":"e2","customer":"c2","type":"view","time":"2025-06-02T10:05:00Z","item":"i3"},` +
		`{"event":"e3","customer":"c2","type":"view","time":"2025-06-02T10:01:00Z","item":"i1"}]`
	for _, b := range []string{first, mixed} {
		if code, body := call(t, "POST", url+"/v1/events?source=shop", admin, b); code != 200 {
			t.Fatalf("post events: %d %s", code, body)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := call(t, "POST", url+"/v1/segments/count", admin, `{"rule":"views_30d == 3"}`)
		if body == `{"count":1}`+"\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("views_30d never reached 3 (last %q)\n%s", body, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// the log line may reach the reader a moment after the answer
	for !strings.Contains(logs.String(), "features recomputed") {
		if time.Now().After(deadline) {
			t.Fatalf("no recompute logged:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIntelligenceAPI(t *testing.T) {
	data, admin := smallShop(t, "o1,c1,2025-05-02 10:00:00,i1,1,50\no2,c1,2025-05-09 10:00:00,i1,1,50\no3,c2,2025-05-20 10:00:00,i3,1,5\n")
	analyst := strings.TrimSpace(mustRun(t, "apikey", "create", "--role", "analyst", "--data-dir", data))
	url, _, stop := startServe(t, data)
	defer stop()

	for _, tt := range []struct {
		name, method, path, key, body string
		code                          int
		want                          string
	}{
		{"broken tag rule", "PUT", "/v1/tags", admin, "- name: twice\n  kind: behaviour\n  rule: frequency >= 'two'\n", 400, "twice"},
		{"analyst may not write", "PUT", "/v1/tags", analyst, "- name: twice\n  kind: behaviour\n  rule: frequency >= 2\n", 403, ""},
		{"tag", "PUT", "/v1/tags", admin, "- name: twice\n  kind: behaviour\n  rule: frequency >= 2\n", 200, `"created":["twice"]`},
		{"tag shown", "GET", "/v1/tags/twice", analyst, "", 200, `"count":1`},
		{"segment with a typo", "POST", "/v1/segments", admin, `{"name":"regulars","rule":"twise"}`, 400, "did you mean twice"},
		{"segment", "POST", "/v1/segments", admin, `{"name":"regulars","rule":"twice and not in_list(\"black\")"}`, 200, `"count":1`},
		{"tag in use", "DELETE", "/v1/tags/twice", admin, "", 409, "regulars"},
		{"black list", "POST", "/v1/admission", admin, `[{"list":"black","customer":"shop:c1","reason":"asked not to be contacted"}]`, 200, `"added":1`},
		{"bad list", "POST", "/v1/admission", admin, `[{"list":"pink","customer":"shop:c1"}]`, 400, "not black, white or grey"},
		{"segment after the black list", "GET", "/v1/segments/regulars", analyst, "", 200, `"count":0`},
		{"list", "GET", "/v1/admission?list=black", analyst, "", 200, "asked not to be contacted"},
		{"all lists", "GET", "/v1/admission", analyst, "", 200, "asked not to be contacted"},
		{"bad limit", "GET", "/v1/admission?limit=0", analyst, "", 400, "limit"},
		{"bad cursor", "GET", "/v1/admission?after=12", analyst, "", 400, "Next-After"},
		{"unknown segment", "GET", "/v1/segments/nope", analyst, "", 404, "not found"},
		{"off the black list", "DELETE", "/v1/admission/black/shop:c1", admin, "", 204, ""},
		{"segment after leaving the list", "GET", "/v1/segments/regulars", analyst, "", 200, `"count":1`},
		{"broken admission rule", "POST", "/v1/admission/rules", admin, `{"name":"big","list":"grey","rule":"monetary >"}`, 400, "column"},
		{"analyst may not add a rule", "POST", "/v1/admission/rules", analyst, `{"name":"big","list":"grey","rule":"monetary > 60"}`, 403, ""},
		{"bad duration", "POST", "/v1/admission/rules", admin, `{"name":"big","list":"grey","rule":"monetary > 60","expires_after":"soon"}`, 400, "expires_after"},
		{"admission rule", "POST", "/v1/admission/rules", admin, `{"name":"big","list":"grey","rule":"monetary > 60","reason":"review first","expires_after":"720h"}`, 200, `"members":1`},
		{"rules listed", "GET", "/v1/admission/rules", analyst, "", 200, `"expires_after":"720h0m0s"`},
		{"grey entry", "GET", "/v1/admission?list=grey", analyst, "", 200, "review first"},
		{"not on the list", "DELETE", "/v1/admission/white/shop:c1", admin, "", 404, ""},
		{"settings out of range", "PUT", "/v1/features/settings", admin, "rfm:\n  bins: 40\n", 400, "rfm.bins"},
		{"settings with a typo", "PUT", "/v1/features/settings", admin, "lifecycle:\n  churn_after: 10\n", 400, "line 2"},
		{"analyst may not change settings", "PUT", "/v1/features/settings", analyst, "rfm: {bins: 4}", 403, ""},
		{"settings", "PUT", "/v1/features/settings", admin, "rfm: {bins: 4}", 200, `"version":1`},
		{"settings shown", "GET", "/v1/features/settings", analyst, "", 200, `"bins":4`},
	} {
		code, body := call(t, tt.method, url+tt.path, tt.key, tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %s %s: %d %s; want %d with %q", tt.name, tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}
