package churn

import (
	"context"
	"math"
	"slices"
	"sort"
)

// TreeOptions configure the gradient-boosted trees. Zero values take the
// defaults.
type TreeOptions struct {
	MaxTrees       int     // upper bound; the count is chosen on held-out folds; 300
	LearningRate   float64 // shrinkage; 0.05
	MaxLeaves      int     // 15
	MaxDepth       int     // 6
	MinLeaf        int     // rows per leaf; 20
	MinChildWeight float64 // hessian per leaf; 1e-3
	Lambda         float64 // L2 on leaf values; 1
	MaxBins        int     // per numeric feature, ≤ 255; 255
}

func (o TreeOptions) withDefaults() TreeOptions {
	if o.MaxTrees <= 0 {
		o.MaxTrees = 300
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 0.05
	}
	if o.MaxLeaves < 2 {
		o.MaxLeaves = 15
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 6
	}
	if o.MinLeaf <= 0 {
		o.MinLeaf = 20
	}
	if o.MinChildWeight <= 0 {
		o.MinChildWeight = 1e-3
	}
	if o.Lambda < 0 {
		o.Lambda = 0
	} else if o.Lambda == 0 {
		o.Lambda = 1
	}
	if o.MaxBins <= 1 || o.MaxBins > 255 {
		o.MaxBins = 255
	}
	return o
}

// GBDT is a boosted ensemble of binary trees on binned features.
type GBDT struct {
	Base  float64     `json:"base"`  // initial margin (log-odds of the base rate)
	Edges [][]float64 `json:"edges"` // per numeric feature: upper bin edges; nil for text
	Trees []Tree      `json:"trees"`
}

// Tree is stored as parallel node arrays; a node with Feature −1 is a leaf.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Node of a tree. Numbers go left when v ≤ Threshold (unknown: MissLeft);
// categories go left when LeftCats[code] (code 0: unknown or unseen).
type Node struct {
	Feature   int     `json:"f"`
	Threshold float64 `json:"t,omitempty"`
	MissLeft  bool    `json:"m,omitempty"`
	LeftCats  []bool  `json:"c,omitempty"`
	Left      int     `json:"l,omitempty"`
	Right     int     `json:"r,omitempty"`
	Value     float64 `json:"v,omitempty"`
	bin       int     // threshold bin (training only)
}

// binned holds the training data as bins: 0 unknown, 1.. values.
type binned struct {
	bins  [][]uint8 // per feature
	nbins []int     // per feature, bins including 0
	cat   []bool
}

func makeEdges(vals []float64, maxBins int) []float64 {
	v := make([]float64, 0, len(vals))
	for _, x := range vals {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	slices.Sort(v)
	v = slices.Compact(v)
	if len(v) <= 1 {
		return nil
	}
	if len(v) <= maxBins-1 {
		e := make([]float64, len(v)-1)
		for i := range e {
			e[i] = (v[i] + v[i+1]) / 2
		}
		return e
	}
	// quantiles of the distinct values of the full column (with repeats)
	all := make([]float64, 0, len(vals))
	for _, x := range vals {
		if !math.IsNaN(x) {
			all = append(all, x)
		}
	}
	slices.Sort(all)
	var e []float64
	for k := 1; k < maxBins-1; k++ {
		q := all[k*len(all)/(maxBins-1)]
		if len(e) == 0 || q > e[len(e)-1] {
			e = append(e, q)
		}
	}
	if len(e) > 0 && e[len(e)-1] >= all[len(all)-1] {
		e = e[:len(e)-1]
	}
	return e
}

func binOf(edges []float64, v float64) uint8 {
	if math.IsNaN(v) {
		return 0
	}
	return uint8(1 + sort.SearchFloat64s(edges, v))
}

// binAll bins aligned columns with the model's edges and levels.
func (g *GBDT) binAll(fs []Feature, cols []Col, n int) *binned {
	b := &binned{bins: make([][]uint8, len(fs)), nbins: make([]int, len(fs)), cat: make([]bool, len(fs))}
	for j := range fs {
		out := make([]uint8, n)
		if fs[j].Numeric {
			for i, v := range cols[j].Num {
				out[i] = binOf(g.Edges[j], v)
			}
			b.nbins[j] = len(g.Edges[j]) + 2
		} else {
			for i, c := range fs[j].codes(cols[j].Text) {
				out[i] = uint8(c)
			}
			b.nbins[j] = len(fs[j].Levels) + 1
			b.cat[j] = true
		}
		b.bins[j] = out
	}
	return b
}

// split is the best split of a leaf.
type split struct {
	gain     float64
	feature  int
	bin      int    // numeric: bins 1..bin go left
	missLeft bool   // numeric
	leftCats []bool // categorical
	gl, hl   float64
	nl       int
}

type leaf struct {
	rows  []int32
	g, h  float64
	depth int
	node  int
	best  split
	hist  *hists // gradient histograms of the rows; nil once split
}

// trainGBDT boosts up to MaxTrees trees; after each tree it calls
// onTree(k) (k trees so far) so that callers can score held-out rows.
func trainGBDT(ctx context.Context, fs []Feature, cols []Col, n int, y []bool, o TreeOptions, onTree func(g *GBDT, k int)) (*GBDT, error) {
	o = o.withDefaults()
	g := &GBDT{Edges: make([][]float64, len(fs))}
	maxBins := min(o.MaxBins, 255)
	for j := range fs {
		if fs[j].Numeric {
			g.Edges[j] = makeEdges(cols[j].Num, maxBins)
		} else if len(fs[j].Levels) > 254 {
			fs[j].Levels = fs[j].Levels[:254]
		}
	}
	b := g.binAll(fs, cols, n)
	var pos float64
	for _, v := range y {
		if v {
			pos++
		}
	}
	rate := math.Min(math.Max(pos/float64(n), 1e-6), 1-1e-6)
	g.Base = math.Log(rate / (1 - rate))
	f := make([]float64, n)
	for i := range f {
		f[i] = g.Base
	}
	grad, hess := make([]float64, n), make([]float64, n)
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	hs := newHists(b)
	for k := 0; k < o.MaxTrees; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := range n {
			p := sigmoid(f[i])
			if y[i] {
				grad[i] = p - 1
			} else {
				grad[i] = p
			}
			hess[i] = math.Max(p*(1-p), 1e-12)
		}
		t := growTree(b, all, grad, hess, o, hs)
		for _, l := range t.leaves {
			v := t.tree.Nodes[l.node].Value
			for _, r := range l.rows {
				f[r] += v
			}
		}
		for i := range t.tree.Nodes {
			nd := &t.tree.Nodes[i]
			if nd.Feature >= 0 && !b.cat[nd.Feature] {
				nd.Threshold = thresholdOf(g.Edges[nd.Feature], nd.bin)
			}
		}
		g.Trees = append(g.Trees, t.tree)
		if onTree != nil {
			onTree(g, k+1)
		}
	}
	return g, nil
}

// thresholdOf: bins 1..bin hold values ≤ edges[bin−1].
func thresholdOf(edges []float64, bin int) float64 {
	if bin-1 < len(edges) {
		return edges[bin-1]
	}
	return math.Inf(1)
}

type hists struct {
	g, h [][]float64
	c    [][]int
}

// histPool recycles histograms within one training.
type histPool struct {
	nbins []int
	free  []*hists
}

func (p *histPool) get() *hists {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		for j := range h.g {
			clear(h.g[j])
			clear(h.h[j])
			clear(h.c[j])
		}
		return h
	}
	h := &hists{g: make([][]float64, len(p.nbins)), h: make([][]float64, len(p.nbins)), c: make([][]int, len(p.nbins))}
	for j, nb := range p.nbins {
		h.g[j], h.h[j], h.c[j] = make([]float64, nb), make([]float64, nb), make([]int, nb)
	}
	return h
}

func (p *histPool) put(h *hists) {
	if h != nil {
		p.free = append(p.free, h)
	}
}

// build fills h from rows.
func (h *hists) build(b *binned, rows []int32, grad, hess []float64) {
	for j, col := range b.bins {
		hg, hh, hc := h.g[j], h.h[j], h.c[j]
		for _, r := range rows {
			k := col[r]
			hg[k] += grad[r]
			hh[k] += hess[r]
			hc[k]++
		}
	}
}

// subtract turns h (a parent's) into h − o (the other child's).
func (h *hists) subtract(o *hists) {
	for j := range h.g {
		for k := range h.g[j] {
			h.g[j][k] -= o.g[j][k]
			h.h[j][k] -= o.h[j][k]
			h.c[j][k] -= o.c[j][k]
		}
	}
}

func newHists(b *binned) *histPool { return &histPool{nbins: b.nbins} }

type grown struct {
	tree   Tree
	leaves []*leaf
}

func growTree(b *binned, rows []int32, grad, hess []float64, o TreeOptions, hs *histPool) grown {
	var t grown
	root := &leaf{rows: rows, hist: hs.get()}
	for _, r := range rows {
		root.g += grad[r]
		root.h += hess[r]
	}
	root.hist.build(b, rows, grad, hess)
	t.tree.Nodes = append(t.tree.Nodes, Node{Feature: -1})
	root.node = 0
	findSplit(b, root, o)
	open := []*leaf{root}
	var done []*leaf
	nleaves := 1
	for nleaves < o.MaxLeaves && len(open) > 0 {
		bi := 0
		for i, l := range open {
			if l.best.gain > open[bi].best.gain {
				bi = i
			}
		}
		l := open[bi]
		open = slices.Delete(open, bi, bi+1)
		if l.best.gain <= 1e-12 {
			hs.put(l.hist)
			l.hist = nil
			done = append(done, l)
			continue
		}
		s := l.best
		var lr, rr []int32
		col := b.bins[s.feature]
		for _, r := range l.rows {
			if goesLeft(s, b.cat[s.feature], col[r]) {
				lr = append(lr, r)
			} else {
				rr = append(rr, r)
			}
		}
		left := &leaf{rows: lr, g: s.gl, h: s.hl, depth: l.depth + 1, node: len(t.tree.Nodes)}
		right := &leaf{rows: rr, g: l.g - s.gl, h: l.h - s.hl, depth: l.depth + 1, node: len(t.tree.Nodes) + 1}
		t.tree.Nodes = append(t.tree.Nodes, Node{Feature: -1}, Node{Feature: -1})
		nd := &t.tree.Nodes[l.node]
		nd.Feature, nd.bin, nd.MissLeft, nd.LeftCats, nd.Left, nd.Right = s.feature, s.bin, s.missLeft, s.leftCats, left.node, right.node
		nleaves++
		// The smaller child's histograms from its rows, the larger's by
		// subtraction from the parent's.
		small, large := left, right
		if len(rr) < len(lr) {
			small, large = right, left
		}
		small.hist = hs.get()
		small.hist.build(b, small.rows, grad, hess)
		large.hist, l.hist = l.hist, nil
		large.hist.subtract(small.hist)
		for _, c := range []*leaf{left, right} {
			if c.depth < o.MaxDepth {
				findSplit(b, c, o)
			}
			open = append(open, c)
		}
	}
	t.leaves = append(done, open...)
	for _, l := range t.leaves {
		hs.put(l.hist)
		l.hist = nil
	}
	for _, l := range t.leaves {
		t.tree.Nodes[l.node].Value = -o.LearningRate * l.g / (l.h + o.Lambda)
	}
	return t
}

func goesLeft(s split, cat bool, bin uint8) bool {
	if cat {
		return s.leftCats[bin]
	}
	if bin == 0 {
		return s.missLeft
	}
	return int(bin) <= s.bin
}

func findSplit(b *binned, l *leaf, o TreeOptions) {
	l.best = split{}
	if len(l.rows) < 2*o.MinLeaf {
		return
	}
	lam := o.Lambda
	parent := l.g * l.g / (l.h + lam)
	n := len(l.rows)
	ok := func(gl, hl float64, nl int) bool {
		return nl >= o.MinLeaf && n-nl >= o.MinLeaf && hl >= o.MinChildWeight && l.h-hl >= o.MinChildWeight
	}
	gainOf := func(gl, hl float64) float64 {
		gr, hr := l.g-gl, l.h-hl
		return 0.5 * (gl*gl/(hl+lam) + gr*gr/(hr+lam) - parent)
	}
	for j := range b.bins {
		hg, hh, hc := l.hist.g[j], l.hist.h[j], l.hist.c[j]
		if b.cat[j] {
			// categories ordered by gradient ratio, then a scan (the missing bin is a category)
			var order []int
			for k := range hg {
				if hc[k] > 0 {
					order = append(order, k)
				}
			}
			if len(order) < 2 {
				continue
			}
			sort.Slice(order, func(a, c int) bool {
				return hg[order[a]]/(hh[order[a]]+lam) < hg[order[c]]/(hh[order[c]]+lam)
			})
			var gl, hl float64
			var nl int
			for i := 0; i < len(order)-1; i++ {
				k := order[i]
				gl, hl, nl = gl+hg[k], hl+hh[k], nl+hc[k]
				if !ok(gl, hl, nl) {
					continue
				}
				if gn := gainOf(gl, hl); gn > l.best.gain {
					left := make([]bool, len(hg))
					for _, kk := range order[:i+1] {
						left[kk] = true
					}
					// an empty bin (e.g. unknown, unseen) goes with the heavier side
					if hc[0] == 0 {
						left[0] = hl >= l.h-hl
					}
					l.best = split{gain: gn, feature: j, leftCats: left, gl: gl, hl: hl, nl: nl}
				}
			}
			continue
		}
		for _, missLeft := range []bool{false, true} {
			if missLeft && hc[0] == 0 {
				break
			}
			var gl, hl float64
			var nl int
			if missLeft {
				gl, hl, nl = hg[0], hh[0], hc[0]
			}
			for k := 1; k < len(hg)-1; k++ {
				gl, hl, nl = gl+hg[k], hl+hh[k], nl+hc[k]
				if !ok(gl, hl, nl) {
					continue
				}
				if gn := gainOf(gl, hl); gn > l.best.gain {
					ml := missLeft
					if hc[0] == 0 { // no unknowns here: send them with the heavier side
						ml = hl >= l.h-hl
					}
					l.best = split{gain: gn, feature: j, bin: k, missLeft: ml, gl: gl, hl: hl, nl: nl}
				}
			}
		}
	}
}

// margins scores aligned columns.
func (g *GBDT) margins(fs []Feature, cols []Col, n int) []float64 {
	codes := make([][]int32, len(fs))
	for j := range fs {
		if !fs[j].Numeric {
			codes[j] = fs[j].codes(cols[j].Text)
		}
	}
	out := make([]float64, n)
	for i := range n {
		s := g.Base
		for t := range g.Trees {
			s += g.Trees[t].value(cols, codes, i)
		}
		out[i] = s
	}
	return out
}

func (t *Tree) value(cols []Col, codes [][]int32, i int) float64 {
	k := 0
	for {
		nd := &t.Nodes[k]
		if nd.Feature < 0 {
			return nd.Value
		}
		var left bool
		if codes[nd.Feature] != nil {
			c := codes[nd.Feature][i]
			left = int(c) < len(nd.LeftCats) && nd.LeftCats[c]
		} else if v := cols[nd.Feature].Num[i]; math.IsNaN(v) {
			left = nd.MissLeft
		} else {
			left = v <= nd.Threshold
		}
		if left {
			k = nd.Left
		} else {
			k = nd.Right
		}
	}
}
