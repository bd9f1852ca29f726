package rule

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

// Sentinel errors; every error of this package is an *Error wrapping one.
var (
	// ErrInvalid: the rule does not parse, names something unknown, has a
	// type error or uses a construct rules do not allow.
	ErrInvalid = errors.New("invalid rule")
	// ErrDivisionByZero: a division by zero, at compile time (a constant
	// divisor) or while evaluating a customer.
	ErrDivisionByZero = errors.New("division by zero")
	// ErrTable: the table does not have a column the rule was compiled for.
	ErrTable = errors.New("table does not match the rule")
)

// Limits that keep every rule small and bounded.
const (
	MaxSourceLen = 16 << 10 // bytes of rule text
	MaxNodes     = 2000     // syntax tree nodes
)

// Schema is what a rule may name.
type Schema struct {
	Columns []feature.Column // feature columns by name and type
	Tags    []string         // tags usable as booleans and in tag("...")
	Lists   []string         // lists usable in in_list("..."); none: in_list is not allowed
}

// Error is a rule error with the position of the mistake.
type Error struct {
	Err     error  // ErrInvalid, ErrDivisionByZero or ErrTable
	Message string // what is wrong, without the position
	Line    int    // 1-based line in the rule; 0 when not about a position
	Column  int    // 1-based column (in characters)
	Snippet string // the rule's line and a caret under the mistake

	// Evaluation errors only: the dense customer number and customer id
	// where it happened; Row is -1 otherwise.
	Row        int
	CustomerID int64
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	if e.Row >= 0 {
		fmt.Fprintf(&b, " for customer %d", e.CustomerID)
	}
	b.WriteString(e.Snippet)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Rule is a compiled, type-checked rule. It is immutable and safe for
// concurrent use.
type Rule struct {
	src     string
	root    *node
	nodes   int // compiled nodes, for worker buffers
	columns []colRef
	tags    []string
	lists   []string
	colType map[string]feature.Type
}

type colRef struct {
	name string
	typ  feature.Type
}

// Source returns the rule text.
func (r *Rule) Source() string { return r.src }

func (r *Rule) String() string { return r.src }

// Columns returns the feature columns the rule reads, sorted.
func (r *Rule) Columns() []string {
	out := make([]string, len(r.columns))
	for i, c := range r.columns {
		out[i] = c.name
	}
	slices.Sort(out)
	return out
}

// Tags returns the tags the rule uses, sorted.
func (r *Rule) Tags() []string { return slices.Sorted(slices.Values(r.tags)) }

// Lists returns the admission lists the rule uses, sorted.
func (r *Rule) Lists() []string { return slices.Sorted(slices.Values(r.lists)) }
