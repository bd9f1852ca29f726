package rule

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

// This file holds the brute-force reference: every rule evaluated row by
// row with expr.Run over a map environment, the way expr itself means it,
// with "/" patched to fail on a zero divisor.

type testSets struct {
	tags  map[string]*roaring.Bitmap
	lists map[string]*roaring.Bitmap
}

func (s testSets) Tag(name string) *roaring.Bitmap  { return s.tags[name] }
func (s testSets) List(name string) *roaring.Bitmap { return s.lists[name] }

var (
	testNums  = []string{"n1", "n2", "n3"}
	testTexts = []string{"t1", "t2"}
	testTags  = []string{"x", "y"}
	testLists = []string{"black", "white", "grey"}
)

func testSchema() Schema {
	var cols []feature.Column
	for _, n := range testNums {
		cols = append(cols, feature.Column{Name: n, Type: feature.Number})
	}
	for _, n := range testTexts {
		cols = append(cols, feature.Column{Name: n, Type: feature.Text})
	}
	return Schema{Columns: cols, Tags: testTags, Lists: testLists}
}

var (
	numPool  = []float64{math.NaN(), 0, 1, 2, 3.5, -1, 100, 1e9, -0.5}
	textPool = []string{"", "a", "ab", "B", "DE", "de ", "abc"}
)

func randomTable(rng *rand.Rand, n int) (*feature.Table, testSets) {
	t := &feature.Table{IDs: make([]int64, n), Num: map[string][]float64{}, Text: map[string][]string{}}
	for i := range t.IDs {
		t.IDs[i] = int64(1000 + 3*i)
	}
	for _, c := range testNums {
		col := make([]float64, n)
		for i := range col {
			col[i] = numPool[rng.IntN(len(numPool))]
		}
		t.Num[c] = col
		t.Cols = append(t.Cols, feature.Column{Name: c, Type: feature.Number, TypeName: "number"})
	}
	for _, c := range testTexts {
		col := make([]string, n)
		for i := range col {
			col[i] = textPool[rng.IntN(len(textPool))]
		}
		t.Text[c] = col
		t.Cols = append(t.Cols, feature.Column{Name: c, Type: feature.Text, TypeName: "text"})
	}
	sets := testSets{tags: map[string]*roaring.Bitmap{}, lists: map[string]*roaring.Bitmap{}}
	for k, name := range append(append([]string{}, testTags...), testLists...) {
		bm := roaring.New()
		density := []float64{0.5, 0.1, 0.9, 0.02, 0.3}[k%5]
		for i := range n {
			if rng.Float64() < density {
				bm.Add(uint32(i))
			}
		}
		if k < len(testTags) {
			sets.tags[name] = bm
		} else {
			sets.lists[name] = bm
		}
	}
	return t, sets
}

type divPatch struct{}

func (divPatch) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BinaryNode); ok && b.Operator == "/" {
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__div"}, Arguments: []ast.Node{b.Left, b.Right}})
	}
}

var errOracleDiv = errors.New("oracle: division by zero")

// oracle evaluates src row by row with expr.Run; it returns per-row
// results, or an error when some row divides by zero.
func oracle(src string, tbl *feature.Table, sets testSets) ([]bool, error) {
	row := 0
	env := map[string]any{}
	for _, c := range testNums {
		env[c] = 0.0
	}
	for _, c := range testTexts {
		env[c] = ""
	}
	for _, t := range testTags {
		env[t] = false
	}
	opts := []expr.Option{
		expr.Env(env), expr.DisableAllBuiltins(), expr.AsBool(), expr.Optimize(false), expr.Patch(divPatch{}), expr.Patch(floatMinMax{}),
		expr.Function("tag", func(a ...any) (any, error) { return sets.tags[a[0].(string)].ContainsInt(row), nil }, new(func(string) bool)),
		expr.Function("in_list", func(a ...any) (any, error) { return sets.lists[a[0].(string)].ContainsInt(row), nil }, new(func(string) bool)),
		expr.Function("known", Known, new(func(float64) bool), new(func(string) bool)),
		expr.Function("__div", func(a ...any) (any, error) {
			x, _ := toFloat(a[0])
			y, _ := toFloat(a[1])
			if y == 0 {
				return nil, errOracleDiv
			}
			return x / y, nil
		}, new(func(float64, float64) float64), new(func(int, int) float64), new(func(int, float64) float64), new(func(float64, int) float64)),
	}
	for _, b := range builtins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, fmt.Errorf("oracle compile: %w", err)
	}
	out := make([]bool, tbl.Len())
	for row = range tbl.Len() {
		for _, c := range testNums {
			env[c] = tbl.Num[c][row]
		}
		for _, c := range testTexts {
			env[c] = tbl.Text[c][row]
		}
		for _, t := range testTags {
			env[t] = sets.tags[t].ContainsInt(row)
		}
		v, err := expr.Run(prog, env)
		if err != nil {
			if errors.Is(err, errOracleDiv) || strings.Contains(err.Error(), errOracleDiv.Error()) {
				return nil, errOracleDiv
			}
			return nil, fmt.Errorf("oracle row %d: %w", row, err)
		}
		out[row] = v.(bool)
	}
	return out, nil
}

// checkAgainstOracle compiles src; when it compiles, Eval, Count and
// Explain must agree with the oracle. It returns whether src compiled.
func checkAgainstOracle(t testing.TB, src string, tbl *feature.Table, sets testSets, workers int) bool {
	t.Helper()
	r, err := Compile(src, testSchema())
	if err != nil {
		var re *Error
		if !errors.As(err, &re) {
			t.Fatalf("%q: error is not a *rule.Error: %v", src, err)
		}
		return false
	}
	want, oerr := oracle(src, tbl, sets)
	in := Input{Table: tbl, Sets: sets, Workers: workers}
	got, err := r.Eval(context.Background(), in)
	if oerr != nil {
		if !errors.Is(oerr, errOracleDiv) {
			t.Fatalf("%q: compiles here but the oracle fails: %v", src, oerr)
		}
		if !errors.Is(err, ErrDivisionByZero) {
			t.Fatalf("%q: oracle divides by zero, Eval gave %v", src, err)
		}
		return true
	}
	if err != nil {
		t.Fatalf("%q: Eval: %v (oracle has no error)", src, err)
	}
	for i, w := range want {
		if got.ContainsInt(i) != w {
			t.Fatalf("%q: row %d: got %v, want %v (n1=%v n2=%v n3=%v t1=%q t2=%q x=%v y=%v)", src, i, got.ContainsInt(i), w,
				tbl.Num["n1"][i], tbl.Num["n2"][i], tbl.Num["n3"][i], tbl.Text["t1"][i], tbl.Text["t2"][i],
				sets.tags["x"].ContainsInt(i), sets.tags["y"].ContainsInt(i))
		}
	}
	if uint64(got.GetCardinality()) > uint64(len(want)) || (!got.IsEmpty() && int(got.Maximum()) >= len(want)) {
		t.Fatalf("%q: result has rows outside the table", src)
	}
	c, err := r.Count(context.Background(), in)
	if err != nil || c != got.GetCardinality() {
		t.Fatalf("%q: Count = %d, %v; Eval has %d", src, c, err, got.GetCardinality())
	}
	// within a random subset
	within := roaring.New()
	for i := range tbl.Len() {
		if i%3 == 0 || i%7 == 1 {
			within.AddInt(i)
		}
	}
	in.Within = within
	sub, err := r.Eval(context.Background(), in)
	if err != nil {
		t.Fatalf("%q: Eval within: %v", src, err)
	}
	if !sub.Equals(roaring.And(got, within)) {
		t.Fatalf("%q: Eval within a subset differs from the full result restricted to it", src)
	}
	for _, row := range []int{0, tbl.Len() / 2, tbl.Len() - 1} {
		if row < 0 {
			continue
		}
		x, err := r.Explain(context.Background(), Input{Table: tbl, Sets: sets}, row)
		if err != nil || x.Result != want[row] {
			t.Fatalf("%q: Explain row %d = %v, %v; want %v", src, row, x.Result, err, want[row])
		}
	}
	return true
}

// gen makes random rules of the supported language.
type gen struct{ rng *rand.Rand }

func (g gen) pick(s ...string) string { return s[g.rng.IntN(len(s))] }

func (g gen) boolean(d int) string {
	if d <= 0 {
		return g.pick("x", "y", `tag("x")`, `in_list("black")`, `in_list("grey")`, "true", "false",
			"n1 > 1", "n2 <= 0", "t1 == \"a\"", "known(n3)", "known(t2)")
	}
	switch g.rng.IntN(13) {
	case 0, 1:
		return g.num(d-1) + " " + g.pick("==", "!=", "<", "<=", ">", ">=") + " " + g.num(d-1)
	case 2:
		return g.str(d-1) + " " + g.pick("==", "!=", "<", ">=", "startsWith", "endsWith", "contains") + " " + g.str(d-1)
	case 3:
		return g.str(d-1) + ` matches "^(a|B)"`
	case 4, 5:
		return "(" + g.boolean(d-1) + " " + g.pick("and", "or", "&&", "||") + " " + g.boolean(d-1) + ")"
	case 6:
		return g.pick("not ", "!") + "(" + g.boolean(d-1) + ")"
	case 7:
		return "(" + g.boolean(d-1) + " ? " + g.boolean(d-1) + " : " + g.boolean(d-1) + ")"
	case 8:
		return g.num(d-1) + g.pick(" in ", " not in ") + g.pick("[1, 2, 3.5]", "[0]", "[]", "1..3", "[-1, 100]")
	case 9:
		return g.str(d-1) + g.pick(" in ", " not in ") + g.pick(`["a", "B"]`, `["", "de "]`)
	case 10:
		return "(" + g.boolean(d-1) + ") " + g.pick("==", "!=") + " (" + g.boolean(d-1) + ")"
	case 11:
		return "known(" + g.pick(g.num(d-1), g.str(d-1)) + ")"
	}
	return g.boolean(0)
}

func (g gen) num(d int) string {
	if d <= 0 {
		return g.pick("n1", "n2", "n3", "0", "1", "2.5", "-3", "100")
	}
	switch g.rng.IntN(9) {
	case 0, 1:
		return "(" + g.num(d-1) + " " + g.pick("+", "-", "*", "/", "**") + " " + g.num(d-1) + ")"
	case 2:
		return "-" + g.num(d-1)
	case 3:
		return g.pick("abs", "floor", "ceil", "round") + "(" + g.num(d-1) + ")"
	case 4:
		return g.pick("min", "max") + "(" + g.num(d-1) + ", " + g.num(d-1) + ", " + g.num(0) + ")"
	case 5:
		return "(" + g.boolean(d-1) + " ? " + g.num(d-1) + " : " + g.num(d-1) + ")"
	}
	return g.num(0)
}

func (g gen) str(d int) string {
	if d <= 0 {
		return g.pick("t1", "t2", `"a"`, `""`, `"B"`)
	}
	switch g.rng.IntN(6) {
	case 0:
		return g.pick("lower", "upper", "trim") + "(" + g.str(d-1) + ")"
	case 1:
		return "(" + g.str(d-1) + " + " + g.str(d-1) + ")"
	case 2:
		return "(" + g.boolean(d-1) + " ? " + g.str(d-1) + " : " + g.str(d-1) + ")"
	}
	return g.str(0)
}

func TestRulesMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	small, smallSets := randomTable(rng, 300)
	g := gen{rng}
	compiled, total := 0, 3000
	if testing.Short() {
		total = 300
	}
	for range total {
		src := g.boolean(1 + rng.IntN(4))
		if checkAgainstOracle(t, src, small, smallSets, 1+rng.IntN(3)) {
			compiled++
		}
	}
	if compiled < total*5/6 {
		t.Errorf("only %d of %d random rules compiled", compiled, total)
	}
	// a table spanning several work units and chunks exercises the
	// parallel and sparse paths
	big, bigSets := randomTable(rng, 2*unit+1234)
	for range min(20, total/15) {
		checkAgainstOracle(t, g.boolean(1+rng.IntN(3)), big, bigSets, 2)
	}
}

var fuzzSeeds = []string{
	"n1 > 1 and x",
	"x and y and not in_list(\"black\")",
	"n1 / n2 > 1",
	"n2 != 0 and n1 / n2 > 1",
	"(x or n1 / n2 > 0) and y",
	"t1 startsWith \"a\" || t2 in [\"B\", \"DE\"]",
	"max(n1, n2, 3) >= abs(n3) ? x : known(t1)",
	"n1 in 1..3",
	"1 / 0 > 1",
	"7 % 0 == 1",
	"let a = 1; a > 0",
	"filter([1,2], # > 1) == []",
	"n1 ?? 1 > 0",
	"unknown_col > 1",
	"t1 matches \"(\"",
	"n1 + t1 == 1",
	"tag(\"zz\")",
	"n1 > 1 > 0",
	"1..100000000 == []",
	"len(t1) > 2",
	"t1[0] == \"a\"",
	"9223372036854775807 + 1 > n1",
	"not not (x == y)",
	"(n1 > 0 ? n1 : n2) / n3 > 0.5",
}

func FuzzRule(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	g := gen{rand.New(rand.NewPCG(7, 7))}
	for range 50 {
		f.Add(g.boolean(3))
	}
	tbl, sets := randomTable(rand.New(rand.NewPCG(3, 4)), 97)
	f.Fuzz(func(t *testing.T, src string) {
		checkAgainstOracle(t, src, tbl, sets, 2)
	})
}
