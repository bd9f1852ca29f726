package rule

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/expr-lang/expr/file"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

// Sets gives the bitmaps (of dense customer numbers) of tags and admission
// lists. A nil bitmap is an empty set. Bitmaps are only read.
type Sets interface {
	Tag(name string) *roaring.Bitmap
	List(name string) *roaring.Bitmap
}

// Input is what a rule is evaluated over.
type Input struct {
	Table *feature.Table
	Sets  Sets // may be nil when the rule uses no tag and no list
	// Within restricts the evaluation to these rows (nil: all rows);
	// rows outside are never evaluated and never in the result.
	Within *roaring.Bitmap
	// Workers is the number of goroutines of row scans; 0: GOMAXPROCS.
	Workers int
}

const unit = 1 << 16 // rows per work unit: one roaring container

// evaluation is one evaluation of a rule over a table.
type evaluation struct {
	ctx     context.Context
	r       *Rule
	tbl     *feature.Table
	n       int
	fcols   [][]float64
	scols   [][]string
	sets    []*roaring.Bitmap // tags then lists
	workers int
}

func (r *Rule) bind(ctx context.Context, in Input) (*evaluation, error) {
	if in.Table == nil {
		return nil, &Error{Err: ErrTable, Message: "no feature table", Row: -1}
	}
	n := in.Table.Len()
	if uint64(n) > math.MaxUint32 {
		return nil, &Error{Err: ErrTable, Message: "too many customers for 32-bit sets", Row: -1}
	}
	ev := &evaluation{ctx: ctx, r: r, tbl: in.Table, n: n, workers: in.Workers}
	if ev.workers <= 0 {
		ev.workers = runtime.GOMAXPROCS(0)
	}
	ev.fcols = make([][]float64, len(r.columns))
	ev.scols = make([][]string, len(r.columns))
	for i, c := range r.columns {
		var l int
		var ok bool
		if c.typ == feature.Text {
			ev.scols[i], ok = in.Table.Text[c.name]
			l = len(ev.scols[i])
		} else {
			ev.fcols[i], ok = in.Table.Num[c.name]
			l = len(ev.fcols[i])
		}
		if !ok {
			return nil, &Error{Err: ErrTable, Message: fmt.Sprintf("feature %q (%s) is not in the table", c.name, c.typ), Row: -1}
		}
		if l != n {
			return nil, &Error{Err: ErrTable, Message: fmt.Sprintf("feature %q has %d values for %d customers", c.name, l, n), Row: -1}
		}
	}
	ev.sets = make([]*roaring.Bitmap, 0, len(r.tags)+len(r.lists))
	for _, t := range r.tags {
		var bm *roaring.Bitmap
		if in.Sets != nil {
			bm = in.Sets.Tag(t)
		}
		ev.sets = append(ev.sets, ev.clip(bm))
	}
	for _, l := range r.lists {
		var bm *roaring.Bitmap
		if in.Sets != nil {
			bm = in.Sets.List(l)
		}
		ev.sets = append(ev.sets, ev.clip(bm))
	}
	return ev, nil
}

// clip keeps a set within the table's rows.
func (ev *evaluation) clip(bm *roaring.Bitmap) *roaring.Bitmap {
	if bm == nil {
		return roaring.New()
	}
	if !bm.IsEmpty() && uint64(bm.Maximum()) >= uint64(ev.n) {
		bm = bm.Clone()
		bm.RemoveRange(uint64(ev.n), math.MaxUint32+1)
	}
	return bm
}

func (ev *evaluation) within(in *roaring.Bitmap) *roaring.Bitmap {
	if in == nil {
		return nil
	}
	return ev.clip(in)
}

// Eval returns the rows (dense customer numbers) for which the rule is
// true. On error nothing is returned: an evaluation is all or nothing.
func (r *Rule) Eval(ctx context.Context, in Input) (*roaring.Bitmap, error) {
	ev, err := r.bind(ctx, in)
	if err != nil {
		return nil, err
	}
	return ev.set(r.root, ev.within(in.Within))
}

// Count returns how many rows the rule is true for, without materializing
// the last bitmap operation when it can.
func (r *Rule) Count(ctx context.Context, in Input) (uint64, error) {
	ev, err := r.bind(ctx, in)
	if err != nil {
		return 0, err
	}
	return ev.count(r.root, ev.within(in.Within))
}

func (ev *evaluation) all() *roaring.Bitmap {
	bm := roaring.New()
	bm.AddRange(0, uint64(ev.n))
	return bm
}

// rest is within minus x (within nil: all rows).
func (ev *evaluation) rest(x, within *roaring.Bitmap) *roaring.Bitmap {
	if within == nil {
		return roaring.Flip(x, 0, uint64(ev.n))
	}
	return roaring.AndNot(within, x)
}

func (ev *evaluation) card(within *roaring.Bitmap) uint64 {
	if within == nil {
		return uint64(ev.n)
	}
	return within.GetCardinality()
}

// order returns the two sides of and/or, evaluating a bitmap side first
// when that cannot change which errors are raised.
func order(n *node) (a, b *node) {
	a, b = n.kids[0], n.kids[1]
	if !a.set && b.set && !a.mayFail {
		a, b = b, a
	}
	return a, b
}

// set evaluates a boolean node to the rows of within where it is true.
// The result is always a new bitmap.
func (ev *evaluation) set(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	if err := ev.ctx.Err(); err != nil {
		return nil, err
	}
	switch {
	case n.op == opTag || n.op == opList:
		bm := ev.sets[n.ref]
		if within == nil {
			return bm.Clone(), nil
		}
		return roaring.And(bm, within), nil
	case n.op == opConst:
		if !n.bconst[0] {
			return roaring.New(), nil
		}
		if within == nil {
			return ev.all(), nil
		}
		return within.Clone(), nil
	case n.op == opAnd && n.set:
		a, b := order(n)
		x, err := ev.set(a, within)
		if err != nil || x.IsEmpty() {
			return x, err
		}
		return ev.set(b, x)
	case n.op == opOr && n.set:
		a, b := order(n)
		x, err := ev.set(a, within)
		if err != nil {
			return nil, err
		}
		rest := ev.rest(x, within)
		if rest.IsEmpty() {
			return x, nil
		}
		y, err := ev.set(b, rest)
		if err != nil {
			return nil, err
		}
		x.Or(y)
		return x, nil
	case n.op == opNot && n.set:
		x, err := ev.set(n.kids[0], within)
		if err != nil {
			return nil, err
		}
		return ev.rest(x, within), nil
	case n.op == opCond && n.set:
		c, err := ev.set(n.kids[0], within)
		if err != nil {
			return nil, err
		}
		t := roaring.New()
		if !c.IsEmpty() {
			if t, err = ev.set(n.kids[1], c); err != nil {
				return nil, err
			}
		}
		if rest := ev.rest(c, within); !rest.IsEmpty() {
			f, err := ev.set(n.kids[2], rest)
			if err != nil {
				return nil, err
			}
			t.Or(f)
		}
		return t, nil
	}
	return ev.scan(n, within)
}

// count is set followed by a cardinality, with the last operation done as
// a cardinality when it is bitmap algebra.
func (ev *evaluation) count(n *node, within *roaring.Bitmap) (uint64, error) {
	leaf := func(k *node) *roaring.Bitmap {
		if k.op == opTag || k.op == opList {
			return ev.sets[k.ref]
		}
		return nil
	}
	switch {
	case n.op == opAnd && n.set:
		a, b := order(n)
		x, err := ev.set(a, within)
		if err != nil {
			return 0, err
		}
		if bm := leaf(b); bm != nil {
			return x.AndCardinality(bm), nil
		}
		return ev.count(b, x)
	case n.op == opOr && n.set:
		a, b := order(n)
		x, err := ev.set(a, within)
		if err != nil {
			return 0, err
		}
		if bm := leaf(b); bm != nil && within == nil {
			return x.OrCardinality(bm), nil
		}
		rest := ev.rest(x, within)
		if rest.IsEmpty() {
			return x.GetCardinality(), nil
		}
		c, err := ev.count(b, rest)
		return x.GetCardinality() + c, err
	case n.op == opNot && n.set:
		c, err := ev.count(n.kids[0], within)
		return ev.card(within) - c, err
	}
	x, err := ev.set(n, within)
	if err != nil {
		return 0, err
	}
	return x.GetCardinality(), nil
}

// scan evaluates a row node over the rows of within, column by column,
// in parallel over work units of 65536 rows.
func (ev *evaluation) scan(n *node, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	if ev.n == 0 || (within != nil && within.IsEmpty()) {
		return roaring.New(), nil
	}
	if within != nil && !n.mayFail && within.GetCardinality()*4 >= uint64(ev.n) {
		// Dense enough: a full scan and an AND beat gathering the rows, and
		// evaluating extra rows cannot raise an error.
		x, err := ev.scan(n, nil)
		if err != nil {
			return nil, err
		}
		x.And(within)
		return x, nil
	}
	units := (ev.n + unit - 1) / unit
	workers := min(ev.workers, units)
	if within != nil && within.GetCardinality() < chunk {
		workers = 1
	}
	var (
		next    atomic.Int64
		stop    atomic.Bool
		words   []uint64
		lists   [][]uint32
		errs    = make([]*Error, workers)
		ctxErrs = make([]error, workers)
		wg      sync.WaitGroup
	)
	dense := within == nil || within.GetCardinality()*64 >= uint64(ev.n)
	if dense {
		words = make([]uint64, (ev.n+63)/64)
	} else {
		lists = make([][]uint32, units)
	}
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(ev)
			var members []uint32
			var it roaring.IntPeekable
			if within != nil {
				it = within.Iterator()
				members = make([]uint32, 0, chunk)
			}
			for !stop.Load() {
				u := int(next.Add(1) - 1)
				if u >= units {
					return
				}
				if err := ev.ctx.Err(); err != nil {
					ctxErrs[g] = err
					stop.Store(true)
					return
				}
				lo, hi := u*unit, min((u+1)*unit, ev.n)
				var err *Error
				if within == nil {
					err = w.scanDense(n, lo, hi, words)
				} else {
					it.AdvanceIfNeeded(uint32(lo))
					var out []uint32
					if !dense {
						out = lists[u]
					}
					for it.HasNext() && int(it.PeekNext()) < hi && err == nil {
						// the members of one chunk
						base := int(it.PeekNext()) &^ (chunk - 1)
						end := min(base+chunk, hi)
						members = members[:0]
						for it.HasNext() && int(it.PeekNext()) < end {
							members = append(members, it.Next())
						}
						out, err = w.scanRows(n, base, end, members, words, out)
					}
					if !dense {
						lists[u] = out
					}
				}
				if err != nil {
					errs[g] = err
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	var first *Error
	for _, e := range errs {
		if e != nil && (first == nil || e.Row < first.Row) {
			first = e
		}
	}
	if first != nil {
		return nil, first
	}
	for _, e := range ctxErrs {
		if e != nil {
			return nil, e
		}
	}
	if dense {
		return roaring.FromDense(words, false), nil
	}
	bm := roaring.New()
	for _, l := range lists {
		bm.AddMany(l)
	}
	return bm, nil
}

// scanDense evaluates every row of [lo, hi) into the bit words.
func (w *worker) scanDense(n *node, lo, hi int, words []uint64) *Error {
	for base := lo; base < hi; base += chunk {
		w.base, w.n = base, min(chunk, hi-base)
		out, err := w.bools(n, identity[:w.n])
		if err != nil {
			return asError(err)
		}
		for j := 0; j < w.n; j += 64 {
			var word uint64
			for k, b := range out[j:min(j+64, w.n)] {
				var v uint64
				if b {
					v = 1
				}
				word |= v << k
			}
			words[(base+j)>>6] = word
		}
	}
	return nil
}

// scanRows evaluates the given rows of the chunk starting at base: into
// the bit words when words is not nil, else appended to out.
func (w *worker) scanRows(n *node, base, end int, rows []uint32, words []uint64, out []uint32) ([]uint32, *Error) {
	w.base, w.n = base, end-base
	if w.rows == nil {
		w.rows = make([]int32, 0, chunk)
	}
	sel := w.rows[:0]
	for _, r := range rows {
		sel = append(sel, int32(int(r)-base))
	}
	w.rows = sel
	res, err := w.bools(n, sel)
	if err != nil {
		return out, asError(err)
	}
	for _, i := range sel {
		if res[i] {
			row := base + int(i)
			if words != nil {
				words[row>>6] |= 1 << (row & 63)
			} else {
				out = append(out, uint32(row))
			}
		}
	}
	return out, nil
}

func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return &Error{Err: ErrInvalid, Message: err.Error(), Row: -1}
}

// errAt makes an error pointing at a node.
func (r *Rule) errAt(kind error, n *node, msg string) *Error {
	c := &compiler{src: r.src, source: file.NewSource(r.src)}
	return c.posErr(kind, n.loc, msg)
}
