package uplift

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Criterion is the split criterion of an uplift tree.
type Criterion string

const (
	// Euclidean: the gain in squared Euclidean distance between the treated
	// and control outcome distributions, Σ_child (n_child/n)·D(child) −
	// D(parent), D = 2(p_T − p_C)² (Rzepakowski & Jaroszewicz 2012, without
	// their normalization factor).
	Euclidean Criterion = "euclidean"
	// DeltaDeltaP: |uplift(left) − uplift(right)| (Hansotia & Rukstales 2002).
	DeltaDeltaP Criterion = "ddp"
)

// ForestOptions configure an uplift random forest; zero values take the
// defaults given.
type ForestOptions struct {
	Trees     int       // 100
	MaxDepth  int       // 8
	MinLeaf   int       // treated and control rows each per leaf: max(10, min(100, n/200))
	Sample    float64   // share of rows drawn without replacement per tree: 0.5
	MaxSample int       // most rows per tree: 150,000 (bounds the cost on big data)
	Features  int       // features tried per split: ⌈d/3⌉
	Bins      int       // quantile bins per feature: 32 (≤ 255)
	Criterion Criterion // Euclidean
	Shrink    float64   // pseudo-rows pulling a node's rates toward its parent's: 10
	Seed      uint64
}

func (o ForestOptions) withDefaults(n, d int) ForestOptions {
	if o.Trees <= 0 {
		o.Trees = 100
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 8
	}
	if o.MinLeaf <= 0 {
		o.MinLeaf = max(10, min(100, n/200))
	}
	if o.Sample <= 0 || o.Sample > 1 {
		o.Sample = 0.5
	}
	if o.MaxSample <= 0 {
		o.MaxSample = 150_000
	}
	if o.Features <= 0 {
		o.Features = max(1, (d+2)/3)
	}
	o.Features = min(o.Features, d)
	if o.Bins <= 1 || o.Bins > 255 {
		o.Bins = 32
	}
	if o.Criterion == "" {
		o.Criterion = Euclidean
	}
	if o.Shrink <= 0 {
		o.Shrink = 10
	}
	return o
}

// Forest is an uplift random forest: the average of its trees' leaf
// estimates.
type Forest struct {
	Trees []Tree `json:"trees"`
}

// Tree is one uplift tree, nodes in an array; node 0 is the root.
type Tree struct {
	Nodes []Node `json:"nodes"`
}

// Node is a split (Feature ≥ 0: go Left when x[Feature] ≤ Threshold) or a
// leaf (Feature < 0) with the estimated response rates of the two arms.
type Node struct {
	Feature   int     `json:"f"`
	Threshold float64 `json:"t,omitempty"`
	Left      int     `json:"l,omitempty"`
	Right     int     `json:"r,omitempty"`
	PT        float64 `json:"pt,omitempty"`
	PC        float64 `json:"pc,omitempty"`
}

func (t *Tree) leaf(x []float64) *Node {
	n := &t.Nodes[0]
	for n.Feature >= 0 {
		if x[n.Feature] <= n.Threshold {
			n = &t.Nodes[n.Left]
		} else {
			n = &t.Nodes[n.Right]
		}
	}
	return n
}

// Predict returns the forest's uplift and treated response rate for one
// encoded row.
func (f *Forest) Predict(x []float64) (uplift, pt float64) {
	for i := range f.Trees {
		l := f.Trees[i].leaf(x)
		uplift += l.PT - l.PC
		pt += l.PT
	}
	k := float64(len(f.Trees))
	return uplift / k, pt / k
}

// predictBlock writes the forest's uplift of every row of the block x
// (rows of d features) into up.
func (f *Forest) predictBlock(x []float64, d int, up []float64) {
	clear(up)
	for t := range f.Trees {
		nodes := f.Trees[t].Nodes
		for i := range up {
			row := x[i*d : (i+1)*d]
			n := &nodes[0]
			for n.Feature >= 0 {
				if row[n.Feature] <= n.Threshold {
					n = &nodes[n.Left]
				} else {
					n = &nodes[n.Right]
				}
			}
			up[i] += n.PT - n.PC
		}
	}
	k := float64(len(f.Trees))
	for i := range up {
		up[i] /= k
	}
}

// binned is the training matrix cut into quantile bins.
type binned struct {
	n, d int
	bins []uint8     // n×d
	cuts [][]float64 // per feature: bin b holds values ≤ cuts[b] (and > cuts[b-1])
}

func binMatrix(x []float64, n, d, nb int, rows []int, seed uint64) *binned {
	b := &binned{n: n, d: d, bins: make([]uint8, n*d), cuts: make([][]float64, d)}
	r := rand.New(rand.NewPCG(seed, 7))
	sample := rows
	if len(rows) > 20000 {
		sample = make([]int, 20000)
		for i := range sample {
			sample[i] = rows[r.IntN(len(rows))]
		}
	}
	vals := make([]float64, len(sample))
	for f := 0; f < d; f++ {
		for i, row := range sample {
			vals[i] = x[row*d+f]
		}
		slices.Sort(vals)
		var cuts []float64
		for q := 1; q < nb; q++ {
			v := vals[(len(vals)-1)*q/nb]
			if len(cuts) == 0 || v > cuts[len(cuts)-1] {
				cuts = append(cuts, v)
			}
		}
		// The last value is never a cut: nothing would go right of it.
		if len(cuts) > 0 && cuts[len(cuts)-1] >= vals[len(vals)-1] {
			cuts = cuts[:len(cuts)-1]
		}
		b.cuts[f] = cuts
		for _, row := range rows {
			v := x[row*d+f]
			k, _ := slices.BinarySearch(cuts, v) // first cut ≥ v
			b.bins[row*d+f] = uint8(k)
		}
	}
	return b
}

type armCounts struct{ nt, yt, nc, yc float64 }

func (a *armCounts) add(t, y bool) {
	if t {
		a.nt++
		if y {
			a.yt++
		}
	} else {
		a.nc++
		if y {
			a.yc++
		}
	}
}

func (a armCounts) rates(pt0, pc0, k float64) (float64, float64) {
	return (a.yt + k*pt0) / (a.nt + k), (a.yc + k*pc0) / (a.nc + k)
}

// fitForest grows the forest on the given training rows.
func fitForest(ctx context.Context, x []float64, d int, rows []int, treated, y []bool, o ForestOptions) (*Forest, error) {
	n := len(x) / max(d, 1)
	o = o.withDefaults(len(rows), d)
	b := binMatrix(x, n, d, o.Bins, rows, o.Seed)
	f := &Forest{Trees: make([]Tree, o.Trees)}
	var root armCounts
	for _, i := range rows {
		root.add(treated[i], y[i])
	}
	cell := make([]uint8, len(treated))
	for _, i := range rows {
		if treated[i] {
			cell[i] |= 1
		}
		if y[i] {
			cell[i] |= 2
		}
	}
	workers := min(runtime.GOMAXPROCS(0), o.Trees)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			g := grower{b: b, treated: treated, y: y, cell: cell, o: o}
			for t := range next {
				r := rand.New(rand.NewPCG(o.Seed, uint64(t)+1))
				m := min(int(math.Round(o.Sample*float64(len(rows)))), o.MaxSample)
				sub := make([]int, len(rows))
				copy(sub, rows)
				for i := 0; i < m; i++ { // partial Fisher–Yates
					j := i + r.IntN(len(sub)-i)
					sub[i], sub[j] = sub[j], sub[i]
				}
				g.r = r
				g.nodes = nil
				g.feats = nil // the feature permutation must not carry over between trees
				var c armCounts
				for _, i := range sub[:m] {
					c.add(treated[i], y[i])
				}
				pt, pc := c.rates(0, 0, 0)
				if c.nt == 0 || c.nc == 0 {
					pt, pc = root.rates(0, 0, 0)
				}
				g.grow(sub[:m], c, pt, pc, 0)
				f.Trees[t] = Tree{Nodes: g.nodes}
			}
		})
	}
	var err error
	for t := 0; t < o.Trees; t++ {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- t
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return f, nil
}

type grower struct {
	b       *binned
	treated []bool
	y       []bool
	cell    []uint8 // per row: 1 if treated + 2 if converted
	o       ForestOptions
	r       *rand.Rand
	nodes   []Node
	hist    []armCounts
	counts  []int32 // per bin and cell
	feats   []int
}

// grow adds the subtree of rows and returns its node index. pt0, pc0 are
// the parent's (smoothed) rates.
func (g *grower) grow(rows []int, c armCounts, pt0, pc0 float64, depth int) int {
	id := len(g.nodes)
	pt, pc := c.rates(pt0, pc0, g.o.Shrink)
	g.nodes = append(g.nodes, Node{Feature: -1, PT: pt, PC: pc})
	minLeaf := float64(g.o.MinLeaf)
	if depth >= g.o.MaxDepth || c.nt < 2*minLeaf || c.nc < 2*minLeaf {
		return id
	}
	d := g.b.d
	if g.feats == nil {
		g.feats = make([]int, d)
		for i := range g.feats {
			g.feats[i] = i
		}
	}
	bestGain, bestF, bestBin := 1e-12, -1, 0
	var bestL armCounts
	parentD := divergence(pt, pc)
	nb := g.o.Bins
	if len(g.hist) < nb {
		g.hist = make([]armCounts, nb)
		g.counts = make([]int32, 4*nb)
	}
	for k := 0; k < g.o.Features; k++ { // random features without replacement
		j := k + g.r.IntN(d-k)
		g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		f := g.feats[k]
		ncuts := len(g.b.cuts[f])
		if ncuts == 0 {
			continue
		}
		h := g.hist[:ncuts+1]
		cnt := g.counts[:4*(ncuts+1)]
		clear(cnt)
		bins := g.b.bins[f:]
		for _, i := range rows {
			cnt[int(bins[i*d])<<2|int(g.cell[i])]++
		}
		for k := range h {
			c := cnt[4*k : 4*k+4]
			// cells: 0 control no, 1 treated no, 2 control yes, 3 treated yes
			h[k] = armCounts{nt: float64(c[1] + c[3]), yt: float64(c[3]), nc: float64(c[0] + c[2]), yc: float64(c[2])}
		}
		var l armCounts
		for s := 0; s < ncuts; s++ {
			l.nt += h[s].nt
			l.yt += h[s].yt
			l.nc += h[s].nc
			l.yc += h[s].yc
			r := armCounts{c.nt - l.nt, c.yt - l.yt, c.nc - l.nc, c.yc - l.yc}
			if l.nt < minLeaf || l.nc < minLeaf || r.nt < minLeaf || r.nc < minLeaf {
				continue
			}
			lt, lc := l.rates(pt, pc, g.o.Shrink)
			rt, rc := r.rates(pt, pc, g.o.Shrink)
			var gain float64
			if g.o.Criterion == DeltaDeltaP {
				gain = math.Abs((lt - lc) - (rt - rc))
			} else {
				nl, nr := l.nt+l.nc, r.nt+r.nc
				gain = (nl*divergence(lt, lc)+nr*divergence(rt, rc))/(nl+nr) - parentD
			}
			if gain > bestGain {
				bestGain, bestF, bestBin, bestL = gain, f, s, l
			}
		}
	}
	if bestF < 0 {
		return id
	}
	// Partition rows: bin ≤ bestBin to the left.
	lo := 0
	for k, i := range rows {
		if int(g.b.bins[i*d+bestF]) <= bestBin {
			rows[lo], rows[k] = rows[k], rows[lo]
			lo++
		}
	}
	right := armCounts{c.nt - bestL.nt, c.yt - bestL.yt, c.nc - bestL.nc, c.yc - bestL.yc}
	g.nodes[id].Feature = bestF
	g.nodes[id].Threshold = g.b.cuts[bestF][bestBin]
	l := g.grow(rows[:lo], bestL, pt, pc, depth+1)
	r := g.grow(rows[lo:], right, pt, pc, depth+1)
	g.nodes[id].Left, g.nodes[id].Right = l, r
	return id
}

// divergence is the squared Euclidean distance between the Bernoulli
// outcome distributions of the arms.
func divergence(pt, pc float64) float64 { return 2 * (pt - pc) * (pt - pc) }
