package rules

import (
	"fmt"
	"math/big"
	"math/bits"
	"strings"
)

// Rat is an exact non-negative rational threshold Num/Den. The zero Rat
// means "no threshold".
type Rat struct {
	Num, Den int64
}

// IsZero reports whether r is unset.
func (r Rat) IsZero() bool { return r.Den == 0 }

// String prints r as a fraction.
func (r Rat) String() string {
	if r.IsZero() {
		return "none"
	}
	return fmt.Sprintf("%d/%d", r.Num, r.Den)
}

// Float is r as a float, for display.
func (r Rat) Float() float64 {
	if r.IsZero() {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// maxDen bounds numerators and denominators so that every product the
// package compares fits in 128 bits with counts below 2^31.
const maxDen = 1 << 31

// parseRat reads a decimal ("0.001", "1e-3") or a fraction ("1/3") exactly.
func parseRat(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return r, nil
}

func toRat(r *big.Rat, s string) (Rat, error) {
	if !r.Num().IsInt64() || !r.Denom().IsInt64() || r.Num().Int64() >= maxDen || r.Denom().Int64() >= maxDen {
		return Rat{}, fmt.Errorf("%q has too many digits (numerator and denominator must stay below 2^31)", s)
	}
	return Rat{Num: r.Num().Int64(), Den: r.Denom().Int64()}, nil
}

// ParseThreshold reads a support or confidence threshold, which must lie in
// (0, 1]. "0.5" becomes exactly 1/2 and "0.001" 1/1000.
func ParseThreshold(name, s string) (Rat, error) {
	r, err := parseRat(s)
	if err != nil {
		return Rat{}, fmt.Errorf("%s: %w", name, err)
	}
	if r.Sign() <= 0 || r.Cmp(big.NewRat(1, 1)) > 0 {
		return Rat{}, fmt.Errorf("%s: %s is outside (0, 1]", name, s)
	}
	q, err := toRat(r, s)
	if err != nil {
		return Rat{}, fmt.Errorf("%s: %w", name, err)
	}
	return q, nil
}

// ParseLift reads a lift threshold, which must be positive; "" means none.
func ParseLift(name, s string) (Rat, error) {
	if strings.TrimSpace(s) == "" {
		return Rat{}, nil
	}
	r, err := parseRat(s)
	if err != nil {
		return Rat{}, fmt.Errorf("%s: %w", name, err)
	}
	if r.Sign() <= 0 {
		return Rat{}, fmt.Errorf("%s: %s must be positive", name, s)
	}
	q, err := toRat(r, s)
	if err != nil {
		return Rat{}, fmt.Errorf("%s: %w", name, err)
	}
	return q, nil
}

// MinCount is ⌈support × n⌉, at least 1: the count an itemset needs to be
// frequent among n baskets.
func MinCount(support Rat, n int) int {
	if support.IsZero() {
		return 1
	}
	c := (support.Num*int64(n) + support.Den - 1) / support.Den
	if c < 1 {
		c = 1
	}
	return int(c)
}

// geq reports whether a×b ≥ c×d for non-negative operands, exactly.
func geq(a, b, c, d uint64) bool {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	return h1 > h2 || (h1 == h2 && l1 >= l2)
}
