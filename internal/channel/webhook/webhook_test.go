package webhook_test

import (
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/channel/webhook"
)

func TestSignVerify(t *testing.T) {
	secret, body := []byte("0123456789abcdef"), []byte(`{"key":"a/1/main"}`)
	now := time.Unix(1700000000, 0)
	sig := webhook.Sign(secret, body, now)
	for _, tc := range []struct {
		name   string
		secret []byte
		body   []byte
		header string
		at     time.Time
		ok     bool
	}{
		{"valid", secret, body, sig, now, true},
		{"within tolerance", secret, body, sig, now.Add(4 * time.Minute), true},
		{"replayed later", secret, body, sig, now.Add(10 * time.Minute), false},
		{"tampered body", secret, []byte(`{"key":"a/2/main"}`), sig, now, false},
		{"other secret", []byte("fedcba9876543210"), body, sig, now, false},
		{"garbage", secret, body, "t=1,v1=00", now, false},
		{"empty", secret, body, "", now, false},
	} {
		if got := webhook.Verify(tc.secret, tc.body, tc.header, tc.at, 5*time.Minute); got != tc.ok {
			t.Errorf("%s: Verify = %v, want %v", tc.name, got, tc.ok)
		}
	}
	if _, err := webhook.New(webhook.Options{URL: "http://x", Secret: []byte("short")}); err == nil {
		t.Error("a short secret was accepted")
	}
}
