package offer_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/offer"
	"github.com/sagitta-dev/sagitta/internal/store"
)

var until = markettest.AsOf.AddDate(0, 1, 0)

func TestValidate(t *testing.T) {
	base := offer.Offer{Name: "ten", Type: offer.CouponAmount, Amount: 10, ValidUntil: until, BudgetCount: 100, Rule: "frequency >= 1"}
	for _, tc := range []struct {
		name  string
		edit  func(o *offer.Offer)
		field string // "" = valid
	}{
		{"valid", func(o *offer.Offer) {}, ""},
		{"no budget", func(o *offer.Offer) { o.BudgetCount = 0 }, "budget_count"},
		{"no eligibility", func(o *offer.Offer) { o.Rule = "" }, "rule"},
		{"segment is eligibility", func(o *offer.Offer) { o.Rule, o.Segment = "", "vip" }, ""},
		{"bad name", func(o *offer.Offer) { o.Name = "Ten Off" }, "name"},
		{"bad type", func(o *offer.Offer) { o.Type = "cashback" }, "type"},
		{"no amount", func(o *offer.Offer) { o.Amount = 0 }, "amount"},
		{"percent 100", func(o *offer.Offer) { o.Type, o.Percent = offer.CouponPercent, 100 }, "percent"},
		{"threshold below saving", func(o *offer.Offer) { o.Type, o.Threshold, o.Amount = offer.Threshold, 20, 30 }, "amount"},
		{"gift without item", func(o *offer.Offer) { o.Type = offer.Gift }, "gift"},
		{"content without text", func(o *offer.Offer) { o.Type = offer.Content }, "content"},
		{"no end", func(o *offer.Offer) { o.ValidUntil = time.Time{} }, "valid_until"},
		{"ends before start", func(o *offer.Offer) { o.ValidFrom = until.Add(time.Hour) }, "valid_until"},
		{"shared without code", func(o *offer.Offer) { o.Code = offer.CodeShared }, "shared_code"},
		{"bad code mode", func(o *offer.Offer) { o.Code = "many" }, "code"},
		{"NaN amount", func(o *offer.Offer) { o.Amount = math.NaN() }, "amount"},
		{"cost budget without unit cost", func(o *offer.Offer) { o.Type, o.Percent, o.BudgetCount, o.BudgetCost = offer.CouponPercent, 10, 0, 500 }, "unit_cost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base
			tc.edit(&o)
			err := o.Validate()
			var fe *offer.FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, offer.ErrInvalid)):
				t.Fatalf("Validate: %v; want an error on field %q", err, tc.field)
			}
		})
	}
	o := base
	o.Validate()
	if o.PerCustomer != 1 || o.UnitCost != 10 || o.Code != offer.CodeUnique {
		t.Errorf("defaults: %+v", o)
	}
}

func TestCodes(t *testing.T) {
	o := offer.Offer{Name: "x", Code: offer.CodeUnique, Prefix: "X-"}
	a, b := o.CodeFor([]byte("k"), 1), o.CodeFor([]byte("k"), 2)
	if a == b || a != o.CodeFor([]byte("k"), 1) || !strings.HasPrefix(a, "X-") || len(a) != 14 || a == o.CodeFor([]byte("other"), 1) {
		t.Errorf("unique codes %q %q", a, b)
	}
	seen := map[string]bool{}
	for id := range int64(100000) {
		c := o.CodeFor([]byte("k"), id)
		if seen[c] {
			t.Fatalf("code %s repeats at customer %d", c, id)
		}
		seen[c] = true
	}
	if s := (&offer.Offer{Code: offer.CodeShared, SharedCode: "SPRING"}).CodeFor(nil, 5); s != "SPRING" {
		t.Errorf("shared code %q", s)
	}
}

type fix struct {
	st  store.Store
	eng *offer.Engine
	ids []int64
}

func newFix(t *testing.T) fix {
	t.Helper()
	st, in := markettest.Shop(t, t.TempDir(), 60)
	clock := func() time.Time { return markettest.AsOf }
	e := offer.New(offer.Options{Store: st, Audience: offer.NewAudience(in), Lists: in.Lists, Clock: clock})
	if err := e.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	ids, _ := st.CustomerIDs(t.Context())
	for _, en := range []store.AdmissionEntry{
		{List: store.ListBlack, CustomerID: ids[1], Reason: "asked not to be contacted", Source: "upload", AddedAt: markettest.AsOf},
		{List: store.ListGrey, CustomerID: ids[2], Reason: "many returns", Source: "upload", AddedAt: markettest.AsOf},
		{List: store.ListWhite, CustomerID: ids[4], Reason: "vip", Source: "upload", AddedAt: markettest.AsOf},
	} {
		if err := in.AddAdmission(t.Context(), []store.AdmissionEntry{en}); err != nil {
			t.Fatal(err)
		}
	}
	return fix{st, e, ids}
}

func TestWhy(t *testing.T) {
	f := newFix(t)
	ctx := t.Context()
	save := func(o offer.Offer) {
		t.Helper()
		if o.ValidUntil.IsZero() {
			o.ValidUntil = until
		}
		if o.BudgetCount == 0 {
			o.BudgetCount = 100
		}
		if _, err := f.eng.Save(ctx, o, "test"); err != nil {
			t.Fatal(err)
		}
	}
	save(offer.Offer{Name: "buyers", Type: offer.CouponAmount, Amount: 5, Rule: "frequency >= 1"})
	save(offer.Offer{Name: "expired", Type: offer.CouponAmount, Amount: 5, Rule: "frequency >= 1", ValidUntil: markettest.AsOf.Add(-time.Hour),
		ValidFrom: markettest.AsOf.AddDate(0, -1, 0)})
	save(offer.Offer{Name: "tiny", Type: offer.FreeShipping, Rule: "frequency >= 1", BudgetCount: 1})
	// customer index 1: black; 2: grey; 4: white; 3: never bought (i%3 == 0); 5: buyer
	for _, tc := range []struct {
		offer    string
		cust     int
		eligible bool
		reason   string
	}{
		{"buyers", 5, true, "eligible"},
		{"buyers", 1, false, "admission: on the black list (asked not to be contacted"},
		{"buyers", 2, true, "eligible after review"},
		{"buyers", 4, true, "eligible"},
		{"buyers", 3, false, "rule: the eligibility rule does not hold"},
		{"expired", 5, false, "validity: expired"},
	} {
		v, err := f.eng.Why(ctx, tc.offer, f.ids[tc.cust])
		if err != nil {
			t.Fatal(err)
		}
		if v.Eligible != tc.eligible || !strings.HasPrefix(v.Reason, tc.reason) {
			t.Errorf("why %s for customer index %d: eligible %v, %q; want %v, %q", tc.offer, tc.cust, v.Eligible, v.Reason, tc.eligible, tc.reason)
		}
		if tc.cust == 4 && !v.PreApproved || tc.cust == 2 && !v.Review {
			t.Errorf("why for index %d: pre-approved %v, review %v", tc.cust, v.PreApproved, v.Review)
		}
	}
	// the rule step shows the values it read
	v, _ := f.eng.Why(ctx, "buyers", f.ids[3])
	for _, c := range v.Checks {
		if c.Check == offer.CheckRule && (c.Rule == nil || len(c.Rule.Values) != 1 || c.Rule.Values[0].Name != "frequency") {
			t.Errorf("rule check %+v", c)
		}
	}
	// limit and budget: issue "tiny" once
	err := f.st.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		return tx.AddIssues(ctx, []store.Issue{{Offer: "tiny", CustomerID: f.ids[5], Campaign: "c", Step: "main", At: markettest.AsOf}})
	})
	if err != nil {
		t.Fatal(err)
	}
	v, _ = f.eng.Why(ctx, "tiny", f.ids[5])
	if v.Eligible || !strings.HasPrefix(v.Reason, "customer_limit: issued to this customer 1 of at most 1") {
		t.Errorf("why tiny for the customer who got it: %+v", v.Reason)
	}
	v, _ = f.eng.Why(ctx, "tiny", f.ids[7])
	if v.Eligible || !strings.HasPrefix(v.Reason, "budget: budget exhausted") {
		t.Errorf("why tiny for another: %q", v.Reason)
	}
	// a wrong rule is refused with its position
	_, err = f.eng.Save(ctx, offer.Offer{Name: "bad", Type: offer.Gift, Gift: "i1", ValidUntil: until, BudgetCount: 1, Rule: "frequncy >= 1"}, "t")
	var fe *offer.FieldError
	if !errors.As(err, &fe) || fe.Field != "rule" || !strings.Contains(err.Error(), "column") {
		t.Errorf("bad rule: %v", err)
	}
	if _, err := f.eng.Why(ctx, "nope", f.ids[0]); !errors.Is(err, offer.ErrNotFound) {
		t.Errorf("unknown offer: %v", err)
	}
}

func TestSelect(t *testing.T) {
	f := newFix(t)
	ctx := context.Background()
	if _, err := f.eng.Save(ctx, offer.Offer{Name: "buyers", Type: offer.CouponAmount, Amount: 5, Rule: "frequency >= 1", ValidUntil: until, BudgetCount: 9}, "t"); err != nil {
		t.Fatal(err)
	}
	p, err := f.eng.Select(ctx, "buyers", nil)
	if err != nil {
		t.Fatal(err)
	}
	// 40 buyers among 60 (i%3 != 0); index 1 (black) and 2 (grey) are buyers
	if len(p.Eligible) != 38 || p.Black != 1 || p.Grey != 1 || p.White != 1 || len(p.GreyIDs) != 1 || p.GreyIDs[0] != f.ids[2] {
		t.Errorf("population: %d eligible, black %d, grey %d, white %d", len(p.Eligible), p.Black, p.Grey, p.White)
	}
	p, _ = f.eng.Select(ctx, "buyers", f.ids[:6])
	if len(p.Eligible) != 2 { // indexes 4 and 5
		t.Errorf("within the first six: %v", p.Eligible)
	}
}
