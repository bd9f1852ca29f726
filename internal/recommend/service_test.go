package recommend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// shop is a small shop: 20 food items (food/…), 20 home items, customers
// who mostly stay in one department, a real SQLite store with the catalogue
// (one inactive item) and a customer the model has not seen.
type shop struct {
	st       *sqlite.Store
	model    *Model
	newCust  string // has an order of a home/garden item
	southern string // no order, attribute country = south
	inactive string
}

func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat := func(i int) string {
		if i < 20 {
			return "food/" + []string{"milk", "bread"}[i%2]
		}
		return "home/" + []string{"kitchen", "garden"}[i%2]
	}
	name := func(i int) string { return fmt.Sprintf("sku%02d", i) }
	sh := &shop{st: st, inactive: name(3)}
	err = st.Update(ctx, func(tx store.Tx) error {
		for i := range 40 {
			if _, err := tx.PutItem(ctx, store.Item{ID: name(i), Title: name(i), Category: cat(i), Price: float64(1 + i), Active: i != 3, Source: "test"}); err != nil {
				return err
			}
		}
		// A new item only the catalogue knows.
		if _, err := tx.PutItem(ctx, store.Item{ID: "new-mug", Category: "home/kitchen", Price: 9, Active: true, Source: "test"}); err != nil {
			return err
		}
		id, err := tx.NewCustomer(ctx, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		sh.newCust = strconv.FormatInt(id, 10)
		south, err := tx.NewCustomer(ctx, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		sh.southern = strconv.FormatInt(south, 10)
		if err := tx.PutAttribute(ctx, store.Attribute{CustomerID: south, Name: "country", Value: "south", Source: "test",
			ObservedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Rule: "latest"}); err != nil {
			return err
		}
		o := store.Order{Source: "test", ExtID: "o1", CustomerID: id, PlacedAt: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), Kind: store.OrderSale}
		if _, err := tx.PutOrder(ctx, &o); err != nil {
			return err
		}
		_, err = tx.PutOrderLines(ctx, []store.OrderLine{{OrderID: o.ID, LineNo: 1, ItemID: name(25), Quantity: 1, UnitPrice: 26, Amount: 26}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	d := NewDataset()
	var baskets [][]string
	for u := range 200 {
		base := 0
		if u%2 == 1 {
			base = 20
		}
		var basket []string
		for range 8 {
			i := base + int(rng.ExpFloat64()*5)%20
			if rng.IntN(10) == 0 {
				i = rng.IntN(40)
			}
			d.Add(fmt.Sprintf("c%d", u), name(i), 1)
			basket = append(basket, name(i))
		}
		baskets = append(baskets, basket)
	}
	c := DefaultConfig()
	c.ALS.Factors = 8
	m, err := Train(ctx, d, c)
	if err != nil {
		t.Fatal(err)
	}
	cg := Catalogue{Category: map[string]string{}, Price: map[string]float64{}}
	for i := range 40 {
		cg.Category[name(i)], cg.Price[name(i)] = cat(i), float64(1+i)
	}
	m.SetCatalogue(cg)
	b := rules.NewBaskets()
	for _, bs := range baskets {
		b.Add(bs)
	}
	res, err := rules.Mine(ctx, b, rules.Options{MinSupport: rules.Rat{Num: 1, Den: 50}, MinConfidence: rules.Rat{Num: 1, Den: 5}})
	if err != nil {
		t.Fatal(err)
	}
	m.RuleItems, m.Rules = res.Items, res.Rules
	// Odd customers (home buyers) live in the south.
	m.SegmentAttr = "country"
	m.Segment = make([]string, len(m.Users))
	for u, name := range m.Users {
		n, _ := strconv.Atoi(strings.TrimPrefix(name, "c"))
		m.Segment[u] = []string{"north", "south"}[n%2]
	}
	sh.model = m
	return sh
}

func (sh *shop) service() *Service {
	h := StoreHistory{Store: sh.st}
	s := NewService(ServiceOptions{Items: sh.st, History: h, Segment: h})
	s.Swap(sh.model)
	return s
}

func TestTopNFilters(t *testing.T) {
	sh := newShop(t)
	s := sh.service()
	ctx := context.Background()
	m := sh.model
	seen := func(user string) []string {
		hist, _ := m.Seen.Row(m.User(user))
		var out []string
		for _, i := range hist {
			out = append(out, m.Items[i])
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		user  string
		f     Filters
		check func(t *testing.T, recs []Recommendation)
	}{
		{"default excludes seen and inactive", "c0", Filters{}, func(t *testing.T, recs []Recommendation) {
			for _, r := range recs {
				if slices.Contains(seen("c0"), r.Item) || r.Item == sh.inactive {
					t.Errorf("%s recommended: seen or inactive", r.Item)
				}
			}
		}},
		{"include seen", "c0", Filters{IncludeSeen: true, IncludeInactive: true}, func(t *testing.T, recs []Recommendation) {
			n := 0
			for _, r := range recs {
				if slices.Contains(seen("c0"), r.Item) {
					n++
				}
			}
			if n == 0 {
				t.Error("no seen item came back with IncludeSeen")
			}
		}},
		{"repurchase consumables", "c0", Filters{Repurchase: []string{"food/milk"}}, func(t *testing.T, recs []Recommendation) {
			for _, r := range recs {
				if slices.Contains(seen("c0"), r.Item) && !strings.HasPrefix(m.Category[m.Item(r.Item)], "food/milk") {
					t.Errorf("seen %s outside food/milk came back", r.Item)
				}
			}
		}},
		{"exclude category", "c0", Filters{ExcludeCategories: []string{"food"}}, func(t *testing.T, recs []Recommendation) {
			for _, r := range recs {
				if strings.HasPrefix(m.Category[m.Item(r.Item)], "food/") {
					t.Errorf("%s is food", r.Item)
				}
			}
		}},
		{"include category", "c1", Filters{IncludeCategories: []string{"food/bread"}}, func(t *testing.T, recs []Recommendation) {
			for _, r := range recs {
				if m.Category[m.Item(r.Item)] != "food/bread" {
					t.Errorf("%s is not bread", r.Item)
				}
			}
		}},
		{"price range", "c0", Filters{MinPrice: 5, MaxPrice: 12}, func(t *testing.T, recs []Recommendation) {
			for _, r := range recs {
				if p := m.Price[m.Item(r.Item)]; p < 5 || p > 12 {
					t.Errorf("%s costs %g", r.Item, p)
				}
			}
		}},
		{"at most 1 per category", "c0", Filters{MaxPerCategory: 1}, func(t *testing.T, recs []Recommendation) {
			cats := map[string]bool{}
			for _, r := range recs {
				c := m.Category[m.Item(r.Item)]
				if cats[c] {
					t.Errorf("two items of %s", c)
				}
				cats[c] = true
			}
			if len(recs) != 4 {
				t.Errorf("%d items from 4 categories", len(recs))
			}
		}},
		{"boost", "c0", Filters{BoostCategories: map[string]float64{"home/garden": 1000}, IncludeSeen: true}, func(t *testing.T, recs []Recommendation) {
			if m.Category[m.Item(recs[0].Item)] != "home/garden" {
				t.Errorf("boosted category not first: %+v", recs[0])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := s.TopN(ctx, tc.user, 10, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				t.Fatal("no recommendation")
			}
			for k, r := range recs {
				if r.Rank != k+1 {
					t.Fatalf("ranks %+v", recs)
				}
			}
			tc.check(t, recs)
		})
	}
}

func TestColdStart(t *testing.T) {
	sh := newShop(t)
	s := sh.service()
	ctx := context.Background()
	// Never seen, no history: popular items.
	recs, err := s.TopN(ctx, "nobody", 5, Filters{})
	if err != nil || len(recs) != 5 || recs[0].Reason != "popular" {
		t.Fatalf("unknown customer: %+v %v", recs, err)
	}
	// Unknown to the model, but the store has their order of a home/garden item.
	recs, err = s.TopN(ctx, sh.newCust, 5, Filters{})
	if err != nil || len(recs) != 5 {
		t.Fatalf("new customer: %+v %v", recs, err)
	}
	home := 0
	for _, r := range recs {
		if strings.HasPrefix(sh.model.Category[sh.model.Item(r.Item)], "home/") {
			home++
		}
		if r.Item == "sku25" {
			t.Error("the bought item came back")
		}
	}
	if home < 3 {
		t.Errorf("new customer who bought a garden item got %d home items of 5: %+v", home, recs)
	}
	// No history, but the store knows their country: popular in that segment.
	recs, err = s.TopN(ctx, sh.southern, 5, Filters{})
	if err != nil || len(recs) != 5 || recs[0].Reason != "popular_in_segment" {
		t.Fatalf("customer with a segment: %+v %v", recs, err)
	}
	for _, r := range recs {
		if !strings.HasPrefix(sh.model.Category[sh.model.Item(r.Item)], "home/") {
			t.Errorf("southern customer got %s (%s), not a home item", r.Item, sh.model.Category[sh.model.Item(r.Item)])
		}
	}
	// A cart with a new item only the catalogue knows: popular in its category.
	recs, err = s.CartCompletion(ctx, []string{"new-mug"}, 3, Filters{})
	if err != nil || len(recs) != 3 || recs[0].Reason != "popular_in_category" || sh.model.Category[sh.model.Item(recs[0].Item)] != "home/kitchen" {
		t.Fatalf("cart of a new item: %+v %v", recs, err)
	}
	// Unknown everything: still an answer.
	recs, err = s.CartCompletion(ctx, []string{"no-such"}, 3, Filters{})
	if err != nil || len(recs) != 3 {
		t.Fatalf("cart of an unknown item: %+v %v", recs, err)
	}
}

func TestCartCompletion(t *testing.T) {
	sh := newShop(t)
	s := sh.service()
	cart := []string{"sku00", "sku01"}
	recs, err := s.CartCompletion(context.Background(), cart, 5, Filters{})
	if err != nil || len(recs) != 5 {
		t.Fatalf("%+v %v", recs, err)
	}
	if recs[0].Reason != "bought_together" {
		t.Errorf("first suggestion %+v does not come from a rule", recs[0])
	}
	for _, r := range recs {
		if slices.Contains(cart, r.Item) {
			t.Errorf("cart item %s suggested", r.Item)
		}
	}
}

// TestSwap serves requests while the model is swapped: none fails (run
// with -race to check the swap).
func TestSwap(t *testing.T) {
	sh := newShop(t)
	s := NewService(ServiceOptions{})
	if _, err := s.TopN(context.Background(), "c0", 3, Filters{}); err != ErrNoModel {
		t.Fatalf("before a model: %v", err)
	}
	s.Swap(sh.model)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				recs, err := s.TopN(context.Background(), fmt.Sprintf("c%d", (w*7+k)%200), 5, Filters{})
				if err == nil && len(recs) != 5 {
					err = fmt.Errorf("%d recommendations", len(recs))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 50 {
		var buf strings.Builder
		if err := sh.model.Write(&buf); err != nil {
			t.Fatal(err)
		}
		m2, err := Read(strings.NewReader(buf.String()))
		if err != nil {
			t.Fatal(err)
		}
		s.Swap(m2)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSelectBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 500 {
		n := 1 + rng.IntN(300)
		c := make([]candidate, n)
		for k := range c {
			c[k] = candidate{i: int32(k), score: float64(rng.IntN(20))} // many ties
		}
		want := slices.Clone(c)
		slices.SortFunc(want, cmpCand)
		k := rng.IntN(n)
		selectBest(c, k)
		got := slices.Clone(c[:k])
		slices.SortFunc(got, cmpCand)
		if !slices.Equal(got, want[:k]) {
			t.Fatalf("trial %d: n %d k %d: best %v, want %v", trial, n, k, got, want[:k])
		}
	}
}

func TestWeightedInteractions(t *testing.T) {
	d := NewDataset()
	d.Add("u", "b", 1)
	d.AddWeighted("u", "a", 2, 0.5)
	d.AddWeighted("u", "b", 3, 0.25)
	d.Add("v", "a", 4)
	m := buildMatrix(len(d.Users), len(d.Items), d.U, d.I, d.W)
	items, w := m.Row(0)
	// Items are numbered b = 0, a = 1.
	if !slices.Equal(items, []int32{0, 1}) || !slices.Equal(w, []float32{1.25, 0.5}) {
		t.Fatalf("row of u: %v %v", items, w)
	}
	s := LeaveOneOut(d, 1)
	if s.Train.NNZ() != 2 || len(s.Test[0]) != 1 {
		t.Fatalf("leave-one-out of u: %d entries left, test %v", s.Train.NNZ(), s.Test[0])
	}
}
