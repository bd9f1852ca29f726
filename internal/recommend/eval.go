package recommend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// Evaluation protocols.
const (
	ProtocolLOO        = "loo"         // one random interaction per user held out; full ranking over all unseen items
	ProtocolLOOSampled = "loo-sampled" // the same, ranked against 100 sampled unseen items (as Gorse reports)
	ProtocolTime       = "time"        // train before an instant, test the items first bought after it
)

// Split is a training matrix and, per user row, the held-out items.
type Split struct {
	Train     *Matrix
	Test      [][]int32 // per user, ascending; nil when the user is not tested
	Negatives [][]int32 // per user, the sampled negatives (loo-sampled only)
	Items     int
}

// LeaveOneOut holds out, for every user with at least two distinct items,
// one of them chosen uniformly at random (all interactions with it leave
// the training data). Users with one item stay in training untested.
func LeaveOneOut(d *Dataset, seed uint64) *Split {
	all := buildMatrix(len(d.Users), len(d.Items), d.U, d.I, d.W)
	rng := rand.New(rand.NewPCG(seed, 0x100))
	test := make([][]int32, all.Rows)
	keep := make([]bool, 0)
	_ = keep
	held := make([]int32, all.Rows)
	for u := range all.Rows {
		items, _ := all.Row(int32(u))
		held[u] = -1
		if len(items) >= 2 {
			held[u] = items[rng.IntN(len(items))]
			test[u] = []int32{held[u]}
		}
	}
	var us, is []int32
	var ws []float32
	for k := range d.U {
		if d.I[k] != held[d.U[k]] {
			us = append(us, d.U[k])
			is = append(is, d.I[k])
			ws = append(ws, weight(d, k))
		}
	}
	return &Split{Train: buildMatrix(all.Rows, all.Cols, us, is, ws), Test: test, Items: all.Cols}
}

// weight is interaction k's weight (1 when the dataset has none).
func weight(d *Dataset, k int) float32 {
	if d.W == nil {
		return 1
	}
	return d.W[k]
}

// SampleNegatives draws, for every tested user, n items the user never
// interacted with (in training or test), uniformly without replacement.
func (s *Split) SampleNegatives(n int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x200))
	s.Negatives = make([][]int32, len(s.Test))
	for u, t := range s.Test {
		if t == nil {
			continue
		}
		items, _ := s.Train.Row(int32(u))
		seen := map[int32]bool{}
		for _, i := range items {
			seen[i] = true
		}
		for _, i := range t {
			seen[i] = true
		}
		want := min(n, s.Items-len(seen))
		neg := make([]int32, 0, want)
		for len(neg) < want {
			i := int32(rng.IntN(s.Items))
			if !seen[i] {
				seen[i] = true
				neg = append(neg, i)
			}
		}
		s.Negatives[u] = neg
	}
}

// TimeSplit trains on the interactions before cut (Unix seconds) and tests,
// for every user with training data, the items first interacted with at or
// after cut that the user had not interacted with before it. Items that
// only appear after cut count as relevant (and can never be hit).
func TimeSplit(d *Dataset, cut int64) (*Split, error) {
	var us, is []int32
	var ws []float32
	for k := range d.U {
		if d.T[k] == 0 {
			return nil, errors.New("time split: interactions without a timestamp")
		}
		if d.T[k] < cut {
			us = append(us, d.U[k])
			is = append(is, d.I[k])
			ws = append(ws, weight(d, k))
		}
	}
	if len(us) == 0 || len(us) == d.Len() {
		return nil, fmt.Errorf("time split: no interactions on one side of the cut")
	}
	train := buildMatrix(len(d.Users), len(d.Items), us, is, ws)
	test := make([][]int32, train.Rows)
	seen := map[[2]int32]bool{}
	for k := range d.U {
		u, i := d.U[k], d.I[k]
		if d.T[k] < cut || train.Ptr[u+1] == train.Ptr[u] {
			continue
		}
		items, _ := train.Row(u)
		if _, found := slices.BinarySearch(items, i); found || seen[[2]int32{u, i}] {
			continue
		}
		seen[[2]int32{u, i}] = true
		test[u] = append(test[u], i)
	}
	for u := range test {
		slices.Sort(test[u])
	}
	return &Split{Train: train, Test: test, Items: len(d.Items)}, nil
}

// Validation carves a leave-one-out split out of s's training data, for
// tuning without looking at the test items.
func (s *Split) Validation(seed uint64) *Split {
	var us, is []int32
	var ws []float32
	for u := range s.Train.Rows {
		items, w := s.Train.Row(int32(u))
		for k, i := range items {
			us = append(us, int32(u))
			is = append(is, i)
			ws = append(ws, w[k])
		}
	}
	d := &Dataset{U: us, I: is, W: ws, Users: make([]string, s.Train.Rows), Items: make([]string, s.Items)}
	return LeaveOneOut(d, seed)
}

// Tested is the number of users with held-out items.
func (s *Split) Tested() int {
	n := 0
	for _, t := range s.Test {
		if len(t) > 0 {
			n++
		}
	}
	return n
}

// SampleUsers keeps at most n of the tested users, chosen uniformly at
// random (the seed decides which), and leaves the others untested: it
// bounds the cost of Evaluate on a large shop. Their training data stays.
func (s *Split) SampleUsers(n int, seed uint64) {
	var tested []int
	for u, t := range s.Test {
		if len(t) > 0 {
			tested = append(tested, u)
		}
	}
	if n < 0 || len(tested) <= n {
		return
	}
	rng := rand.New(rand.NewPCG(seed, 0x300))
	// partial Fisher-Yates: the first n of tested are the sample
	for k := range n {
		j := k + rng.IntN(len(tested)-k)
		tested[k], tested[j] = tested[j], tested[k]
	}
	for _, u := range tested[n:] {
		s.Test[u] = nil
	}
}

// Metrics are averages over the tested users.
type Metrics struct {
	K         int     `json:"k"`
	Users     int     `json:"users"`
	NDCG      float64 `json:"ndcg"`
	HR        float64 `json:"hr"`
	Recall    float64 `json:"recall"`
	Precision float64 `json:"precision"`
	MAP       float64 `json:"map"`
	Coverage  float64 `json:"coverage"` // distinct items recommended / catalogue
}

// Evaluate ranks, for every tested user, all items the user has not
// interacted with in training (or only the held-out items and the sampled
// negatives when s.Negatives is set) and scores the top k.
func Evaluate(ctx context.Context, m Scorer, s *Split, k, workers int) (Metrics, error) {
	if k <= 0 {
		return Metrics{}, fmt.Errorf("evaluate: k = %d must be positive", k)
	}
	if workers <= 0 {
		workers = 2
	}
	// Every user's figures are kept and summed in user order afterwards,
	// so that the result does not depend on which worker scored whom: the
	// same split and model give the same figures to the last bit.
	type userFig struct {
		tested                       bool
		ndcg, hr, recall, prec, mapv float64
	}
	figs := make([]userFig, len(s.Test))
	recs := make([]map[int32]bool, workers)
	var wg sync.WaitGroup
	var next int
	var mu sync.Mutex
	for w := range workers {
		recs[w] = map[int32]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := recs[w]
			scores := make([]float32, s.Items)
			var top []int32
			for {
				mu.Lock()
				u := next
				next++
				mu.Unlock()
				if u >= len(s.Test) || ctx.Err() != nil {
					return
				}
				rel := s.Test[u]
				if len(rel) == 0 {
					continue
				}
				hist, _ := s.Train.Row(int32(u))
				m.Score(int32(u), hist, scores)
				if s.Negatives != nil {
					top = topAmong(scores, append(slices.Clone(rel), s.Negatives[u]...), k, top)
				} else {
					top = TopK(scores, hist, k, top)
				}
				var dcg, idcg, ap float64
				hits := 0
				for r, i := range top {
					rec[i] = true
					if _, ok := slices.BinarySearch(rel, i); ok {
						hits++
						dcg += 1 / math.Log2(float64(r)+2)
						ap += float64(hits) / float64(r+1)
					}
				}
				for r := range min(k, len(rel)) {
					idcg += 1 / math.Log2(float64(r)+2)
				}
				f := &figs[u]
				f.tested = true
				f.ndcg = dcg / idcg
				if hits > 0 {
					f.hr = 1
				}
				f.recall = float64(hits) / float64(len(rel))
				f.prec = float64(hits) / float64(k)
				f.mapv = ap / float64(min(k, len(rel)))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Metrics{}, err
	}
	var t struct {
		users                        int
		ndcg, hr, recall, prec, mapv float64
	}
	for _, f := range figs {
		if !f.tested {
			continue
		}
		t.users++
		t.ndcg += f.ndcg
		t.hr += f.hr
		t.recall += f.recall
		t.prec += f.prec
		t.mapv += f.mapv
	}
	recommended := map[int32]bool{}
	for _, r := range recs {
		for i := range r {
			recommended[i] = true
		}
	}
	if t.users == 0 {
		return Metrics{}, errors.New("evaluate: no user to test")
	}
	n := float64(t.users)
	return Metrics{K: k, Users: t.users, NDCG: t.ndcg / n, HR: t.hr / n, Recall: t.recall / n, Precision: t.prec / n,
		MAP: t.mapv / n, Coverage: float64(len(recommended)) / float64(s.Items)}, nil
}

// TopK returns the k best-scored items, best first, leaving out the items
// in exclude (ascending). Ties go to the lower item number.
func TopK(scores []float32, exclude []int32, k int, buf []int32) []int32 {
	h := buf[:0]
	ex := 0
	for i := range scores {
		if ex < len(exclude) && exclude[ex] == int32(i) {
			ex++
			continue
		}
		h = pushTop(h, scores, int32(i), k)
	}
	return sortTop(h, scores)
}

func topAmong(scores []float32, cand []int32, k int, buf []int32) []int32 {
	slices.Sort(cand)
	h := buf[:0]
	for _, i := range cand {
		h = pushTop(h, scores, i, k)
	}
	return sortTop(h, scores)
}

// worse reports whether item a ranks below item b.
func worse(scores []float32, a, b int32) bool {
	if scores[a] != scores[b] {
		return scores[a] < scores[b]
	}
	return a > b
}

// pushTop keeps h a min-heap (worst at 0) of at most k items.
func pushTop(h []int32, scores []float32, i int32, k int) []int32 {
	if len(h) < k {
		h = append(h, i)
		for c := len(h) - 1; c > 0; {
			p := (c - 1) / 2
			if !worse(scores, h[c], h[p]) {
				break
			}
			h[c], h[p] = h[p], h[c]
			c = p
		}
		return h
	}
	if !worse(scores, h[0], i) {
		return h
	}
	h[0] = i
	for p := 0; ; {
		l, r, m := 2*p+1, 2*p+2, p
		if l < len(h) && worse(scores, h[l], h[m]) {
			m = l
		}
		if r < len(h) && worse(scores, h[r], h[m]) {
			m = r
		}
		if m == p {
			break
		}
		h[p], h[m] = h[m], h[p]
		p = m
	}
	return h
}

func sortTop(h []int32, scores []float32) []int32 {
	slices.SortFunc(h, func(a, b int32) int {
		if worse(scores, a, b) {
			return 1
		}
		if worse(scores, b, a) {
			return -1
		}
		return 0
	})
	return h
}
