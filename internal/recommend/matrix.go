package recommend

import "slices"

// Matrix is a sparse user × item matrix in compressed rows: the row of user
// u is Idx[Ptr[u]:Ptr[u+1]] (ascending item numbers) with weights Val.
type Matrix struct {
	Rows, Cols int
	Ptr        []int32
	Idx        []int32
	Val        []float32
}

// Row returns the items of row u and their weights.
func (m *Matrix) Row(u int32) ([]int32, []float32) {
	a, b := m.Ptr[u], m.Ptr[u+1]
	return m.Idx[a:b], m.Val[a:b]
}

// NNZ is the number of stored entries.
func (m *Matrix) NNZ() int { return len(m.Idx) }

// buildMatrix aggregates interactions (u, i) of weights ws (nil: 1 each)
// into a matrix whose value is the sum of the pair's weights.
func buildMatrix(rows, cols int, us, is []int32, ws []float32) *Matrix {
	m := &Matrix{Rows: rows, Cols: cols, Ptr: make([]int32, rows+1)}
	for _, u := range us {
		m.Ptr[u+1]++
	}
	for r := 0; r < rows; r++ {
		m.Ptr[r+1] += m.Ptr[r]
	}
	idx := make([]int32, len(us))
	wv := make([]float32, len(us))
	pos := slices.Clone(m.Ptr[:rows])
	for k, u := range us {
		idx[pos[u]] = is[k]
		wv[pos[u]] = 1
		if ws != nil {
			wv[pos[u]] = ws[k]
		}
		pos[u]++
	}
	// Sort and merge duplicates per row.
	out := m.Ptr[:0:0]
	out = append(out, 0)
	var oi []int32
	var ov []float32
	for r := 0; r < rows; r++ {
		row := idx[m.Ptr[r]:m.Ptr[r+1]]
		rw := wv[m.Ptr[r]:m.Ptr[r+1]]
		sortPairs(row, rw)
		for j, it := range row {
			if j > 0 && row[j-1] == it {
				ov[len(ov)-1] += rw[j]
				continue
			}
			oi = append(oi, it)
			ov = append(ov, rw[j])
		}
		out = append(out, int32(len(oi)))
	}
	m.Ptr, m.Idx, m.Val = out, oi, ov
	return m
}

// Transpose returns the item × user matrix.
func (m *Matrix) Transpose() *Matrix {
	t := &Matrix{Rows: m.Cols, Cols: m.Rows, Ptr: make([]int32, m.Cols+1), Idx: make([]int32, len(m.Idx)), Val: make([]float32, len(m.Val))}
	for _, i := range m.Idx {
		t.Ptr[i+1]++
	}
	for r := 0; r < m.Cols; r++ {
		t.Ptr[r+1] += t.Ptr[r]
	}
	pos := slices.Clone(t.Ptr[:m.Cols])
	for u := 0; u < m.Rows; u++ {
		for k := m.Ptr[u]; k < m.Ptr[u+1]; k++ {
			i := m.Idx[k]
			t.Idx[pos[i]] = int32(u)
			t.Val[pos[i]] = m.Val[k]
			pos[i]++
		}
	}
	return t
}

// sortPairs sorts items ascending, carrying their weights along.
func sortPairs(items []int32, w []float32) {
	if slices.IsSorted(items) {
		return
	}
	order := make([]int, len(items))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(items[a]) - int(items[b]) })
	it2 := make([]int32, len(items))
	w2 := make([]float32, len(items))
	for k, o := range order {
		it2[k], w2[k] = items[o], w[o]
	}
	copy(items, it2)
	copy(w, w2)
}
