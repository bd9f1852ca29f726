package recommend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// ErrNoModel is returned before any model was loaded.
var ErrNoModel = errors.New("no recommendation model loaded: run 'sagitta recommend train --from-store'")

// ItemLookup finds an item's catalogue record; store.Store implements it.
// It returns an error wrapping store.ErrNotFound for an unknown item.
type ItemLookup interface {
	Item(ctx context.Context, id string) (store.Item, error)
}

// HistoryLookup lists the items a customer interacted with, newest first,
// for customers the model has not seen (or activity since training).
type HistoryLookup interface {
	CustomerItems(ctx context.Context, customer string, limit int) ([]string, error)
}

// SegmentLookup finds a customer's value of a segment attribute (e.g.
// country), for the cold start of customers the model has not seen.
type SegmentLookup interface {
	CustomerSegment(ctx context.Context, customer, attr string) (string, error)
}

// Filters are the business rules applied to every answer. The zero value
// excludes already-bought items and nothing else.
type Filters struct {
	// IncludeSeen lets items the customer already bought come back.
	IncludeSeen bool
	// Repurchase lists category prefixes of consumables whose bought items
	// may be recommended again.
	Repurchase []string
	// IncludeCategories keeps only items under these category prefixes;
	// ExcludeCategories drops items under these.
	IncludeCategories []string
	ExcludeCategories []string
	// MinPrice and MaxPrice bound the item's price (0: no bound).
	MinPrice, MaxPrice float64
	// MaxPerCategory bounds the items of one category (0: no bound).
	MaxPerCategory int
	// ExcludeItems are never recommended.
	ExcludeItems []string
	// Boost multiplies the score of items (e.g. a campaign's); BoostCategories
	// those under a category prefix; BoostMargin multiplies by
	// 1 + BoostMargin × margin when the lookup knows margins (not yet).
	Boost           map[string]float64
	BoostCategories map[string]float64
	// IncludeInactive keeps items the catalogue marks inactive (out of stock).
	IncludeInactive bool
}

// Recommendation is one recommended item.
type Recommendation struct {
	Item   string  `json:"item"`
	Rank   int     `json:"rank"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"` // personal, popular, popular_in_category, popular_in_segment, bought_together, similar_items
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Items   ItemLookup    // optional: active flags, categories and prices of items
	History HistoryLookup // optional: histories of customers unknown to the model
	Segment SegmentLookup // optional: segments of customers unknown to the model
	// ItemTTL is how long an item record is cached (default 1 minute).
	ItemTTL time.Duration
	Now     func() time.Time
}

// Service answers recommendations from the current model. Swap replaces
// the model atomically: requests in flight finish on the old one.
type Service struct {
	cur   atomic.Pointer[served]
	opts  ServiceOptions
	mu    sync.RWMutex
	cache map[string]cachedItem
}

type cachedItem struct {
	it    store.Item
	known bool
	until time.Time
}

// served is a model with the indices serving needs.
type served struct {
	m       *Model
	popular []int32            // items by popularity, most popular first
	byCat   map[string][]int32 // category → its items by popularity (top 200)
	bySeg   map[string][]int32 // segment → the items most popular with its users (top 200)
	rules   *rules.Index
}

// NewService returns a service without a model; Swap loads one.
func NewService(opts ServiceOptions) *Service {
	if opts.ItemTTL <= 0 {
		opts.ItemTTL = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{opts: opts, cache: map[string]cachedItem{}}
}

// Swap makes m the model of every later request.
func (s *Service) Swap(m *Model) {
	sv := &served{m: m, byCat: map[string][]int32{}}
	pop := m.Fit.Pop.Count
	sv.popular = make([]int32, len(pop))
	for i := range sv.popular {
		sv.popular[i] = int32(i)
	}
	slices.SortStableFunc(sv.popular, func(a, b int32) int { return cmp.Compare(pop[b], pop[a]) })
	if m.Category != nil {
		for _, i := range sv.popular {
			c := m.Category[i]
			if c != "" && len(sv.byCat[c]) < 200 {
				sv.byCat[c] = append(sv.byCat[c], i)
			}
		}
	}
	if len(m.Rules) > 0 {
		sv.rules = rules.NewIndex(m.RuleItems, m.Rules)
	}
	sv.bySeg = segmentPopular(m)
	s.cur.Store(sv)
}

// segmentPopular ranks, per segment, the items by how many of the
// segment's users interacted with them.
func segmentPopular(m *Model) map[string][]int32 {
	if m.Segment == nil {
		return nil
	}
	counts := map[string]map[int32]int{}
	for u, seg := range m.Segment {
		if seg == "" {
			continue
		}
		c := counts[seg]
		if c == nil {
			c = map[int32]int{}
			counts[seg] = c
		}
		items, _ := m.Seen.Row(int32(u))
		for _, i := range items {
			c[i]++
		}
	}
	out := make(map[string][]int32, len(counts))
	for seg, c := range counts {
		items := make([]int32, 0, len(c))
		for i := range c {
			items = append(items, i)
		}
		slices.SortFunc(items, func(a, b int32) int {
			if d := cmp.Compare(c[b], c[a]); d != 0 {
				return d
			}
			return cmp.Compare(a, b)
		})
		out[seg] = items[:min(200, len(items))]
	}
	return out
}

// Model returns the current model, nil before the first Swap.
func (s *Service) Model() *Model {
	if sv := s.cur.Load(); sv != nil {
		return sv.m
	}
	return nil
}

// item returns the catalogue record of an item, cached.
func (s *Service) item(ctx context.Context, id string) (store.Item, bool) {
	if s.opts.Items == nil {
		return store.Item{}, false
	}
	now := s.opts.Now()
	s.mu.RLock()
	c, ok := s.cache[id]
	s.mu.RUnlock()
	if ok && now.Before(c.until) {
		return c.it, c.known
	}
	it, err := s.opts.Items.Item(ctx, id)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Item{}, false // a failing lookup filters nothing
	}
	s.mu.Lock()
	if len(s.cache) > 1<<20 {
		clear(s.cache)
	}
	s.cache[id] = cachedItem{it: it, known: known, until: now.Add(s.opts.ItemTTL)}
	s.mu.Unlock()
	return it, known
}

// candidate is an item with a score and why.
type candidate struct {
	i      int32
	score  float64
	reason string
}

// current is the served model, for a request of n items.
func (s *Service) current(n int) (*served, error) {
	sv := s.cur.Load()
	if sv == nil {
		return nil, ErrNoModel
	}
	if n <= 0 {
		return nil, fmt.Errorf("n = %d must be positive", n)
	}
	return sv, nil
}

// TopN returns up to n items for a customer (the model's user name: the
// customer id in decimal for models trained from the store). An unknown
// customer gets items similar to what the history lookup knows of them,
// then the popular items of their first-touched category, then those
// popular in their segment (SegmentLookup), then popular items: never an
// error.
func (s *Service) TopN(ctx context.Context, customer string, n int, f Filters) ([]Recommendation, error) {
	sv, err := s.current(n)
	if err != nil {
		return nil, err
	}
	m := sv.m
	u := m.User(customer)
	var hist []int32
	var firstCat string
	if u >= 0 {
		hist, _ = m.Seen.Row(u)
	} else if s.opts.History != nil {
		names, err := s.opts.History.CustomerItems(ctx, customer, 50)
		if err != nil {
			return nil, fmt.Errorf("read the history of %q: %w", customer, err)
		}
		for k := len(names) - 1; k >= 0; k-- { // oldest first
			if i := m.Item(names[k]); i >= 0 {
				hist = append(hist, i)
			}
			if firstCat == "" {
				firstCat = s.category(ctx, sv, names[k], -1)
			}
		}
		slices.Sort(hist)
		hist = slices.Compact(hist)
	}
	var cands []candidate
	if len(hist) > 0 {
		sc := getScratch(len(m.Items))
		defer scratchPool.Put(sc)
		cands = sv.personal(u, hist, sc)
	}
	// Fallbacks, in this order, after the scored candidates.
	var then []candidate
	if firstCat != "" {
		for r, i := range sv.byCat[firstCat] {
			then = append(then, candidate{i: i, score: 1 / float64(r+1), reason: "popular_in_category"})
		}
	}
	if u < 0 && s.opts.Segment != nil && sv.bySeg != nil {
		seg, err := s.opts.Segment.CustomerSegment(ctx, customer, m.SegmentAttr)
		if err != nil {
			return nil, fmt.Errorf("read the segment of %q: %w", customer, err)
		}
		for r, i := range sv.bySeg[seg] {
			then = append(then, candidate{i: i, score: 1 / float64(r+1), reason: "popular_in_segment"})
		}
	}
	exclude := map[int32]bool{}
	if !f.IncludeSeen {
		for _, i := range hist {
			if f.Repurchase == nil || !hasPrefix(s.category(ctx, sv, m.Items[i], i), f.Repurchase) {
				exclude[i] = true
			}
		}
	}
	return s.finish(ctx, sv, cands, then, exclude, n, f), nil
}

// Candidate generation bounds: neighbours taken per history item, history
// items used, popular items always considered.
const (
	candNeighbors = 50
	candHistory   = 100
	candPopular   = 200
)

// scratch is per-request working memory, pooled.
type scratch struct {
	acc     []float32
	mark    []uint32
	epoch   uint32
	touched []int32
	cands   []candidate
	als     []float64
}

var scratchPool sync.Pool

func getScratch(n int) *scratch {
	sc, _ := scratchPool.Get().(*scratch)
	if sc == nil || len(sc.acc) != n {
		sc = &scratch{acc: make([]float32, n), mark: make([]uint32, n)}
	}
	sc.epoch++
	if sc.epoch == 0 { // wrapped: reset the marks
		clear(sc.mark)
		sc.epoch = 1
	}
	sc.touched = sc.touched[:0]
	return sc
}

func (sc *scratch) add(i int32, v float32) {
	if sc.mark[i] != sc.epoch {
		sc.mark[i] = sc.epoch
		sc.acc[i] = 0
		sc.touched = append(sc.touched, i)
	}
	sc.acc[i] += v
}

// personal scores the candidates of a user with history: the item-kNN
// neighbours of the history and the most popular items, by the model.
// The candidates live in sc until it goes back to the pool.
func (sv *served) personal(u int32, hist []int32, sc *scratch) []candidate {
	m := sv.m
	fit := m.Fit
	if fit.KNN != nil {
		h := hist
		if len(h) > candHistory {
			h = h[len(h)-candHistory:]
		}
		for _, i := range h {
			nb, sim := fit.KNN.Neighbors(i)
			nb = nb[:min(len(nb), candNeighbors)]
			for k, j := range nb {
				sc.add(j, sim[k])
			}
		}
	}
	for _, i := range sv.popular[:min(candPopular, len(sv.popular))] {
		sc.add(i, 0)
	}
	cands := slices.Grow(sc.cands[:0], len(sc.touched))[:len(sc.touched)]
	for k, i := range sc.touched {
		cands[k] = candidate{i: i, score: float64(sc.acc[i])}
	}
	sc.cands = cands
	var xu []float32
	if fit.ALS != nil && (fit.Kind == ModelALS || fit.Kind == ModelBlend) {
		f := fit.ALS.F
		if u >= 0 {
			xu = fit.ALS.X[int(u)*f : int(u+1)*f]
		} else {
			xu = fit.ALS.FoldIn(hist)
		}
	}
	var maxK, maxA, maxP float64
	als := slices.Grow(sc.als[:0], len(cands))[:len(cands)]
	clear(als)
	sc.als = als
	for k, c := range cands {
		maxK = max(maxK, c.score)
		if xu != nil {
			f := fit.ALS.F
			als[k] = float64(dot32(xu, fit.ALS.Y[int(c.i)*f:int(c.i+1)*f]))
			maxA = max(maxA, als[k])
		}
		maxP = max(maxP, float64(fit.Pop.Count[c.i]))
	}
	for k := range cands {
		c := &cands[k]
		c.reason = "personal"
		switch {
		case fit.Kind == ModelPopularity:
			c.score, c.reason = float64(fit.Pop.Count[c.i]), "popular"
		case fit.Kind == ModelItemKNN || xu == nil:
			// c.score is the kNN score
		case fit.Kind == ModelALS:
			c.score = als[k]
		default:
			var s float64
			if maxA > 0 {
				s += fit.W[0] * als[k] / maxA
			}
			if maxK > 0 {
				s += fit.W[1] * c.score / maxK
			}
			if maxP > 0 {
				s += fit.W[2] * float64(fit.Pop.Count[c.i]) / maxP
			}
			c.score = s
		}
	}
	return cands
}

func cmpCand(a, b candidate) int {
	if c := cmp.Compare(b.score, a.score); c != 0 {
		return c
	}
	return cmp.Compare(a.i, b.i)
}

// selectBest moves the t best candidates to the front of c, unordered
// (quickselect).
func selectBest(c []candidate, t int) {
	lo, hi := 0, len(c)-1
	for lo < hi {
		p := c[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for cmpCand(c[i], p) < 0 {
				i++
			}
			for cmpCand(c[j], p) > 0 {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		switch {
		case t <= j:
			hi = j
		case t >= i:
			lo = i
		default:
			return
		}
	}
}

// finish boosts, sorts and filters the candidates, then takes the
// fallbacks in their order, then fills up with popular items.
func (s *Service) finish(ctx context.Context, sv *served, cands, then []candidate, exclude map[int32]bool, n int, f Filters) []Recommendation {
	m := sv.m
	for _, name := range f.ExcludeItems {
		if i := m.Item(name); i >= 0 {
			exclude[i] = true
		}
	}
	for k := range cands {
		c := &cands[k]
		if b, ok := f.Boost[m.Items[c.i]]; ok {
			c.score *= b
		}
		if len(f.BoostCategories) > 0 {
			cat := s.category(ctx, sv, m.Items[c.i], c.i)
			for p, b := range f.BoostCategories {
				if strings.HasPrefix(cat, p) {
					c.score *= b
				}
			}
		}
	}
	// Sort only the best few unless the filters throw most of them away.
	head, tail := cands, []candidate(nil)
	if t := max(64, 8*n); len(cands) > 2*t {
		selectBest(cands, t)
		head, tail = cands[:t], cands[t:]
	}
	slices.SortFunc(head, cmpCand)
	out := make([]Recommendation, 0, n)
	perCat := map[string]int{}
	taken := map[int32]bool{}
	take := func(c candidate) bool {
		if exclude[c.i] || taken[c.i] {
			return false
		}
		name := m.Items[c.i]
		if !s.admit(ctx, sv, name, c.i, f, perCat) {
			return false
		}
		taken[c.i] = true
		out = append(out, Recommendation{Item: name, Rank: len(out) + 1, Score: c.score, Reason: c.reason})
		return len(out) == n
	}
	for _, c := range head {
		if take(c) {
			return out
		}
	}
	slices.SortFunc(tail, cmpCand)
	for _, c := range tail {
		if take(c) {
			return out
		}
	}
	for _, c := range then {
		if take(c) {
			return out
		}
	}
	pop := m.Fit.Pop.Count
	for _, i := range sv.popular {
		if ctx.Err() != nil {
			break
		}
		if take(candidate{i: i, score: float64(pop[i]), reason: "popular"}) {
			break
		}
	}
	return out
}

// admit applies the item filters and counts the item's category.
func (s *Service) admit(ctx context.Context, sv *served, name string, i int32, f Filters, perCat map[string]int) bool {
	needItem := !f.IncludeInactive || f.MinPrice > 0 || f.MaxPrice > 0
	var it store.Item
	known := false
	if needItem {
		it, known = s.item(ctx, name)
		if known && !it.Active && !f.IncludeInactive {
			return false
		}
	}
	if f.MinPrice > 0 || f.MaxPrice > 0 {
		price := it.Price
		if !known && sv.m.Price != nil && i >= 0 {
			price = sv.m.Price[i]
		}
		if price <= 0 || (f.MinPrice > 0 && price < f.MinPrice) || (f.MaxPrice > 0 && price > f.MaxPrice) {
			return false
		}
	}
	if len(f.IncludeCategories) > 0 || len(f.ExcludeCategories) > 0 || f.MaxPerCategory > 0 {
		cat := s.category(ctx, sv, name, i)
		if len(f.IncludeCategories) > 0 && !hasPrefix(cat, f.IncludeCategories) {
			return false
		}
		if hasPrefix(cat, f.ExcludeCategories) {
			return false
		}
		if f.MaxPerCategory > 0 {
			if perCat[cat] >= f.MaxPerCategory {
				return false
			}
			perCat[cat]++
		}
	}
	return true
}

// category is an item's category: from the model, else the catalogue.
func (s *Service) category(ctx context.Context, sv *served, name string, i int32) string {
	if i < 0 {
		i = sv.m.Item(name)
	}
	if i >= 0 && sv.m.Category != nil && sv.m.Category[i] != "" {
		return sv.m.Category[i]
	}
	if it, ok := s.item(ctx, name); ok {
		return it.Category
	}
	return ""
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if s == p || strings.HasPrefix(s, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
}

// CartCompletion returns up to n items to add to a cart: first those the
// association rules point to ("bought together"), then item-kNN neighbours
// of the cart's items, then popular items of the categories of cart items
// the model does not know (new items), then popular items. Items in the
// cart are never returned; unknown items are never an error.
func (s *Service) CartCompletion(ctx context.Context, cart []string, n int, f Filters) ([]Recommendation, error) {
	sv, err := s.current(n)
	if err != nil {
		return nil, err
	}
	m := sv.m
	exclude := map[int32]bool{}
	var known []int32
	var cands []candidate
	for _, name := range cart {
		if i := m.Item(name); i >= 0 {
			exclude[i] = true
			known = append(known, i)
		}
	}
	if sv.rules != nil {
		for _, sg := range sv.rules.Complete(cart, 3*n) {
			if i := m.Item(sg.Item); i >= 0 {
				cands = append(cands, candidate{i: i, score: 2 + sg.Confidence, reason: "bought_together"})
			}
		}
	}
	if m.Fit.KNN != nil && len(known) > 0 {
		acc := map[int32]float64{}
		for _, i := range known {
			nb, sim := m.Fit.KNN.Neighbors(i)
			for k, j := range nb {
				acc[j] += float64(sim[k])
			}
		}
		var mx float64
		for _, v := range acc {
			mx = max(mx, v)
		}
		for j, v := range acc {
			cands = append(cands, candidate{i: j, score: 1 + v/mx/2, reason: "similar_items"})
		}
	}
	for _, name := range cart {
		if m.Item(name) >= 0 {
			continue
		}
		if cat := s.category(ctx, sv, name, -1); cat != "" {
			for r, i := range sv.byCat[cat] {
				cands = append(cands, candidate{i: i, score: 0.5 / float64(r+1), reason: "popular_in_category"})
			}
		}
	}
	// Keep each item's best candidate.
	best := map[int32]int{}
	uniq := cands[:0:0]
	for _, c := range cands {
		if k, ok := best[c.i]; ok {
			if c.score > uniq[k].score {
				uniq[k] = c
			}
			continue
		}
		best[c.i] = len(uniq)
		uniq = append(uniq, c)
	}
	return s.finish(ctx, sv, uniq, nil, exclude, n, f), nil
}

// Recommender is what campaign templates and next-best-offer logic call;
// *Service implements it.
type Recommender interface {
	TopN(ctx context.Context, customer string, n int, f Filters) ([]Recommendation, error)
	CartCompletion(ctx context.Context, cart []string, n int, f Filters) ([]Recommendation, error)
}

var _ Recommender = (*Service)(nil)

// CustomerName is the model's name of a store customer: its id in decimal.
func CustomerName(id int64) string { return strconv.FormatInt(id, 10) }
