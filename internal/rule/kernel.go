package rule

import (
	"math"
	"strings"
)

// chunk is the number of rows a worker evaluates at once; a multiple of 64.
const chunk = 4096

// identity is the selection of every row of a full chunk.
var identity = func() []int32 {
	s := make([]int32, chunk)
	for i := range s {
		s[i] = int32(i)
	}
	return s
}()

// worker evaluates nodes over one chunk of rows [base, base+n) at a time.
// A node's result is a slice indexed by the row's offset in the chunk and
// valid at the offsets of the selection it was asked for; offsets outside
// are stale. Column and constant nodes return views, the others write their
// own buffers, so a worker allocates once per node.
type worker struct {
	ev   *evaluation
	base int
	n    int
	f    [][]float64
	s    [][]string
	b    [][]bool
	sel  [][2][]int32
	rows []int32 // the selection of a sparse scan
}

func newWorker(ev *evaluation) *worker {
	k := ev.r.nodes
	return &worker{ev: ev, f: make([][]float64, k), s: make([][]string, k), b: make([][]bool, k), sel: make([][2][]int32, k)}
}

func (w *worker) fbuf(n *node) []float64 {
	if w.f[n.id] == nil {
		w.f[n.id] = make([]float64, chunk)
	}
	return w.f[n.id]
}

func (w *worker) sbuf(n *node) []string {
	if w.s[n.id] == nil {
		w.s[n.id] = make([]string, chunk)
	}
	return w.s[n.id]
}

func (w *worker) bbuf(n *node) []bool {
	if w.b[n.id] == nil {
		w.b[n.id] = make([]bool, chunk)
	}
	return w.b[n.id]
}

func (w *worker) selbuf(n *node, k int) []int32 {
	if w.sel[n.id][k] == nil {
		w.sel[n.id][k] = make([]int32, 0, chunk)
	}
	return w.sel[n.id][k][:0]
}

// fail records an evaluation error at a row of the chunk.
func (w *worker) fail(n *node, off int32, msg string, kind error) *Error {
	row := w.base + int(off)
	e := w.ev.r.errAt(kind, n, msg)
	e.Row = row
	e.CustomerID = w.ev.tbl.IDs[row]
	return e
}

func (w *worker) nums(n *node, sel []int32) ([]float64, error) {
	switch n.op {
	case opConst:
		return n.fconst, nil
	case opCol:
		return w.ev.fcols[n.ref][w.base : w.base+w.n], nil
	case opCond:
		return condOf(w, n, sel, w.fbuf(n), w.nums)
	}
	out := w.fbuf(n)
	a, err := w.nums(n.kids[0], sel)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case opNeg:
		for _, i := range sel {
			out[i] = -a[i]
		}
		return out, nil
	case opAbs:
		for _, i := range sel {
			if x := a[i]; x < 0 {
				out[i] = -x
			} else {
				out[i] = x
			}
		}
		return out, nil
	case opFloor:
		for _, i := range sel {
			out[i] = math.Floor(a[i])
		}
		return out, nil
	case opCeil:
		for _, i := range sel {
			out[i] = math.Ceil(a[i])
		}
		return out, nil
	case opRound:
		for _, i := range sel {
			out[i] = math.Round(a[i])
		}
		return out, nil
	case opMin, opMax:
		// expr's min/max: fold left, replacing when strictly less/greater
		// (so NaN handling follows argument order, as in expr).
		for _, i := range sel {
			out[i] = a[i]
		}
		for _, k := range n.kids[1:] {
			b, err := w.nums(k, sel)
			if err != nil {
				return nil, err
			}
			if n.op == opMax {
				for _, i := range sel {
					if out[i] < b[i] {
						out[i] = b[i]
					}
				}
			} else {
				for _, i := range sel {
					if out[i] > b[i] {
						out[i] = b[i]
					}
				}
			}
		}
		return out, nil
	}
	b, err := w.nums(n.kids[1], sel)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case opAdd:
		for _, i := range sel {
			out[i] = a[i] + b[i]
		}
	case opSub:
		for _, i := range sel {
			out[i] = a[i] - b[i]
		}
	case opMul:
		for _, i := range sel {
			out[i] = a[i] * b[i]
		}
	case opDiv:
		for _, i := range sel {
			d := b[i]
			if d == 0 {
				return nil, w.fail(n, i, "division by zero", ErrDivisionByZero)
			}
			out[i] = a[i] / d
		}
	case opPow:
		for _, i := range sel {
			out[i] = math.Pow(a[i], b[i])
		}
	default:
		panic("rule: bad number op")
	}
	return out, nil
}

func (w *worker) strs(n *node, sel []int32) ([]string, error) {
	switch n.op {
	case opConst:
		return n.sconst, nil
	case opCol:
		return w.ev.scols[n.ref][w.base : w.base+w.n], nil
	case opCond:
		return condOf(w, n, sel, w.sbuf(n), w.strs)
	}
	out := w.sbuf(n)
	a, err := w.strs(n.kids[0], sel)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case opLower:
		for _, i := range sel {
			out[i] = strings.ToLower(a[i])
		}
	case opUpper:
		for _, i := range sel {
			out[i] = strings.ToUpper(a[i])
		}
	case opTrim:
		for _, i := range sel {
			out[i] = strings.TrimSpace(a[i])
		}
	case opConcat:
		b, err := w.strs(n.kids[1], sel)
		if err != nil {
			return nil, err
		}
		for _, i := range sel {
			out[i] = a[i] + b[i]
		}
	default:
		panic("rule: bad text op")
	}
	return out, nil
}

// condOf evaluates a ternary: each branch only on the rows that take it.
func condOf[T any](w *worker, n *node, sel []int32, out []T, eval func(*node, []int32) ([]T, error)) ([]T, error) {
	c, err := w.bools(n.kids[0], sel)
	if err != nil {
		return nil, err
	}
	st, sf := w.selbuf(n, 0), w.selbuf(n, 1)
	for _, i := range sel {
		if c[i] {
			st = append(st, i)
		} else {
			sf = append(sf, i)
		}
	}
	if len(st) > 0 {
		a, err := eval(n.kids[1], st)
		if err != nil {
			return nil, err
		}
		for _, i := range st {
			out[i] = a[i]
		}
	}
	if len(sf) > 0 {
		b, err := eval(n.kids[2], sf)
		if err != nil {
			return nil, err
		}
		for _, i := range sf {
			out[i] = b[i]
		}
	}
	return out, nil
}

func (w *worker) bools(n *node, sel []int32) ([]bool, error) {
	switch n.op {
	case opConst:
		return n.bconst, nil
	case opTag, opList:
		out := w.bbuf(n)
		bm := w.ev.sets[n.ref]
		for _, i := range sel {
			out[i] = bm.Contains(uint32(w.base + int(i)))
		}
		return out, nil
	case opCond:
		return condOf(w, n, sel, w.bbuf(n), w.bools)
	case opAnd, opOr:
		a, err := w.bools(n.kids[0], sel)
		if err != nil {
			return nil, err
		}
		out := w.bbuf(n)
		rest := w.selbuf(n, 0)
		want := n.op == opAnd // rows where the right side decides
		for _, i := range sel {
			if a[i] == want {
				rest = append(rest, i)
			} else {
				out[i] = !want
			}
		}
		if len(rest) > 0 {
			b, err := w.bools(n.kids[1], rest)
			if err != nil {
				return nil, err
			}
			for _, i := range rest {
				out[i] = b[i]
			}
		}
		return out, nil
	case opNot:
		a, err := w.bools(n.kids[0], sel)
		if err != nil {
			return nil, err
		}
		out := w.bbuf(n)
		for _, i := range sel {
			out[i] = !a[i]
		}
		return out, nil
	case opCmp:
		out := w.bbuf(n)
		switch n.kids[0].kind {
		case kNum:
			a, err := w.nums(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			if k := n.kids[1]; k.op == opConst {
				cmpConst(n.cmp, a, k.fconst[0], sel, out)
				return out, nil
			}
			b, err := w.nums(n.kids[1], sel)
			if err != nil {
				return nil, err
			}
			cmpVec(n.cmp, a, b, sel, out)
		case kStr:
			a, err := w.strs(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			if k := n.kids[1]; k.op == opConst {
				cmpConst(n.cmp, a, k.sconst[0], sel, out)
				return out, nil
			}
			b, err := w.strs(n.kids[1], sel)
			if err != nil {
				return nil, err
			}
			cmpVec(n.cmp, a, b, sel, out)
		case kBool:
			a, err := w.bools(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			b, err := w.bools(n.kids[1], sel)
			if err != nil {
				return nil, err
			}
			eq := n.cmp == cmpEq
			for _, i := range sel {
				out[i] = (a[i] == b[i]) == eq
			}
		}
		return out, nil
	case opIn:
		out := w.bbuf(n)
		switch n.kids[0].kind {
		case kNum:
			a, err := w.nums(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			for _, i := range sel {
				_, out[i] = n.numSet[a[i]]
			}
		case kStr:
			a, err := w.strs(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			if n.strList != nil { // a few values: comparisons beat hashing
				for _, i := range sel {
					v, hit := a[i], false
					for _, s := range n.strList {
						if v == s {
							hit = true
							break
						}
					}
					out[i] = hit
				}
				return out, nil
			}
			for _, i := range sel {
				_, out[i] = n.strSet[a[i]]
			}
		case kBool:
			a, err := w.bools(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			for _, i := range sel {
				if a[i] {
					out[i] = n.boolSet[1]
				} else {
					out[i] = n.boolSet[0]
				}
			}
		}
		return out, nil
	case opKnown:
		out := w.bbuf(n)
		if n.kids[0].kind == kNum {
			a, err := w.nums(n.kids[0], sel)
			if err != nil {
				return nil, err
			}
			for _, i := range sel {
				out[i] = a[i] == a[i]
			}
			return out, nil
		}
		a, err := w.strs(n.kids[0], sel)
		if err != nil {
			return nil, err
		}
		for _, i := range sel {
			out[i] = a[i] != ""
		}
		return out, nil
	case opMatches:
		out := w.bbuf(n)
		a, err := w.strs(n.kids[0], sel)
		if err != nil {
			return nil, err
		}
		for _, i := range sel {
			out[i] = n.re.MatchString(a[i])
		}
		return out, nil
	case opContains, opStartsWith, opEndsWith:
		out := w.bbuf(n)
		a, err := w.strs(n.kids[0], sel)
		if err != nil {
			return nil, err
		}
		b, err := w.strs(n.kids[1], sel)
		if err != nil {
			return nil, err
		}
		switch n.op {
		case opContains:
			for _, i := range sel {
				out[i] = strings.Contains(a[i], b[i])
			}
		case opStartsWith:
			for _, i := range sel {
				out[i] = strings.HasPrefix(a[i], b[i])
			}
		default:
			for _, i := range sel {
				out[i] = strings.HasSuffix(a[i], b[i])
			}
		}
		return out, nil
	}
	panic("rule: bad bool op")
}

type ordered interface{ ~float64 | ~string }

func cmpConst[T ordered](c cmpOp, a []T, k T, sel []int32, out []bool) {
	switch c {
	case cmpEq:
		for _, i := range sel {
			out[i] = a[i] == k
		}
	case cmpNe:
		for _, i := range sel {
			out[i] = a[i] != k
		}
	case cmpLt:
		for _, i := range sel {
			out[i] = a[i] < k
		}
	case cmpLe:
		for _, i := range sel {
			out[i] = a[i] <= k
		}
	case cmpGt:
		for _, i := range sel {
			out[i] = a[i] > k
		}
	case cmpGe:
		for _, i := range sel {
			out[i] = a[i] >= k
		}
	}
}

func cmpVec[T ordered](c cmpOp, a, b []T, sel []int32, out []bool) {
	switch c {
	case cmpEq:
		for _, i := range sel {
			out[i] = a[i] == b[i]
		}
	case cmpNe:
		for _, i := range sel {
			out[i] = a[i] != b[i]
		}
	case cmpLt:
		for _, i := range sel {
			out[i] = a[i] < b[i]
		}
	case cmpLe:
		for _, i := range sel {
			out[i] = a[i] <= b[i]
		}
	case cmpGt:
		for _, i := range sel {
			out[i] = a[i] > b[i]
		}
	case cmpGe:
		for _, i := range sel {
			out[i] = a[i] >= b[i]
		}
	}
}
