package main_test

import (
	"strings"
	"testing"
)

// A webhook secret too short to sign with blocks only what sends: offers
// and campaigns are still created, listed and shown, and launch says what
// to fix without printing the secret.
func TestShortWebhookSecretBlocksOnlySending(t *testing.T) {
	dir, data, _ := campaignShop(t, 20)
	envs := []string{"SAGITTA_DATA_DIR=" + data, "SAGITTA_SMS_WEBHOOK=http://127.0.0.1:9/sms", "SAGITTA_WEBHOOK_SECRET=tooshort"}
	must := func(args ...string) string {
		t.Helper()
		r := runWith(t, envs, args...)
		if r.code != 0 {
			t.Fatalf("sagitta %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	writeFile(t, dir, "offer.yaml", "name: spring10\ntype: coupon_amount\namount: 10\nbudget_count: 100\nvalid_until: 2099-01-01T00:00:00Z\nrule: frequency >= 1\n")
	writeFile(t, dir, "campaign.yaml", "name: spring\nrule: frequency >= 1\noffer: spring10\nchannels: [sms]\nbody: \"{{.Code}}\"\n")
	must("offer", "create", dir+"/offer.yaml")
	must("campaign", "create", dir+"/campaign.yaml")
	if out := must("campaign", "list"); !strings.Contains(out, "spring") {
		t.Errorf("campaign list:\n%s", out)
	}
	must("campaign", "show", "spring")
	must("campaign", "preview", "spring")
	must("offer", "list")
	r := runWith(t, envs, "campaign", "launch", "spring")
	if r.code != 1 || !strings.Contains(r.stderr, "SAGITTA_WEBHOOK_SECRET must be at least 16 bytes to sign sms webhooks (it is 8)") ||
		strings.Contains(r.stderr, "tooshort") {
		t.Errorf("launch with a short secret: exit %d, stderr %q; want 1 and what to fix", r.code, r.stderr)
	}
	if out := must("campaign", "status", "spring"); strings.Contains(out, "running") {
		t.Errorf("refused launch left the campaign running:\n%s", out)
	}
}
