package web

import (
	"math"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/predict"
)

// histBins is the number of bars of a distribution.
const histBins = 20

// histogram is the distribution of a column over the feature table.
type histogram struct {
	Column string    `json:"column"`
	Edges  []float64 `json:"edges"`  // histBins+1 bin edges; the last bin holds its upper edge
	Counts []int     `json:"counts"` // per bin
	Over   int       `json:"over"`   // values above the last edge (a long tail cut at the 99th percentile)
	Scored int       `json:"scored"` // customers with a value
}

// Bars are the bins for the table under the chart.
func (h *histogram) Bars() []histBar {
	out := make([]histBar, 0, len(h.Counts)+1)
	for i, c := range h.Counts {
		out = append(out, histBar{Lo: h.Edges[i], Hi: h.Edges[i+1], Count: c})
	}
	if h.Over > 0 {
		out = append(out, histBar{Lo: h.Edges[len(h.Edges)-1], Hi: math.Inf(1), Count: h.Over})
	}
	return out
}

type histBar struct {
	Lo, Hi float64
	Count  int
}

// distributions computes the churn-risk and CLV histograms; a column the
// table does not have (no model yet) gives nil.
func distributions(t *feature.Table) (churnRisk, clv *histogram) {
	if col := t.Num[predict.ColChurn]; col != nil {
		churnRisk = histOf(predict.ColChurn, col, 0, 1)
	}
	if col := t.Num[predict.ColCLV]; col != nil {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range col {
			if !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
		if lo <= hi {
			clv = histOf(predict.ColCLV, col, min(0, lo), percentile99(col, min(0, lo), hi))
		}
	}
	return churnRisk, clv
}

// histOf counts the values of col in histBins equal bins over [lo, hi];
// values above hi go to Over.
func histOf(name string, col []float64, lo, hi float64) *histogram {
	if hi <= lo {
		hi = lo + 1
	}
	h := &histogram{Column: name, Edges: make([]float64, histBins+1), Counts: make([]int, histBins)}
	w := (hi - lo) / histBins
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*w
	}
	h.Edges[histBins] = hi
	for _, v := range col {
		if math.IsNaN(v) {
			continue
		}
		h.Scored++
		if v > hi {
			h.Over++
			continue
		}
		b := int((v - lo) / w)
		h.Counts[max(0, min(b, histBins-1))]++
	}
	return h
}

// percentile99 finds (to 1/1000 of the range) the value below which 99% of
// the values lie, with a fine histogram instead of a sort, so that a table
// of ten million customers is read twice and nothing is copied.
func percentile99(col []float64, lo, hi float64) float64 {
	const fine = 1000
	if hi <= lo {
		return hi
	}
	var cnt [fine]int
	n := 0
	w := (hi - lo) / fine
	for _, v := range col {
		if math.IsNaN(v) {
			continue
		}
		n++
		cnt[max(0, min(int((v-lo)/w), fine-1))]++
	}
	want := int(math.Ceil(0.99 * float64(n)))
	seen := 0
	for i, c := range cnt {
		if seen += c; seen >= want {
			return lo + float64(i+1)*w
		}
	}
	return hi
}
