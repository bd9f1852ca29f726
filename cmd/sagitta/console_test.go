package main_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The real binary serves the console beside the API: log in with a key
// made by `sagitta apikey create`, see the overview, log out.
func TestServeConsole(t *testing.T) {
	data := t.TempDir()
	out := mustRun(t, "apikey", "create", "--role", "operator", "--name", "console", "--data-dir", data)
	key := regexp.MustCompile(`sgt_[a-z0-9_]+`).FindString(out)
	if key == "" {
		t.Fatalf("no key in %q", out)
	}
	base, logs, stop := startServe(t, data)
	defer stop()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	get := func(path string) (int, string) {
		t.Helper()
		res, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 8192)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, b.String()
	}
	code, body := get("/") // redirected to the login
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if code != 200 || csrf == nil || !strings.Contains(body, `name="key"`) {
		t.Fatalf("GET /: %d, want the login form\n%s", code, body)
	}
	res, err := hc.PostForm(base+"/login", url.Values{"key": {key}, "csrf": {csrf[1]}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if code, body := get("/"); code != 200 || !strings.Contains(body, `id="value-loyalty"`) || !strings.Contains(body, "operator") {
		t.Fatalf("overview after login: %d\n%s", code, body)
	}
	if code, _ := call(t, "GET", base+"/v1/health", "", ""); code != 200 {
		t.Errorf("/v1/health beside the console: %d", code)
	}
	stop()
	if strings.Contains(logs.String(), key) {
		t.Error("the log holds the API key")
	}
}
