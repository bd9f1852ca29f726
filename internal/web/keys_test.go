package web

import (
	"testing"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/channel/call"
	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// TestDynamicKeys checks the message keys the templates build from values
// (print "field." .Name and the like), which TestCataloguesCoverTemplates
// cannot see.
func TestDynamicKeys(t *testing.T) {
	cat, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	add := func(prefix string, names ...string) {
		for _, n := range names {
			keys = append(keys, prefix+n)
		}
	}
	add("field.", offerFields...)
	add("field.", campaignFields...)
	for _, ty := range offer.Types {
		add("offer_type.", string(ty))
	}
	add("offer_code.", offer.CodeNone, offer.CodeShared, offer.CodeUnique)
	add("channel.", campaign.Channels...)
	add("state.", "draft", "running", "paused", "done")
	add("delivery.", store.DeliveryPending, "sent", "failed", "dropped")
	add("drop.", "admission_black", "admission_grey", "holdout", "rule", "consent", "cap", "quiet_hours", "suppressed",
		"no_address", "budget", "customer_limit", "validity")
	add("contact.", store.ContactKinds...)
	add("done.call_", call.Results...)
	add("call_state.", store.CallOpen, store.CallAssigned, store.CallDone)
	add("done.campaign_", "saved", "launch", "pause", "resume")
	add("reason.", "personal", "popular", "popular_in_category", "bought_together", "similar_items")
	add("calls.no_call.", contact.ReasonConsent, contact.ReasonSuppressed, contact.ReasonBlack)
	add("role.", apikey.Roles...)
	for _, k := range keys {
		for _, lang := range []string{"en", "zh"} {
			if _, ok := cat[lang][k]; !ok {
				t.Errorf("%s catalogue: no %q", lang, k)
			}
		}
	}
}
