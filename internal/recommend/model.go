package recommend

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Scorer scores every item for one user.
type Scorer interface {
	// Score writes a score for every item into dst (len(dst) = items). u is
	// the user's row in the training matrix, or -1 for a user it has not
	// seen; hist is the user's items (ascending), which may differ from
	// the training row (new purchases since).
	Score(u int32, hist []int32, dst []float32)
}

// Popularity scores an item by the number of users who interacted with it.
type Popularity struct {
	Count []float32
}

// FitPopularity counts the users of each item.
func FitPopularity(m *Matrix) *Popularity {
	p := &Popularity{Count: make([]float32, m.Cols)}
	for _, i := range m.Idx {
		p.Count[i]++
	}
	return p
}

// Score implements Scorer.
func (p *Popularity) Score(_ int32, _ []int32, dst []float32) { copy(dst, p.Count) }

// ItemKNNOptions configure item-item collaborative filtering.
type ItemKNNOptions struct {
	Neighbors int     // kept per item; default 100
	Shrink    float64 // cosine shrinkage: co / (sqrt(n_i n_j) + Shrink); default 10
	// Similarity is "cosine" (default) or "rp3b": the random-walk
	// similarity RP³β (Paudel et al. 2017), Σ_u (1/n_u)^α (1/n_i)^α / n_j^β.
	Similarity string
	RPAlpha    float64 // rp3b: α; default 1
	RPBeta     float64 // rp3b: β; default 0.5
	Workers    int     // default 2
}

// ItemKNN is item-item collaborative filtering: an item's score is the sum
// of its similarities to the user's items, over each item's top neighbours.
type ItemKNN struct {
	Ptr []int32
	Nbr []int32
	Sim []float32
}

// FitItemKNN computes shrunk cosine similarities of binary co-occurrence.
func FitItemKNN(ctx context.Context, m *Matrix, o ItemKNNOptions) (*ItemKNN, error) {
	if o.Neighbors <= 0 {
		o.Neighbors = 100
	}
	if o.Shrink < 0 {
		return nil, fmt.Errorf("item-knn: shrink %g is negative", o.Shrink)
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	rp := false
	switch o.Similarity {
	case "", "cosine":
	case "rp3b":
		rp = true
		if o.RPAlpha <= 0 {
			o.RPAlpha = 1
		}
		if o.RPBeta < 0 {
			return nil, fmt.Errorf("item-knn: rp3b beta %g is negative", o.RPBeta)
		}
	default:
		return nil, fmt.Errorf("item-knn: unknown similarity %q (cosine, rp3b)", o.Similarity)
	}
	t := m.Transpose()
	// uw is the weight of a user's walk step in rp3b: (1/n_u)^α.
	uw := make([]float32, m.Rows)
	for u := range m.Rows {
		if n := m.Ptr[u+1] - m.Ptr[u]; n > 0 {
			uw[u] = float32(math.Pow(1/float64(n), o.RPAlpha))
		}
	}
	n := m.Cols
	nbrs := make([][]int32, n)
	sims := make([][]float32, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := 0
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := make([]float32, n)
			var touched []int32
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if i%256 == 0 && ctx.Err() != nil {
					mu.Lock()
					firstErr = ctx.Err()
					mu.Unlock()
					return
				}
				users, _ := t.Row(int32(i))
				touched = touched[:0]
				for _, u := range users {
					items, _ := m.Row(u)
					w := float32(1)
					if rp {
						w = uw[u]
					}
					for _, j := range items {
						if acc[j] == 0 {
							touched = append(touched, j)
						}
						acc[j] += w
					}
				}
				ni := float64(len(users))
				cand := make([]int32, 0, len(touched))
				for _, j := range touched {
					if int(j) == i {
						acc[j] = 0
						continue
					}
					nj := float64(t.Ptr[j+1] - t.Ptr[j])
					if rp {
						acc[j] = float32(float64(acc[j]) * math.Pow(1/ni, o.RPAlpha) / math.Pow(nj, o.RPBeta))
					} else {
						acc[j] = float32(float64(acc[j]) / (math.Sqrt(ni*nj) + o.Shrink))
					}
					cand = append(cand, j)
				}
				slices.SortFunc(cand, func(a, b int32) int {
					if c := cmp.Compare(acc[b], acc[a]); c != 0 {
						return c
					}
					return cmp.Compare(a, b)
				})
				if len(cand) > o.Neighbors {
					cand = cand[:o.Neighbors]
				}
				s := make([]float32, len(cand))
				for k, j := range cand {
					s[k] = acc[j]
				}
				for _, j := range touched {
					acc[j] = 0
				}
				nbrs[i], sims[i] = slices.Clip(cand), s
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	k := &ItemKNN{Ptr: make([]int32, n+1)}
	for i := range n {
		k.Ptr[i+1] = k.Ptr[i] + int32(len(nbrs[i]))
		k.Nbr = append(k.Nbr, nbrs[i]...)
		k.Sim = append(k.Sim, sims[i]...)
	}
	return k, nil
}

// Neighbors returns item i's neighbours, most similar first.
func (k *ItemKNN) Neighbors(i int32) ([]int32, []float32) {
	if i < 0 || int(i)+1 >= len(k.Ptr) {
		return nil, nil
	}
	return k.Nbr[k.Ptr[i]:k.Ptr[i+1]], k.Sim[k.Ptr[i]:k.Ptr[i+1]]
}

// Score implements Scorer.
func (k *ItemKNN) Score(_ int32, hist []int32, dst []float32) {
	clear(dst)
	for _, i := range hist {
		nb, s := k.Neighbors(i)
		for x, j := range nb {
			dst[j] += s[x]
		}
	}
}

// Blend adds the scores of several models, each scaled by its weight over
// its largest score for the user.
type Blend struct {
	Models  []Scorer
	Weights []float64
	buf     sync.Pool
}

// Score implements Scorer.
func (b *Blend) Score(u int32, hist []int32, dst []float32) {
	clear(dst)
	tmp, _ := b.buf.Get().([]float32)
	if len(tmp) != len(dst) {
		tmp = make([]float32, len(dst))
	}
	for k, m := range b.Models {
		if b.Weights[k] == 0 {
			continue
		}
		m.Score(u, hist, tmp)
		var mx float32
		for _, v := range tmp {
			mx = max(mx, v)
		}
		if mx <= 0 {
			continue
		}
		w := float32(b.Weights[k]) / mx
		for j, v := range tmp {
			dst[j] += w * v
		}
	}
	b.buf.Put(tmp)
}
