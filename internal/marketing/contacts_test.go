package marketing_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/marketing"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// The next-best-offers view lists the contacts a customer received or
// answered: holdout and arbitration rows are the engine's records, not
// contacts, even when they are the newest.
func TestNextBestOffersRecentContactsAreReceived(t *testing.T) {
	ctx := context.Background()
	st, in := markettest.Shop(t, t.TempDir(), 10)
	m, err := marketing.Open(ctx, st, in, marketing.Config{Clock: func() time.Time { return markettest.AsOf }})
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := st.CustomerIDs(ctx)
	id := ids[0]
	at := markettest.AsOf.Add(-time.Hour)
	rows := []store.Contact{
		{CustomerID: id, Channel: "email", Kind: store.ContactSent, Campaign: "spring", At: at},
		{CustomerID: id, Channel: "email", Kind: store.ContactOpened, Campaign: "spring", At: at.Add(time.Minute)},
		{CustomerID: id, Channel: "email", Kind: campaign.ContactHoldout, Campaign: "summer", At: at.Add(2 * time.Minute)},
		{CustomerID: id, Channel: "email", Kind: campaign.ContactArbitration, Campaign: "autumn", At: at.Add(3 * time.Minute), Detail: "{}"},
	}
	if err := st.UpdateMarketing(ctx, func(tx store.MarketingTx) error { return tx.AddContacts(ctx, rows) }); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{2, 20} {
		v, err := m.NextBestOffers(ctx, id, limit, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Contacts) != 2 || v.Contacts[0].Kind != store.ContactOpened || v.Contacts[1].Kind != store.ContactSent {
			t.Errorf("limit %d: recent contacts %+v, want opened then sent", limit, v.Contacts)
		}
	}
}
