package rule

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/vm"

	"github.com/expr-lang/expr/checker"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

// Builtins are the expr builtins a rule may call; all others are disabled.
var builtins = []string{"abs", "ceil", "floor", "round", "min", "max", "lower", "upper", "trim"}

// Functions of the rule language itself.
const (
	fnTag    = "tag"
	fnInList = "in_list"
	fnKnown  = "known"
)

// Reserved reports whether name cannot be a tag name: a keyword or a
// function of the rule language.
func Reserved(name string) bool {
	switch name {
	case "and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith",
		"true", "false", "nil", "let", "if", "else", fnTag, fnInList, fnKnown:
		return true
	}
	return slices.Contains(builtins, name)
}

type kind uint8

const (
	kBool kind = iota
	kNum
	kStr
)

func (k kind) String() string { return [...]string{"bool", "number", "text"}[k] }

type op uint8

const (
	opConst op = iota
	opCol
	opTag
	opList
	// numbers
	opNeg
	opAdd
	opSub
	opMul
	opDiv
	opPow
	opAbs
	opFloor
	opCeil
	opRound
	opMin
	opMax
	// text
	opConcat
	opLower
	opUpper
	opTrim
	// bool
	opNot
	opAnd
	opOr
	opCmp
	opIn
	opKnown
	opContains
	opStartsWith
	opEndsWith
	opMatches
	// any kind
	opCond
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

var cmpOps = map[string]cmpOp{"==": cmpEq, "!=": cmpNe, "<": cmpLt, "<=": cmpLe, ">": cmpGt, ">=": cmpGe}

// node is a compiled expression node.
type node struct {
	op   op
	kind kind
	id   int // index of the node's buffers in a worker
	loc  file.Location
	kids []*node

	ref int   // opCol: index in Rule.columns; opTag/opList: index in the sets
	cmp cmpOp // opCmp

	// constants: slices of chunk length filled with the value (read-only)
	fconst []float64
	sconst []string
	bconst []bool

	numSet  map[float64]struct{} // opIn
	strSet  map[string]struct{}
	strList []string // strSet's values when there are few
	boolSet [2]bool
	re      *regexp.Regexp // opMatches

	set     bool // a boolean connective over tag/list references (bitmap algebra)
	mayFail bool // evaluating it can fail (a division by a non-constant)
}

// Compile parses, type-checks and compiles a rule that must be true or
// false for each customer.
func Compile(src string, s Schema) (*Rule, error) {
	if len(src) > MaxSourceLen {
		return nil, &Error{Err: ErrInvalid, Message: fmt.Sprintf("rule is too long (%d bytes, at most %d)", len(src), MaxSourceLen), Row: -1}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Err: ErrInvalid, Message: "rule is empty", Row: -1}
	}
	c := &compiler{
		src:    src,
		source: file.NewSource(src),
		cols:   make(map[string]feature.Type, len(s.Columns)),
		tags:   make(map[string]bool, len(s.Tags)),
		lists:  make(map[string]bool, len(s.Lists)),
		colIdx: map[string]int{},
		tagIdx: map[string]int{},
		lstIdx: map[string]int{},
	}
	env := make(map[string]any, len(s.Columns)+len(s.Tags))
	for _, t := range s.Tags {
		c.tags[t] = true
		env[t] = false
	}
	for _, col := range s.Columns {
		c.cols[col.Name] = col.Type
		if col.Type == feature.Text {
			env[col.Name] = ""
		} else {
			env[col.Name] = 0.0
		}
	}
	for _, l := range s.Lists {
		c.lists[l] = true
	}
	c.config = newConfig(env)

	tree, err := parser.ParseWithConfig(src, c.config)
	if err != nil {
		return nil, c.fromExpr(err, "")
	}
	if err := c.resolve(tree.Node); err != nil {
		return nil, err
	}
	ast.Walk(&tree.Node, floatMinMax{})
	if _, err := checker.Check(tree, c.config); err != nil {
		return nil, c.fromExpr(err, "")
	}
	root, err := c.compile(tree.Node)
	if err != nil {
		return nil, err
	}
	if root.kind != kBool {
		return nil, c.errAt(tree.Node.Location(), "a rule must be true or false, this one is a %s", root.kind)
	}
	r := &Rule{src: src, root: root, nodes: c.nodes, colType: c.cols}
	r.columns = make([]colRef, len(c.colList))
	for i, n := range c.colList {
		r.columns[i] = colRef{name: n, typ: c.cols[n]}
	}
	// sets are addressed as tags then lists
	for _, n := range c.all {
		if n.op == opList {
			n.ref += len(c.tagList)
		}
	}
	r.tags = c.tagList
	r.lists = c.lstList
	return r, nil
}

// floatMinMax makes a constant first argument of min and max a float.
// expr types min(0, x) as the type of its first argument (int) while the
// value may be x's float64, and then fails at run time; rules compute
// min and max as numbers.
type floatMinMax struct{}

func (floatMinMax) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BuiltinNode)
	if !ok || (b.Name != "min" && b.Name != "max") || len(b.Arguments) == 0 || !constant(b.Arguments[0]) {
		return
	}
	a := b.Arguments[0]
	one := &ast.FloatNode{Value: 1}
	one.SetLocation(a.Location())
	m := &ast.BinaryNode{Operator: "*", Left: a, Right: one}
	m.SetLocation(a.Location())
	b.Arguments[0] = m
}

// newConfig is the expr configuration of every rule: the schema as the
// environment, the allow-listed builtins and the rule functions, a boolean
// result, no optimizer (the compiler below folds constants itself).
func newConfig(env map[string]any) *conf.Config {
	cfg := conf.CreateNew()
	opts := []expr.Option{
		expr.Env(env),
		expr.DisableAllBuiltins(),
		expr.Optimize(false),
		expr.MaxNodes(MaxNodes),
		expr.Function(fnTag, func(...any) (any, error) { return nil, errors.New("tag() is evaluated by the rule engine") }, new(func(string) bool)),
		expr.Function(fnInList, func(...any) (any, error) { return nil, errors.New("in_list() is evaluated by the rule engine") }, new(func(string) bool)),
		expr.Function(fnKnown, Known, new(func(float64) bool), new(func(string) bool)),
	}
	for _, b := range builtins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	for _, o := range opts {
		o(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	cfg.Check()
	return cfg
}

// Known is the rule function known(x): a number that is not NaN or a text
// that is not empty. Exported for brute-force evaluators of rules.
func Known(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("known takes one argument, got %d", len(args))
	}
	switch v := args[0].(type) {
	case float64:
		return !math.IsNaN(v), nil
	case string:
		return v != "", nil
	case int:
		return true, nil
	}
	return nil, fmt.Errorf("known: unsupported %T", args[0])
}

type compiler struct {
	src    string
	source file.Source
	config *conf.Config
	cols   map[string]feature.Type
	tags   map[string]bool
	lists  map[string]bool

	colIdx, tagIdx, lstIdx    map[string]int
	colList, tagList, lstList []string

	nodes int
	all   []*node
}

func (c *compiler) errAt(loc file.Location, format string, args ...any) *Error {
	return c.posErr(ErrInvalid, loc, fmt.Sprintf(format, args...))
}

func (c *compiler) posErr(kind error, loc file.Location, msg string) *Error {
	fe := (&file.Error{Location: loc, Message: msg}).Bind(c.source)
	return &Error{Err: kind, Message: msg, Line: fe.Line, Column: fe.Column + 1, Snippet: fe.Snippet, Row: -1}
}

// fromExpr converts an error of expr's parser, checker or VM.
func (c *compiler) fromExpr(err error, prefix string) *Error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if m := literalErr.FindStringSubmatch(msg); m != nil {
			// expr reports a bad number at the token after it; point at the number
			if loc, ok := c.literalAt(m[2], fe.From); ok {
				fe = (&file.Error{Location: loc}).Bind(c.source)
			}
			msg = literalMessage(m[1], m[2], m[3])
		} else {
			msg = operandMessage(typeNames.Replace(msg))
		}
		msg = prefix + msg
		if fe.Snippet == "" {
			fe = fe.Bind(c.source)
		}
		e := &Error{Err: ErrInvalid, Message: msg, Line: fe.Line, Column: fe.Column + 1, Snippet: fe.Snippet, Row: -1}
		if fe.Line == 0 {
			e.Line, e.Column = 1, 1
		}
		return e
	}
	return &Error{Err: ErrInvalid, Message: prefix + err.Error(), Row: -1}
}

// literalErr matches expr's message for a number literal it cannot parse:
// the kind of literal, its text (without "_") and strconv's reason.
var literalErr = regexp.MustCompile(`^invalid (integer|float|hex|binary|octal) literal: strconv\.Parse(?:Int|Float): parsing "([^"]*)": (.*)$`)

// literalAt finds the number literal whose text (without "_") is lit and
// which ends before the rune offset at, where expr reports the error.
func (c *compiler) literalAt(lit string, at int) (file.Location, bool) {
	tokens, err := lexer.Lex(c.source)
	if err != nil {
		return file.Location{}, false
	}
	var found file.Location
	ok := false
	for _, t := range tokens {
		if t.From >= at && ok {
			break
		}
		if t.Kind == lexer.Number && strings.ReplaceAll(t.Value, "_", "") == lit {
			found, ok = t.Location, true
		}
	}
	return found, ok
}

// literalMessage says what is wrong with a number literal in a rule's terms.
func literalMessage(kind, lit, reason string) string {
	if !strings.Contains(reason, "out of range") {
		return fmt.Sprintf("%s is not a number", lit)
	}
	if kind == "float" {
		return fmt.Sprintf("number %s is out of range (numbers go up to about 1.8e308)", lit)
	}
	return fmt.Sprintf("number %s is out of range: whole numbers go up to 9223372036854775807; "+
		"write a larger one with a decimal point or an exponent (1e20)", lit)
}

// mismatched matches expr's message for an operator whose operands have
// types it does not accept, after typeNames.
var mismatched = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (\w+) and (\w+)\)$`)

// operandMessage rewrites expr's "mismatched types" message in the rule's
// terms: features are numbers (expr's float64), constants may be integers,
// and the remainder % is computed only between constant whole numbers.
func operandMessage(msg string) string {
	m := mismatched.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	op, a, b := m[1], userType(m[2]), userType(m[3])
	switch op {
	case "%":
		return "% (remainder) is only allowed between whole-number constants, like 10 % 3; " +
			"it cannot be used with features or numbers with decimals"
	case "<", "<=", ">", ">=", "==", "!=":
		return fmt.Sprintf("%s cannot compare a %s with a %s", op, a, b)
	}
	return fmt.Sprintf("%s cannot combine a %s and a %s", op, a, b)
}

func userType(t string) string {
	if t == "integer" {
		return "number"
	}
	return t
}

// typeNames turns Go type names in expr's messages into the rule's.
var typeNames = typeNamer{regexp.MustCompile(`\b(float64|string|int|bool)\b`)}

type typeNamer struct{ re *regexp.Regexp }

func (t typeNamer) Replace(s string) string {
	return t.re.ReplaceAllStringFunc(s, func(m string) string {
		return map[string]string{"float64": "number", "string": "text", "int": "integer", "bool": "boolean"}[m]
	})
}

// resolve walks the parsed tree before type checking: it rejects
// constructs rules do not allow and names that do not exist, with a
// suggestion.
func (c *compiler) resolve(n ast.Node) error {
	switch n := n.(type) {
	case *ast.NilNode:
		return c.errAt(n.Location(), "nil is not allowed in rules; use known(x) to test for an unknown value")
	case *ast.IdentifierNode:
		if _, ok := c.cols[n.Value]; ok {
			return nil
		}
		if c.tags[n.Value] {
			return nil
		}
		return c.errAt(n.Location(), "unknown feature or tag %q%s", n.Value, c.suggest(n.Value))
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode:
		return nil
	case *ast.UnaryNode:
		return c.resolve(n.Node)
	case *ast.BinaryNode:
		switch n.Operator {
		case "|":
			return c.errAt(n.Location(), "the pipe operator is not allowed in rules")
		case "??":
			return c.errAt(n.Location(), "?? is not allowed in rules; values are never nil, use known(x)")
		case "in":
			if !constant(n.Right) {
				return c.errAt(n.Right.Location(), "in needs a constant list, like country in [\"DE\", \"FR\"]")
			}
		}
		if err := c.resolve(n.Left); err != nil {
			return err
		}
		return c.resolve(n.Right)
	case *ast.ConditionalNode:
		for _, k := range []ast.Node{n.Cond, n.Exp1, n.Exp2} {
			if err := c.resolve(k); err != nil {
				return err
			}
		}
		return nil
	case *ast.ArrayNode:
		for _, k := range n.Nodes {
			if err := c.resolve(k); err != nil {
				return err
			}
		}
		return nil
	case *ast.BuiltinNode:
		if !slices.Contains(builtins, n.Name) {
			return c.errAt(n.Location(), "function %s is not allowed in rules (allowed: %s)", n.Name, allowedFuncs())
		}
		for _, k := range n.Arguments {
			if err := c.resolve(k); err != nil {
				return err
			}
		}
		return nil
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return c.errAt(n.Location(), "only plain function calls are allowed in rules")
		}
		switch id.Value {
		case fnTag, fnInList:
			if len(n.Arguments) != 1 {
				return c.errAt(n.Location(), "%s() takes one name in quotes", id.Value)
			}
			s, ok := n.Arguments[0].(*ast.StringNode)
			if !ok {
				return c.errAt(n.Arguments[0].Location(), "%s() takes a name in quotes, like %s(\"vip\")", id.Value, id.Value)
			}
			if id.Value == fnTag && !c.tags[s.Value] {
				return c.errAt(s.Location(), "unknown tag %q%s", s.Value, suggestFrom(s.Value, keys(c.tags)))
			}
			if id.Value == fnInList {
				if len(c.lists) == 0 {
					return c.errAt(n.Location(), "in_list() is not available here")
				}
				if !c.lists[s.Value] {
					return c.errAt(s.Location(), "unknown list %q (lists: %s)", s.Value, strings.Join(sortedSet(c.lists), ", "))
				}
			}
			return nil
		case fnKnown:
			for _, k := range n.Arguments {
				if err := c.resolve(k); err != nil {
					return err
				}
			}
			return nil
		}
		return c.errAt(n.Location(), "unknown function %s (allowed: %s)", id.Value, allowedFuncs())
	case *ast.VariableDeclaratorNode:
		return c.errAt(n.Location(), "let is not allowed in rules")
	case *ast.SequenceNode:
		return c.errAt(n.Location(), "only one expression is allowed in a rule (no ';')")
	case *ast.MemberNode, *ast.ChainNode:
		return c.errAt(n.Location(), "field and index access is not allowed in rules")
	case *ast.SliceNode:
		return c.errAt(n.Location(), "slices are not allowed in rules")
	case *ast.MapNode, *ast.PairNode:
		return c.errAt(n.Location(), "maps are not allowed in rules")
	case *ast.PredicateNode, *ast.PointerNode:
		return c.errAt(n.Location(), "predicates and loops are not allowed in rules")
	case *ast.BytesNode:
		return c.errAt(n.Location(), "byte strings are not allowed in rules")
	}
	return c.errAt(n.Location(), "this construct is not allowed in rules")
}

func allowedFuncs() string {
	return strings.Join(append([]string{fnTag, fnInList, fnKnown}, builtins...), ", ")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	out := keys(m)
	sort.Strings(out)
	return out
}

func (c *compiler) suggest(name string) string {
	cands := make([]string, 0, len(c.cols)+len(c.tags))
	for k := range c.cols {
		cands = append(cands, k)
	}
	cands = append(cands, keys(c.tags)...)
	return suggestFrom(name, cands)
}

// suggestFrom proposes the closest name when it is close enough.
func suggestFrom(name string, cands []string) string {
	best, bestD := "", 1<<30
	sort.Strings(cands)
	for _, k := range cands {
		if d := distance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(2, len(name)/3) {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return ""
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func (c *compiler) newNode(o op, k kind, loc file.Location, kids ...*node) *node {
	n := &node{op: o, kind: k, id: c.nodes, loc: loc, kids: kids}
	c.nodes++
	c.all = append(c.all, n)
	for _, kid := range kids {
		if kid.mayFail {
			n.mayFail = true
		}
	}
	return n
}

// constant reports whether a subtree refers to no customer data.
func constant(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		return false
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == fnKnown {
			for _, a := range n.Arguments {
				if !constant(a) {
					return false
				}
			}
			return true
		}
		return false
	case *ast.UnaryNode:
		return constant(n.Node)
	case *ast.BinaryNode:
		return constant(n.Left) && constant(n.Right)
	case *ast.ConditionalNode:
		return constant(n.Cond) && constant(n.Exp1) && constant(n.Exp2)
	case *ast.ArrayNode:
		for _, k := range n.Nodes {
			if !constant(k) {
				return false
			}
		}
		return true
	case *ast.BuiltinNode:
		for _, k := range n.Arguments {
			if !constant(k) {
				return false
			}
		}
		return true
	}
	return true
}

// run evaluates a constant subtree with expr's own VM, so constants
// follow expr's semantics exactly (integers included).
func (c *compiler) run(n ast.Node) (any, error) {
	cfg := *c.config
	cfg.Expect = reflect.Invalid
	cfg.ExpectAny = false
	prog, err := exprcompiler.Compile(&parser.Tree{Node: n, Source: c.source}, &cfg)
	if err != nil {
		return nil, c.errAt(n.Location(), "cannot evaluate constant: %v", err)
	}
	m := vm.VM{MemoryBudget: 1 << 16}
	v, err := m.Run(prog, nil)
	if err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, c.errAt(n.Location(), "%s", fe.Message)
		}
		return nil, c.errAt(n.Location(), "%v", err)
	}
	return v, nil
}

// checkDivisions rejects a constant zero divisor anywhere in a constant
// subtree.
func (c *compiler) checkDivisions(n ast.Node) error {
	var err error
	ast.Find(n, func(x ast.Node) bool {
		if err != nil {
			return false
		}
		b, ok := x.(*ast.BinaryNode)
		if !ok || (b.Operator != "/" && b.Operator != "%") || !constant(b.Right) {
			return false
		}
		v, e := c.run(b.Right)
		if e != nil {
			err = e
			return true
		}
		if f, ok := toFloat(v); ok && f == 0 {
			err = c.posErr(ErrDivisionByZero, b.Location(), "division by zero")
			return true
		}
		return false
	})
	return err
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case float32:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint32:
		return float64(v), true
	case int8:
		return float64(v), true
	case int16:
		return float64(v), true
	case uint8:
		return float64(v), true
	case uint16:
		return float64(v), true
	}
	return 0, false
}

// constNode makes a constant node from a value computed by expr.
func (c *compiler) constNode(v any, loc file.Location) (*node, error) {
	if f, ok := toFloat(v); ok {
		n := c.newNode(opConst, kNum, loc)
		n.fconst = make([]float64, chunk)
		for i := range n.fconst {
			n.fconst[i] = f
		}
		return n, nil
	}
	switch v := v.(type) {
	case string:
		n := c.newNode(opConst, kStr, loc)
		n.sconst = make([]string, chunk)
		for i := range n.sconst {
			n.sconst[i] = v
		}
		return n, nil
	case bool:
		n := c.newNode(opConst, kBool, loc)
		n.bconst = make([]bool, chunk)
		for i := range n.bconst {
			n.bconst[i] = v
		}
		n.set = true
		return n, nil
	}
	return nil, c.errAt(loc, "a constant of type %T is not allowed here", v)
}

func (c *compiler) compile(an ast.Node) (*node, error) {
	loc := an.Location()
	if constant(an) {
		if _, isArr := an.(*ast.ArrayNode); isArr {
			return nil, c.errAt(loc, "a list is only allowed after in")
		}
		if b, ok := an.(*ast.BinaryNode); ok && b.Operator == ".." {
			return nil, c.errAt(loc, "a range is only allowed after in")
		}
		if err := c.checkDivisions(an); err != nil {
			return nil, err
		}
		v, err := c.run(an)
		if err != nil {
			return nil, err
		}
		return c.constNode(v, loc)
	}
	switch n := an.(type) {
	case *ast.IdentifierNode:
		if t, ok := c.cols[n.Value]; ok {
			k := kNum
			if t == feature.Text {
				k = kStr
			}
			x := c.newNode(opCol, k, loc)
			x.ref = c.colRef(n.Value)
			return x, nil
		}
		return c.tagNode(n.Value, loc), nil
	case *ast.CallNode:
		id := n.Callee.(*ast.IdentifierNode)
		switch id.Value {
		case fnTag:
			return c.tagNode(n.Arguments[0].(*ast.StringNode).Value, loc), nil
		case fnInList:
			name := n.Arguments[0].(*ast.StringNode).Value
			x := c.newNode(opList, kBool, loc)
			if i, ok := c.lstIdx[name]; ok {
				x.ref = i
			} else {
				x.ref = len(c.lstList)
				c.lstIdx[name] = x.ref
				c.lstList = append(c.lstList, name)
			}
			x.set = true
			return x, nil
		case fnKnown:
			if len(n.Arguments) != 1 {
				return nil, c.errAt(loc, "known() takes one argument")
			}
			a, err := c.compile(n.Arguments[0])
			if err != nil {
				return nil, err
			}
			if a.kind == kBool {
				return nil, c.errAt(loc, "known() takes a number or a text")
			}
			return c.newNode(opKnown, kBool, loc, a), nil
		}
	case *ast.UnaryNode:
		a, err := c.compile(n.Node)
		if err != nil {
			return nil, err
		}
		switch n.Operator {
		case "not", "!":
			if a.kind != kBool {
				return nil, c.errAt(loc, "%s needs true or false, not a %s", n.Operator, a.kind)
			}
			x := c.newNode(opNot, kBool, loc, a)
			x.set = a.set
			return x, nil
		case "-":
			if a.kind != kNum {
				return nil, c.errAt(loc, "- needs a number, not a %s", a.kind)
			}
			return c.newNode(opNeg, kNum, loc, a), nil
		case "+":
			if a.kind != kNum {
				return nil, c.errAt(loc, "+ needs a number, not a %s", a.kind)
			}
			return a, nil
		}
	case *ast.BinaryNode:
		return c.binary(n)
	case *ast.ConditionalNode:
		cond, err := c.compile(n.Cond)
		if err != nil {
			return nil, err
		}
		a, err := c.compile(n.Exp1)
		if err != nil {
			return nil, err
		}
		b, err := c.compile(n.Exp2)
		if err != nil {
			return nil, err
		}
		if cond.kind != kBool {
			return nil, c.errAt(n.Cond.Location(), "the condition must be true or false, not a %s", cond.kind)
		}
		if a.kind != b.kind {
			return nil, c.errAt(loc, "both branches must have the same type (here %s and %s)", a.kind, b.kind)
		}
		x := c.newNode(opCond, a.kind, loc, cond, a, b)
		x.set = a.kind == kBool && (cond.set || a.set || b.set)
		return x, nil
	case *ast.BuiltinNode:
		return c.builtin(n)
	case *ast.ArrayNode:
		return nil, c.errAt(loc, "a list after in must hold constants only")
	}
	return nil, c.errAt(loc, "this construct is not allowed in rules")
}

func (c *compiler) colRef(name string) int {
	if i, ok := c.colIdx[name]; ok {
		return i
	}
	i := len(c.colList)
	c.colIdx[name] = i
	c.colList = append(c.colList, name)
	return i
}

func (c *compiler) tagNode(name string, loc file.Location) *node {
	x := c.newNode(opTag, kBool, loc)
	if i, ok := c.tagIdx[name]; ok {
		x.ref = i
	} else {
		x.ref = len(c.tagList)
		c.tagIdx[name] = x.ref
		c.tagList = append(c.tagList, name)
	}
	x.set = true
	return x
}

func (c *compiler) builtin(n *ast.BuiltinNode) (*node, error) {
	loc := n.Location()
	args := make([]*node, len(n.Arguments))
	for i, a := range n.Arguments {
		x, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	want := func(k kind, count int) error {
		if count >= 0 && len(args) != count {
			return c.errAt(loc, "%s takes %d argument(s)", n.Name, count)
		}
		if len(args) == 0 {
			return c.errAt(loc, "%s needs at least one argument", n.Name)
		}
		for i, a := range args {
			if a.kind != k {
				return c.errAt(n.Arguments[i].Location(), "%s needs a %s here, not a %s", n.Name, k, a.kind)
			}
		}
		return nil
	}
	var o op
	switch n.Name {
	case "abs":
		o = opAbs
	case "floor":
		o = opFloor
	case "ceil":
		o = opCeil
	case "round":
		o = opRound
	case "min", "max":
		if err := want(kNum, -1); err != nil {
			return nil, err
		}
		o = opMin
		if n.Name == "max" {
			o = opMax
		}
		return c.newNode(o, kNum, loc, args...), nil
	case "lower", "upper", "trim":
		if err := want(kStr, 1); err != nil {
			return nil, err
		}
		o = map[string]op{"lower": opLower, "upper": opUpper, "trim": opTrim}[n.Name]
		return c.newNode(o, kStr, loc, args...), nil
	default:
		return nil, c.errAt(loc, "function %s is not allowed in rules", n.Name)
	}
	if err := want(kNum, 1); err != nil {
		return nil, err
	}
	return c.newNode(o, kNum, loc, args...), nil
}

func (c *compiler) binary(n *ast.BinaryNode) (*node, error) {
	loc := n.Location()
	switch n.Operator {
	case "..":
		return nil, c.errAt(loc, "a range must have constant bounds and follow in")
	case "in":
		return c.in(n)
	case "%":
		return nil, c.errAt(loc, "%% is only allowed between constant integers")
	}
	a, err := c.compile(n.Left)
	if err != nil {
		return nil, err
	}
	b, err := c.compile(n.Right)
	if err != nil {
		return nil, err
	}
	bad := func() (*node, error) {
		return nil, c.errAt(loc, "%s cannot combine a %s and a %s", n.Operator, a.kind, b.kind)
	}
	switch n.Operator {
	case "and", "&&", "or", "||":
		if a.kind != kBool || b.kind != kBool {
			return bad()
		}
		o := opAnd
		if n.Operator == "or" || n.Operator == "||" {
			o = opOr
		}
		x := c.newNode(o, kBool, loc, a, b)
		x.set = a.set || b.set
		return x, nil
	case "==", "!=", "<", "<=", ">", ">=":
		if a.kind != b.kind || (a.kind == kBool && n.Operator != "==" && n.Operator != "!=") {
			return bad()
		}
		x := c.newNode(opCmp, kBool, loc, a, b)
		x.cmp = cmpOps[n.Operator]
		return x, nil
	case "+":
		if a.kind == kStr && b.kind == kStr {
			return c.newNode(opConcat, kStr, loc, a, b), nil
		}
		if a.kind != kNum || b.kind != kNum {
			return bad()
		}
		return c.newNode(opAdd, kNum, loc, a, b), nil
	case "-", "*", "/", "**", "^":
		if a.kind != kNum || b.kind != kNum {
			return bad()
		}
		o := map[string]op{"-": opSub, "*": opMul, "/": opDiv, "**": opPow, "^": opPow}[n.Operator]
		if o == opDiv && b.op == opConst && b.fconst[0] == 0 {
			return nil, c.posErr(ErrDivisionByZero, loc, "division by zero")
		}
		x := c.newNode(o, kNum, loc, a, b)
		if o == opDiv && b.op != opConst {
			x.mayFail = true
		}
		return x, nil
	case "contains", "startsWith", "endsWith":
		if a.kind != kStr || b.kind != kStr {
			return bad()
		}
		o := map[string]op{"contains": opContains, "startsWith": opStartsWith, "endsWith": opEndsWith}[n.Operator]
		return c.newNode(o, kBool, loc, a, b), nil
	case "matches":
		if a.kind != kStr || b.kind != kStr {
			return bad()
		}
		if b.op != opConst {
			return nil, c.errAt(n.Right.Location(), "the pattern of matches must be a constant text")
		}
		re, err := regexp.Compile(b.sconst[0])
		if err != nil {
			return nil, c.errAt(n.Right.Location(), "bad pattern: %v", err)
		}
		x := c.newNode(opMatches, kBool, loc, a)
		x.re = re
		return x, nil
	}
	return nil, c.errAt(loc, "operator %s is not allowed in rules", n.Operator)
}

func (c *compiler) in(n *ast.BinaryNode) (*node, error) {
	loc := n.Location()
	if !constant(n.Right) {
		return nil, c.errAt(n.Right.Location(), "in needs a constant list, like country in [\"DE\", \"FR\"]")
	}
	a, err := c.compile(n.Left)
	if err != nil {
		return nil, err
	}
	if err := c.checkDivisions(n.Right); err != nil {
		return nil, err
	}
	v, err := c.run(n.Right)
	if err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v)
	if v == nil || (rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array) {
		return nil, c.errAt(n.Right.Location(), "in needs a list, like [1, 2, 3]")
	}
	x := c.newNode(opIn, kBool, loc, a)
	x.numSet = map[float64]struct{}{}
	x.strSet = map[string]struct{}{}
	for i := range rv.Len() {
		e := rv.Index(i).Interface()
		if f, ok := toFloat(e); ok {
			x.numSet[f] = struct{}{}
			continue
		}
		switch e := e.(type) {
		case string:
			x.strSet[e] = struct{}{}
		case bool:
			if e {
				x.boolSet[1] = true
			} else {
				x.boolSet[0] = true
			}
		}
	}
	if len(x.strSet) <= 8 {
		x.strList = slices.Sorted(maps.Keys(x.strSet))
	}
	return x, nil
}
