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

// buildMatrix aggregates interactions (u, i) into a matrix whose weight is
// the number of interactions of the pair.
func buildMatrix(rows, cols int, us, is []int32) *Matrix {
	m := &Matrix{Rows: rows, Cols: cols, Ptr: make([]int32, rows+1)}
	for _, u := range us {
		m.Ptr[u+1]++
	}
	for r := 0; r < rows; r++ {
		m.Ptr[r+1] += m.Ptr[r]
	}
	idx := make([]int32, len(us))
	pos := slices.Clone(m.Ptr[:rows])
	for k, u := range us {
		idx[pos[u]] = is[k]
		pos[u]++
	}
	// Sort and merge duplicates per row.
	out := m.Ptr[:0:0]
	out = append(out, 0)
	var oi []int32
	var ov []float32
	for r := 0; r < rows; r++ {
		row := idx[m.Ptr[r]:m.Ptr[r+1]]
		slices.Sort(row)
		for j, it := range row {
			if j > 0 && row[j-1] == it {
				ov[len(ov)-1]++
				continue
			}
			oi = append(oi, it)
			ov = append(ov, 1)
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
