package storetest

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// mupdate runs fn in s.UpdateMarketing and fails the test on error.
func mupdate(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.MarketingTx) error) {
	t.Helper()
	ctx := t.Context()
	if err := s.UpdateMarketing(ctx, func(tx store.MarketingTx) error { return fn(ctx, tx) }); err != nil {
		t.Fatalf("update marketing: %v", err)
	}
}

func sortTouches(ts []store.Touch) []store.Touch {
	sort.Slice(ts, func(i, j int) bool {
		a, b := ts[i], ts[j]
		if a.CustomerID != b.CustomerID {
			return a.CustomerID < b.CustomerID
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.Channel < b.Channel
	})
	return ts
}

func testContacts(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	cs := []store.Contact{
		{CustomerID: c[0], Channel: "email", Kind: store.ContactSent, Campaign: "spring", Step: "main", Offer: "ten", At: t1},
		{CustomerID: c[0], Channel: "email", Kind: store.ContactOpened, Campaign: "spring", Step: "main", At: t2},
		{CustomerID: c[0], Channel: "call", Kind: store.ContactIntent, At: t2, Detail: "wants the blue one"},
		{CustomerID: c[1], Channel: "sms", Kind: store.ContactSent, At: t3},
	}
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error { return tx.AddContacts(ctx, cs) })
	for i := 1; i < len(cs); i++ {
		if cs[i].Seq <= cs[i-1].Seq {
			t.Fatalf("AddContacts: Seq not ascending: %d then %d", cs[i-1].Seq, cs[i].Seq)
		}
	}
	got, err := s.Contacts(ctx, c[0], t0, 0)
	if err != nil {
		t.Fatal(err)
	}
	// newest first; a tie on At: the later one first
	equal(t, "contacts of c0", got, []store.Contact{cs[2], cs[1], cs[0]})
	got, _ = s.Contacts(ctx, c[0], t2, 1)
	equal(t, "contacts of c0 since t2, limit 1", got, []store.Contact{cs[2]})
	got, _ = s.Contacts(ctx, 999999, t0, 0)
	equal(t, "contacts of an unknown customer", got, []store.Contact(nil))

	// touches: sent contacts and pending deliveries since the bound
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		_, err := tx.PutDeliveries(ctx, []store.Delivery{
			{Campaign: "x", CustomerID: c[1], Step: "main", Channel: "push", State: store.DeliveryPending, CreatedAt: t4, UpdatedAt: t4},
			{Campaign: "y", CustomerID: c[1], Step: "main", Channel: "email", State: store.DeliverySent, CreatedAt: t4, UpdatedAt: t4},
		})
		return err
	})
	touches, err := s.Touches(ctx, []int64{c[0], c[1]}, t0)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "touches", sortTouches(touches), []store.Touch{
		{CustomerID: c[0], Channel: "email", At: t1}, {CustomerID: c[1], Channel: "sms", At: t3}, {CustomerID: c[1], Channel: "push", At: t4}})
	touches, _ = s.Touches(ctx, []int64{c[1]}, t4)
	equal(t, "touches since t4", touches, []store.Touch{{CustomerID: c[1], Channel: "push", At: t4}})
	touches, _ = s.Touches(ctx, nil, t0)
	equal(t, "touches of nobody", touches, []store.Touch(nil))
}

func testConsentsOf(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []store.Consent{
			{CustomerID: c[0], Channel: "email", Status: store.ConsentOptIn, At: t1, Source: "shop"},
			{CustomerID: c[1], Channel: "email", Status: store.ConsentOptOut, At: t2, Source: "crm"},
			{CustomerID: c[1], Channel: "sms", Status: store.ConsentOptIn, At: t2, Source: "crm"},
		} {
			if _, err := tx.PutConsent(ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.ConsentsOf(ctx, "email", []int64{c[0], c[1], c[2]})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "email consents", got, map[int64]store.Consent{
		c[0]: {CustomerID: c[0], Channel: "email", Status: store.ConsentOptIn, At: t1, Source: "shop"},
		c[1]: {CustomerID: c[1], Channel: "email", Status: store.ConsentOptOut, At: t2, Source: "crm"},
	})
	got, _ = s.ConsentsOf(ctx, "sms", []int64{c[0]})
	equal(t, "sms consents of c0", got, map[int64]store.Consent{})
}

func testAddressesOf(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0, t0)
	update(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []store.Identity{
			{CustomerID: c[0], Kind: store.KindEmail, Value: "old@x.org", Source: "shop", FirstSeen: t1},
			{CustomerID: c[0], Kind: store.KindEmail, Value: "a@x.org", Source: "shop", FirstSeen: t1},
			{CustomerID: c[0], Kind: store.KindPhone, Value: "+4912345", Source: "shop", FirstSeen: t2},
			{CustomerID: c[1], Kind: store.KindEmail, Value: "b@x.org", Source: "crm", FirstSeen: t2},
			{CustomerID: c[2], Kind: store.KindExternalID, Namespace: "shop", Value: "7", Source: "shop", FirstSeen: t2},
		} {
			if err := tx.AddIdentity(ctx, id); err != nil {
				return err
			}
		}
		return tx.PutAttributes(ctx, []store.Attribute{
			{CustomerID: c[0], Name: "timezone", Value: "Asia/Shanghai", Source: "shop", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[2], Name: "timezone", Value: "", Source: "shop", ObservedAt: t1, Rule: "latest"},
			{CustomerID: c[1], Name: "city", Value: "Berlin", Source: "shop", ObservedAt: t1, Rule: "latest"},
		})
	})
	// the first seen, the smallest value on a tie
	got, err := s.AddressesOf(ctx, store.KindEmail, []int64{c[0], c[1], c[2]})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "e-mail addresses", got, map[int64]string{c[0]: "a@x.org", c[1]: "b@x.org"})
	got, _ = s.AddressesOf(ctx, store.KindPhone, []int64{c[0], c[1]})
	equal(t, "phones", got, map[int64]string{c[0]: "+4912345"})
	got, err = s.AttributeOf(ctx, "timezone", []int64{c[0], c[1], c[2]})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "time zones", got, map[int64]string{c[0]: "Asia/Shanghai", c[2]: ""})
}

func testDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := func(cust int64, step, state string) store.Delivery {
		return store.Delivery{Campaign: "spring", CustomerID: cust, Step: step, Channel: "email", Offer: "ten", Code: "C" + step,
			State: state, CreatedAt: t1, UpdatedAt: t1}
	}
	var n int
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) (err error) {
		n, err = tx.PutDeliveries(ctx, []store.Delivery{d(3, "a", store.DeliveryPending), d(1, "b", store.DeliveryPending), d(1, "a", store.DeliveryPending)})
		return err
	})
	if n != 3 {
		t.Errorf("PutDeliveries inserted %d, want 3", n)
	}
	// the same keys again: nothing new, nothing changed
	again := d(1, "a", store.DeliverySent)
	again.Code = "other"
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) (err error) {
		n, err = tx.PutDeliveries(ctx, []store.Delivery{again, d(2, "a", store.DeliveryPending)})
		return err
	})
	if n != 1 {
		t.Errorf("PutDeliveries of one new key and one stored: inserted %d, want 1", n)
	}
	up := d(1, "a", store.DeliverySent)
	up.Attempts, up.Reason, up.UpdatedAt = 2, "ok", t2
	drop := d(3, "a", store.DeliveryDropped)
	drop.Reason, drop.UpdatedAt = "consent", t2
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		return tx.UpdateDeliveries(ctx, []store.Delivery{up, drop})
	})
	err := s.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return tx.UpdateDeliveries(ctx, []store.Delivery{d(99, "a", store.DeliverySent)})
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDeliveries of an unknown key: %v, want ErrNotFound", err)
	}
	all, err := s.Deliveries(ctx, "spring", "")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "deliveries", all, []store.Delivery{up, d(1, "b", store.DeliveryPending), d(2, "a", store.DeliveryPending), drop})
	pending, _ := s.Deliveries(ctx, "spring", store.DeliveryPending)
	equal(t, "pending deliveries", pending, []store.Delivery{d(1, "b", store.DeliveryPending), d(2, "a", store.DeliveryPending)})
	counts, err := s.DeliveryCounts(ctx, "spring")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "delivery counts", counts, map[string]int64{store.DeliveryPending: 2, store.DeliverySent: 1, store.DeliveryDropped: 1})
	ids, err := s.DeliveredCustomers(ctx, "spring", "a")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "customers of step a", ids, []int64{1, 2, 3})
	of, err := s.DeliveriesOf(ctx, "spring", "a", []int64{1, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "deliveries of step a to 1, 3, 4", of, map[int64]store.Delivery{1: up, 3: drop})
	none, _ := s.Deliveries(ctx, "autumn", "")
	equal(t, "deliveries of another campaign", none, []store.Delivery(nil))
}

func testSuppressions(t *testing.T, s store.Store) {
	ctx := t.Context()
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		return tx.PutSuppressions(ctx, []store.Suppression{
			{CustomerID: 1, Channel: "email", Reason: "bounced", At: t1},
			{CustomerID: 2, Channel: "*", Reason: "complaint", At: t1},
			{CustomerID: 1, Channel: "email", Reason: "unsubscribed", At: t2}, // replaces
		})
	})
	got, err := s.SuppressionsOf(ctx, []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].CustomerID < got[j].CustomerID })
	equal(t, "suppressions", got, []store.Suppression{
		{CustomerID: 1, Channel: "email", Reason: "unsubscribed", At: t2}, {CustomerID: 2, Channel: "*", Reason: "complaint", At: t1}})
}

func testIssues(t *testing.T, s store.Store) {
	ctx := t.Context()
	is := []store.Issue{
		{Offer: "ten", CustomerID: 1, Campaign: "a", Step: "s", Code: "X1", Cost: 10, At: t1},
		{Offer: "ten", CustomerID: 1, Campaign: "b", Step: "s", Code: "X2", Cost: 10, At: t1},
		{Offer: "ten", CustomerID: 2, Campaign: "a", Step: "s", Code: "X3", Cost: 10, At: t1},
		{Offer: "gift", CustomerID: 2, Campaign: "a", Step: "s", Cost: 3.5, At: t1},
	}
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error { return tx.AddIssues(ctx, is) })
	// issuing again counts nothing
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error { return tx.AddIssues(ctx, is[:1]) })
	use, err := s.OfferUse(ctx, "ten")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "use of ten", use, store.OfferUse{Count: 3, Cost: 30})
	use, _ = s.OfferUse(ctx, "none")
	equal(t, "use of an offer never issued", use, store.OfferUse{})
	to, err := s.IssuedTo(ctx, "ten", []int64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "issued to", to, map[int64]int{1: 2, 2: 1})
	uses, err := s.OfferUses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "offer uses", uses, map[string]store.OfferUse{"ten": {Count: 3, Cost: 30}, "gift": {Count: 1, Cost: 3.5}})
	of, err := s.IssuesOf(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "issues of customer 2", of, map[string]int{"ten": 1, "gift": 1})
	of, _ = s.IssuesOf(ctx, 99)
	equal(t, "issues of a customer without any", of, map[string]int{})
}

func testCampaignRun(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.CampaignRun(ctx, "spring"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CampaignRun of a campaign not launched: %v, want ErrNotFound", err)
	}
	r := store.CampaignRun{Campaign: "spring", State: store.RunRunning, Audience: []byte{1, 2, 3, 0, 255}, Size: 5, LaunchedAt: t1, UpdatedAt: t1}
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error { return tx.PutCampaignRun(ctx, r) })
	got, err := s.CampaignRun(ctx, "spring")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "run", got, r)
	r.State, r.UpdatedAt = store.RunPaused, t2
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error { return tx.PutCampaignRun(ctx, r) })
	got, _ = s.CampaignRun(ctx, "spring")
	equal(t, "paused run", got, r)
}

func testCallTasks(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := store.CallTask{Campaign: "winback", CustomerID: 7, Offer: "ten", Script: "Hello", State: store.CallOpen, CreatedAt: t1, UpdatedAt: t1}
	b := store.CallTask{Campaign: "winback", CustomerID: 8, State: store.CallOpen, CreatedAt: t1, UpdatedAt: t1}
	var ins [3]bool
	dup := a
	dup.Script = "changed"
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) (err error) {
		if ins[0], err = tx.PutCallTask(ctx, &a); err != nil {
			return err
		}
		if ins[1], err = tx.PutCallTask(ctx, &b); err != nil {
			return err
		}
		ins[2], err = tx.PutCallTask(ctx, &dup)
		return err
	})
	if ins != [3]bool{true, true, false} || a.ID == 0 || b.ID == a.ID || dup.ID != a.ID {
		t.Errorf("PutCallTask: inserted %v, ids %d %d %d", ins, a.ID, b.ID, dup.ID)
	}
	a.Assignee, a.State, a.Result, a.CallbackAt, a.Note, a.UpdatedAt = "ann", store.CallDone, store.ContactCallBack, t5, "after 5", t3
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) (err error) {
		_, err = tx.PutCallTask(ctx, &a)
		return err
	})
	got, err := s.CallTask(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "call task", got, a)
	all, _ := s.CallTasks(ctx, "winback", "")
	equal(t, "call tasks", all, []store.CallTask{a, b})
	open, _ := s.CallTasks(ctx, "", store.CallOpen)
	equal(t, "open call tasks", open, []store.CallTask{b})
	if _, err := s.CallTask(ctx, 424242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CallTask of an unknown id: %v, want ErrNotFound", err)
	}
	err = s.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		_, err := tx.PutCallTask(ctx, &store.CallTask{ID: 424242, State: store.CallDone, UpdatedAt: t1})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutCallTask of an unknown id: %v, want ErrNotFound", err)
	}
}

func testMarketingMerge(t *testing.T, s store.Store) {
	ctx := t.Context()
	c := newCustomers(t, s, t0, t0)
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		if err := tx.AddContacts(ctx, []store.Contact{{CustomerID: c[1], Channel: "sms", Kind: store.ContactSent, At: t1}}); err != nil {
			return err
		}
		return tx.PutSuppressions(ctx, []store.Suppression{
			{CustomerID: c[0], Channel: "email", Reason: "bounced", At: t1},
			{CustomerID: c[1], Channel: "email", Reason: "unsubscribed", At: t2},
			{CustomerID: c[1], Channel: "sms", Reason: "unsubscribed", At: t2},
		})
	})
	mupdate(t, s, func(ctx context.Context, tx store.MarketingTx) error {
		return tx.MergeCustomers(ctx, store.Merge{Survivor: c[0], Merged: c[1], Kind: store.KindEmail, Value: "a@b.c", At: t3})
	})
	got, _ := s.Contacts(ctx, c[0], t0, 0)
	if len(got) != 1 || got[0].Channel != "sms" {
		t.Errorf("contacts of the survivor after a merge: %+v", got)
	}
	sup, _ := s.SuppressionsOf(ctx, []int64{c[0], c[1]})
	slices.SortFunc(sup, func(a, b store.Suppression) int { return cmpStr(a.Channel, b.Channel) })
	equal(t, "suppressions after a merge", sup, []store.Suppression{
		{CustomerID: c[0], Channel: "email", Reason: "bounced", At: t1}, {CustomerID: c[0], Channel: "sms", Reason: "unsubscribed", At: t2}})
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
