package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// The customer page's timeline shows a holdout, labelled as not contacted,
// but no arbitration record, and counts neither as a contact of the channel.
func TestTimelineLabelsHoldouts(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAnalyst)
	ctx := t.Context()
	// a customer of the shop nobody else's test contacts
	ids, err := s.st.CustomerIDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := ids[len(ids)-3]
	before, err := s.st.Contacts(ctx, id, time.Time{}, 0)
	if err != nil || len(before) != 0 {
		t.Skipf("customer %d already has %d contacts", id, len(before))
	}
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	rows := []store.Contact{
		{CustomerID: id, Channel: "push", Kind: campaign.ContactHoldout, Campaign: "qa_held", At: at},
		{CustomerID: id, Channel: "push", Kind: campaign.ContactArbitration, Campaign: "qa_lost", At: at.Add(time.Minute), Detail: `{"qa":"decision-json"}`},
	}
	if err := s.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error { return tx.AddContacts(ctx, rows) }); err != nil {
		t.Fatal(err)
	}
	code, body := c.get("/customers/" + strconv.FormatInt(id, 10))
	if code != 200 {
		t.Fatalf("GET customer: %d", code)
	}
	if !strings.Contains(body, "held out (not contacted)") || !strings.Contains(body, "qa_held") {
		t.Errorf("the timeline lacks the labelled holdout")
	}
	if strings.Contains(body, "qa_lost") || strings.Contains(body, "decision-json") {
		t.Errorf("the timeline shows an arbitration record")
	}
	if i := strings.Index(body, `id="timeline"`); i >= 0 && strings.Contains(body[i:], "contact.holdout") {
		t.Errorf("the holdout label is a missing catalogue key")
	}
}
