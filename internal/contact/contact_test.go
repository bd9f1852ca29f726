package contact_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func TestQuietHours(t *testing.T) {
	g, err := contact.NewGuard(contact.Rules{QuietStart: "21:00", QuietEnd: "08:00"}, time.UTC, nil)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		zone  string
		at    time.Time
		quiet bool
		until time.Time
	}{
		{"", day.Add(12 * time.Hour), false, time.Time{}},
		{"", day.Add(22 * time.Hour), true, day.Add(32 * time.Hour)},
		{"", day.Add(7*time.Hour + 59*time.Minute), true, day.Add(8 * time.Hour)},
		{"", day.Add(8 * time.Hour), false, time.Time{}},
		{"Asia/Shanghai", day.Add(12 * time.Hour), false, time.Time{}},              // 20:00 there
		{"Asia/Shanghai", day.Add(14 * time.Hour), true, day.Add(24 * time.Hour)},   // 22:00 there; 08:00 there is 00:00 UTC
		{"America/New_York", day.Add(12 * time.Hour), false, time.Time{}},           // 08:00 EDT
		{"America/New_York", day.Add(3 * time.Hour), true, day.Add(12 * time.Hour)}, // 23:00 EDT
		{"Not/AZone", day.Add(22 * time.Hour), true, day.Add(32 * time.Hour)},       // unknown: the default zone
	} {
		until, quiet := g.Quiet(tc.zone, tc.at)
		if quiet != tc.quiet || !until.Equal(tc.until) {
			t.Errorf("Quiet(%q, %s) = %s, %v; want %s, %v", tc.zone, tc.at.Format(time.RFC3339), until, quiet, tc.until, tc.quiet)
		}
	}
	if _, err := contact.NewGuard(contact.Rules{QuietStart: "25:00", QuietEnd: "08:00"}, nil, nil); err == nil {
		t.Error("quiet_start 25:00 accepted")
	}
	if _, err := contact.NewGuard(contact.Rules{Caps: []contact.Cap{{Channel: "", Max: 1, Window: 1}}}, nil, nil); err == nil {
		t.Error("a cap without a channel accepted")
	}
}

type black map[int64]string

func (b black) Black(id int64) (string, bool) { r, ok := b[id]; return r, ok }

func TestCheck(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	// customers 1..6
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		for id := int64(1); id <= 6; id++ {
			if _, err := tx.NewCustomer(ctx, now); err != nil {
				return err
			}
			if id != 2 {
				if _, err := tx.PutConsent(ctx, store.Consent{CustomerID: id, Channel: "email", Status: store.ConsentOptIn, At: now.Add(-time.Hour)}); err != nil {
					return err
				}
			}
		}
		if _, err := tx.PutConsent(ctx, store.Consent{CustomerID: 3, Channel: "email", Status: store.ConsentOptOut, At: now}); err != nil {
			return err
		}
		// 4 got an SMS 2 h ago and an e-mail 30 h ago: the cross-channel daily cap is reached
		if err := contact.Record(ctx, tx, []store.Contact{
			{CustomerID: 4, Channel: "sms", Kind: store.ContactSent, At: now.Add(-2 * time.Hour)},
			{CustomerID: 4, Channel: "email", Kind: store.ContactSent, At: now.Add(-30 * time.Hour)},
			{CustomerID: 5, Channel: "email", Kind: store.ContactBounced, At: now.Add(-time.Hour), Detail: "550"},
		}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := contact.NewGuard(contact.Rules{Caps: []contact.Cap{{Channel: "*", Max: 1, Window: contact.Duration(24 * time.Hour)}}}, time.UTC, black{6: "complaint"})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := g.Check(ctx, st, "email", []int64{1, 2, 3, 4, 5, 6}, now, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", contact.ReasonConsent, contact.ReasonConsent, contact.ReasonCap, contact.ReasonSuppressed, contact.ReasonBlack}
	for i, v := range vs {
		if v.Reason != want[i] {
			t.Errorf("customer %d: reason %q (%s); want %q", v.CustomerID, v.Reason, v.Detail, want[i])
		}
	}
	// consentOnly ignores the caps
	vs, _ = g.Check(ctx, st, "email", []int64{4}, now, true)
	if vs[0].Reason != "" {
		t.Errorf("consent only, customer 4: %q", vs[0].Reason)
	}
	// a channel where no decision means consent
	g2, _ := contact.NewGuard(contact.Rules{OptOutOnly: []string{"email"}}, time.UTC, nil)
	vs, _ = g2.Check(ctx, st, "email", []int64{2, 3}, now, false)
	if vs[0].Reason != "" || vs[1].Reason != contact.ReasonConsent {
		t.Errorf("opt-out-only channel: %+v", vs)
	}
	// an unsubscribe is an opt-out and a suppression
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return contact.Record(ctx, tx, []store.Contact{{CustomerID: 1, Channel: "email", Kind: store.ContactUnsubscribed, At: now.Add(time.Minute)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ConsentsOf(ctx, "email", []int64{1})
	if cs[1].Status != store.ConsentOptOut {
		t.Errorf("consent after unsubscribe: %+v", cs[1])
	}
	err = st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return contact.Record(ctx, tx, []store.Contact{{CustomerID: 1, Channel: "email", Kind: "teleported", At: now}})
	})
	if err == nil {
		t.Error("an unknown contact kind was recorded")
	}
}
