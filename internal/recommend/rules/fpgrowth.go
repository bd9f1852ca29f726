package rules

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrTooMany is returned when mining would produce more frequent itemsets
// than Options.MaxItemsets.
var ErrTooMany = errors.New("too many frequent itemsets")

// DefaultMaxItemsets bounds the number of frequent itemsets a run may find.
const DefaultMaxItemsets = 2_000_000

// Options are the thresholds of one mining run.
type Options struct {
	MinSupport    Rat // required, in (0, 1]
	MinConfidence Rat // required for rules, in (0, 1]
	MinLift       Rat // zero: no lift threshold
	MaxItemsets   int // 0: DefaultMaxItemsets
	MaxLen        int // longest itemset; 0: no limit
}

// Itemset is a frequent itemset: item ids ascending and its basket count.
type Itemset struct {
	Items []int32
	Count int
}

// Result is what Mine found.
type Result struct {
	N        int      // baskets, empty ones included
	MinCount int      // ⌈MinSupport × N⌉
	Items    []string // item names by id
	Itemsets []Itemset
	Rules    []Rule
	counts   map[string]int
}

// Mine finds the frequent itemsets of b with FP-growth and derives the
// single-consequent rules meeting the confidence (and lift) thresholds.
func Mine(ctx context.Context, b *Baskets, o Options) (*Result, error) {
	if o.MinSupport.IsZero() {
		return nil, errors.New("mine rules: the minimum support is missing")
	}
	if o.MinConfidence.IsZero() {
		return nil, errors.New("mine rules: the minimum confidence is missing")
	}
	res, err := FrequentItemsets(ctx, b, o)
	if err != nil {
		return nil, err
	}
	res.Rules = res.deriveRules(o)
	return res, nil
}

// FrequentItemsets finds the itemsets whose count is at least
// ⌈o.MinSupport × N⌉, by FP-growth.
func FrequentItemsets(ctx context.Context, b *Baskets, o Options) (*Result, error) {
	n := b.Len()
	if n >= maxDen {
		return nil, fmt.Errorf("mine rules: %d baskets is more than the 2^31 supported", n)
	}
	minCount := MinCount(o.MinSupport, n)
	max := o.MaxItemsets
	if max <= 0 {
		max = DefaultMaxItemsets
	}
	res := &Result{N: n, MinCount: minCount, Items: b.Items}

	// Rank the frequent items by descending count (ties by id).
	freq := make([]int, len(b.Items))
	for _, s := range b.Sets {
		for _, it := range s {
			freq[it]++
		}
	}
	var order []int32
	for it, c := range freq {
		if c >= minCount {
			order = append(order, int32(it))
		}
	}
	slices.SortFunc(order, func(x, y int32) int {
		if c := cmp.Compare(freq[y], freq[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	rank := make([]int32, len(b.Items))
	for i := range rank {
		rank[i] = -1
	}
	for r, it := range order {
		rank[it] = int32(r)
	}

	nodes := 0
	for _, s := range b.Sets {
		nodes += len(s)
	}
	t := newTree(len(order), min(nodes, 1<<22))
	path := make([]int32, 0, 64)
	for i, s := range b.Sets {
		if i%(1<<14) == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		path = path[:0]
		for _, it := range s {
			if r := rank[it]; r >= 0 {
				path = append(path, r)
			}
		}
		slices.Sort(path)
		t.insert(path, 1)
	}

	m := &miner{ctx: ctx, minCount: int32(minCount), max: max, maxLen: o.MaxLen, order: order, res: res}
	if err := m.mine(t, len(order), nil); err != nil {
		return nil, err
	}
	res.counts = make(map[string]int, len(res.Itemsets))
	var kb []byte
	for _, s := range res.Itemsets {
		kb = appendKey(kb[:0], s.Items)
		res.counts[string(kb)] = s.Count
	}
	slices.SortFunc(res.Itemsets, func(x, y Itemset) int {
		if c := cmp.Compare(len(x.Items), len(y.Items)); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		return slices.Compare(x.Items, y.Items)
	})
	return res, nil
}

// Count returns the basket count of a frequent itemset (ids in any order).
func (r *Result) Count(items []int32) (int, bool) {
	s := slices.Clone(items)
	slices.Sort(s)
	c, ok := r.counts[key(s)]
	return c, ok
}

// key encodes ascending ids as a map key.
func key(items []int32) string { return string(appendKey(nil, items)) }

func appendKey(b []byte, items []int32) []byte {
	for _, it := range items {
		b = append(b, byte(it>>24), byte(it>>16), byte(it>>8), byte(it))
	}
	return b
}

// fptree is an FP-tree in flat slices; node 0 is the root. Items are ranks
// (0 = most frequent) and go down a path in ascending order. The nodes of
// one item are chained through link, starting at head[item].
type fptree struct {
	item   []int32
	count  []int32
	parent []int32
	child  []int32 // first child, -1 when none
	next   []int32 // next sibling, -1 when none
	link   []int32 // next node of the same item, -1 at the end
	head   []int32 // per item, first node, -1 when none
}

func newTree(nItems, capNodes int) *fptree {
	t := &fptree{
		item: make([]int32, 1, capNodes+1), count: make([]int32, 1, capNodes+1), parent: make([]int32, 1, capNodes+1),
		child: make([]int32, 1, capNodes+1), next: make([]int32, 1, capNodes+1), link: make([]int32, 1, capNodes+1),
		head: make([]int32, nItems),
	}
	t.item[0], t.parent[0], t.child[0], t.next[0], t.link[0] = -1, -1, -1, -1, -1
	for i := range t.head {
		t.head[i] = -1
	}
	return t
}

// reset empties t for reuse with nItems items and room for capNodes nodes.
func (t *fptree) reset(nItems, capNodes int) {
	grow := func(s []int32) []int32 { return slices.Grow(append(s[:0], 0), capNodes) }
	t.item, t.count, t.parent = grow(t.item), grow(t.count), grow(t.parent)
	t.child, t.next, t.link = grow(t.child), grow(t.next), grow(t.link)
	t.item[0], t.count[0], t.parent[0], t.child[0], t.next[0], t.link[0] = -1, 0, -1, -1, -1, -1
	t.head = slices.Grow(t.head[:0], nItems)[:nItems]
	for i := range t.head {
		t.head[i] = -1
	}
}

func (t *fptree) insert(path []int32, c int32) {
	n := int32(0)
	for _, it := range path {
		ch := t.child[n]
		for ch >= 0 && t.item[ch] != it {
			ch = t.next[ch]
		}
		if ch < 0 {
			ch = int32(len(t.item))
			t.item = append(t.item, it)
			t.count = append(t.count, 0)
			t.parent = append(t.parent, n)
			t.child = append(t.child, -1)
			t.next = append(t.next, t.child[n])
			t.link = append(t.link, t.head[it])
			t.child[n] = ch
			t.head[it] = ch
		}
		t.count[ch] += c
		n = ch
	}
}

type miner struct {
	ctx      context.Context
	minCount int32
	max      int
	maxLen   int
	order    []int32 // rank → item id
	res      *Result
	steps    int
	path     []int32
	arena    []int32   // backing of the emitted itemsets
	trees    []*fptree // conditional trees by depth, reused
	cnts     [][]int32 // conditional item counts by depth, reused
}

// scratch returns the reusable tree and counts of a depth.
func (m *miner) scratch(depth, nItems, capNodes int) (*fptree, []int32) {
	for len(m.trees) <= depth {
		m.trees = append(m.trees, &fptree{})
		m.cnts = append(m.cnts, nil)
	}
	t := m.trees[depth]
	t.reset(nItems, capNodes)
	c := slices.Grow(m.cnts[depth][:0], nItems)[:nItems]
	clear(c)
	m.cnts[depth] = c
	return t, c
}

// mine emits every frequent itemset of t extended by prefix (ranks).
func (m *miner) mine(t *fptree, nItems int, prefix []int32) error {
	for it := nItems - 1; it >= 0; it-- {
		first := t.head[it]
		if first < 0 {
			continue
		}
		var sup int32
		for nd := first; nd >= 0; nd = t.link[nd] {
			sup += t.count[nd]
		}
		if sup < m.minCount {
			continue
		}
		set := append(slices.Clip(prefix), int32(it))
		if err := m.emit(set, int(sup)); err != nil {
			return err
		}
		if (m.maxLen > 0 && len(set) >= m.maxLen) || it == 0 {
			continue
		}
		// The conditional pattern base: the paths above it's nodes.
		total := 0
		for nd := first; nd >= 0; nd = t.link[nd] {
			for p := t.parent[nd]; p > 0; p = t.parent[p] {
				total++
			}
		}
		ct, cnt := m.scratch(len(set), it, total)
		for nd := first; nd >= 0; nd = t.link[nd] {
			c := t.count[nd]
			for p := t.parent[nd]; p > 0; p = t.parent[p] {
				cnt[t.item[p]] += c
			}
		}
		frequent := false
		for _, c := range cnt {
			if c >= m.minCount {
				frequent = true
				break
			}
		}
		if !frequent {
			continue
		}
		for nd := first; nd >= 0; nd = t.link[nd] {
			path := m.path[:0]
			for p := t.parent[nd]; p > 0; p = t.parent[p] {
				if cnt[t.item[p]] >= m.minCount {
					path = append(path, t.item[p])
				}
			}
			m.path = path
			if len(path) == 0 {
				continue
			}
			slices.Reverse(path)
			ct.insert(path, t.count[nd])
		}
		if err := m.mine(ct, it, set); err != nil {
			return err
		}
	}
	return nil
}

func (m *miner) emit(ranks []int32, count int) error {
	if len(m.res.Itemsets) >= m.max {
		return fmt.Errorf("mine rules: more than %d frequent itemsets at a minimum count of %d of %d baskets (itemsets of %d items were being found); raise the minimum support or the limit: %w",
			m.max, m.minCount, m.res.N, len(ranks), ErrTooMany)
	}
	m.steps++
	if m.steps%(1<<14) == 0 && m.ctx.Err() != nil {
		return m.ctx.Err()
	}
	if cap(m.arena)-len(m.arena) < len(ranks) {
		m.arena = make([]int32, 0, 1<<16)
	}
	items := m.arena[len(m.arena) : len(m.arena)+len(ranks) : len(m.arena)+len(ranks)]
	m.arena = m.arena[:len(m.arena)+len(ranks)]
	for i, r := range ranks {
		items[i] = m.order[r]
	}
	slices.Sort(items)
	m.res.Itemsets = append(m.res.Itemsets, Itemset{Items: items, Count: count})
	return nil
}
