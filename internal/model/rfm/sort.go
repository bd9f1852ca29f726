package rfm

import (
	"math"
	"slices"
)

// sortFloats sorts values without NaNs ascending: a least-significant-digit
// radix sort on the order-preserving bit patterns for large inputs (fitting
// a model sorts several million-customer columns), pdqsort for small ones.
func sortFloats(xs []float64) {
	if len(xs) < 1<<12 {
		slices.Sort(xs)
		return
	}
	keys := make([]uint64, len(xs))
	for i, x := range xs {
		b := math.Float64bits(x)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	buf := make([]uint64, len(xs))
	var counts [1 << 16]int
	for shift := 0; shift < 64; shift += 16 {
		clear(counts[:])
		for _, k := range keys {
			counts[k>>shift&0xffff]++
		}
		if counts[keys[0]>>shift&0xffff] == len(keys) {
			continue // one digit for all: nothing to move
		}
		pos := 0
		for d, c := range counts {
			counts[d] = pos
			pos += c
		}
		for _, k := range keys {
			d := k >> shift & 0xffff
			buf[counts[d]] = k
			counts[d]++
		}
		keys, buf = buf, keys
	}
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		xs[i] = math.Float64frombits(b)
	}
}
