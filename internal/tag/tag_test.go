package tag

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/expr-lang/expr"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
)

func TestBuiltinCompilesAgainstFeatureSchema(t *testing.T) {
	defs := Builtin()
	if len(defs) < 40 {
		t.Fatalf("%d built-in tags, want about 40", len(defs))
	}
	m := map[string]Definition{}
	for _, d := range defs {
		m[d.Name] = d
		if d.Description == "" {
			t.Errorf("tag %s has no description", d.Name)
		}
	}
	st := build(m, featureSchema(t))
	for n, p := range st.problems {
		t.Errorf("built-in tag %s: %v", n, p)
	}
}

// bruteForce evaluates every tag row by row with expr.Run over a map of
// the row's values and the tags computed so far.
func bruteForce(t *testing.T, defs []Definition, tbl *feature.Table) map[string][]bool {
	t.Helper()
	st := build(byName(defs), tbl.Cols)
	out := map[string][]bool{}
	env := map[string]any{}
	for _, c := range tbl.Cols {
		if c.Type == feature.Text {
			env[c.Name] = ""
		} else {
			env[c.Name] = 0.0
		}
	}
	for _, d := range defs {
		env[d.Name] = false
	}
	for _, n := range st.order {
		prog, err := expr.Compile(m(defs)[n].Rule, expr.Env(env), expr.AsBool())
		if err != nil {
			t.Fatalf("oracle compile %s: %v", n, err)
		}
		res := make([]bool, tbl.Len())
		for i := range res {
			for k, col := range tbl.Num {
				env[k] = col[i]
			}
			for k, col := range tbl.Text {
				env[k] = col[i]
			}
			for k, v := range out {
				env[k] = v[i]
			}
			v, err := expr.Run(prog, env)
			if err != nil {
				t.Fatalf("oracle %s row %d: %v", n, i, err)
			}
			res[i] = v.(bool)
		}
		out[n] = res
	}
	return out
}

func byName(defs []Definition) map[string]Definition {
	out := map[string]Definition{}
	for _, d := range defs {
		out[d.Name] = d
	}
	return out
}

func m(defs []Definition) map[string]Definition { return byName(defs) }

func newComputed(t *testing.T, defs []Definition, tbl *feature.Table) *Engine {
	t.Helper()
	e := New(Options{Workers: 2})
	e.SetSchema(tbl.Cols)
	ctx := context.Background()
	if _, err := e.Apply(ctx, defs, "test"); err != nil {
		t.Fatal(err)
	}
	if err := e.Compute(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBuiltinTagsMatchBruteForce(t *testing.T) {
	tbl := synthTable(featureSchema(t), 3000, 1)
	defs := Builtin()
	e := newComputed(t, defs, tbl)
	want := bruteForce(t, defs, tbl)
	for _, d := range defs {
		bm := e.Tag(d.Name)
		if bm == nil {
			t.Fatalf("tag %s has no bitmap", d.Name)
		}
		n := 0
		for i, w := range want[d.Name] {
			if bm.ContainsInt(i) != w {
				t.Fatalf("tag %s row %d: got %v want %v", d.Name, i, !w, w)
			}
			if w {
				n++
			}
		}
		info, _ := e.Get(d.Name)
		if info.Count != int64(n) || info.Problem != "" {
			t.Errorf("tag %s: coverage %+v, want count %d", d.Name, info.Coverage, n)
		}
	}
}

func TestUpdateMatchesRecompute(t *testing.T) {
	cols := featureSchema(t)
	tbl := synthTable(cols, 5000, 2)
	defs := Builtin()
	e := newComputed(t, defs, tbl)
	donor := synthTable(cols, 5000, 3)
	rng := rand.New(rand.NewPCG(4, 4))
	ctx := context.Background()
	for round := range 5 {
		before := map[string]*roaring.Bitmap{}
		for _, d := range defs {
			before[d.Name] = e.Tag(d.Name).Clone()
		}
		var rows []int
		for range 1 + rng.IntN(200) {
			r := rng.IntN(tbl.Len())
			rows = append(rows, r)
			for k, col := range tbl.Num {
				col[r] = donor.Num[k][rng.IntN(donor.Len())]
			}
			for k, col := range tbl.Text {
				col[r] = donor.Text[k][rng.IntN(donor.Len())]
			}
		}
		changes, err := e.Update(ctx, tbl, rows)
		if err != nil {
			t.Fatal(err)
		}
		fresh := newComputed(t, defs, tbl)
		for _, d := range defs {
			if !e.Tag(d.Name).Equals(fresh.Tag(d.Name)) {
				t.Fatalf("round %d: tag %s differs from a full recompute after Update", round, d.Name)
			}
		}
		for _, c := range changes {
			if before[c.Tag].ContainsInt(c.Row) == c.Member || e.Tag(c.Tag).ContainsInt(c.Row) != c.Member {
				t.Fatalf("round %d: bad change %+v", round, c)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown field", "- name: a\n  kind: model\n  rul: x > 1\n", `t.yaml:3: tag "a": unknown field "rul"`},
		{"bad kind", "- name: a\n  kind: hobby\n  rule: x\n", `t.yaml:1: tag "a": kind "hobby" must be one of`},
		{"bad name", "- name: A-b\n  kind: model\n  rule: x\n", `name "A-b" must be lower_snake_case`},
		{"reserved", "- name: known\n  kind: model\n  rule: x\n", `is a word of the rule language`},
		{"no rule", "- name: a\n  kind: model\n", `rule is missing`},
		{"twice", "- {name: a, kind: model, rule: x}\n- {name: a, kind: model, rule: y}\n", `t.yaml:2: tag "a": defined twice (first on line 1)`},
		{"syntax", "tags: [\n", `t.yaml: cannot parse`},
		{"not a list", "tags: 3\n", `tags must be a list`},
		{"json", `[{"name": "a", "kind": "model", "rule": "x", "extra": 1}]`, `t.yaml:1: tag "a": unknown field "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	defs, err := Parse("t.json", []byte(`{"name": "a", "kind": "event", "rule": "views_7d > 1"}`))
	if err != nil || len(defs) != 1 || defs[0].Rule != "views_7d > 1" {
		t.Fatalf("one JSON tag: %v %+v", err, defs)
	}
}

func TestApplyRejectsBadRulesWithPosition(t *testing.T) {
	cols := featureSchema(t)
	src := `tags:
  - name: good
    kind: model
    rule: frequency > 1
  - name: typo
    kind: model
    rule: frequncy > 1 and monetary > 10
  - name: types
    kind: model
    rule: |
      frequency > 1 and
        top_category > 3
  - name: quoted
    kind: model
    rule: "monetary / 0 > 1"
`
	defs, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e := New(Options{})
	e.SetSchema(cols)
	_, err = e.Apply(context.Background(), defs, "test")
	if err == nil {
		t.Fatal("bad batch accepted")
	}
	for _, want := range []string{
		`x.yaml:7:11: tag "typo": rule: unknown feature or tag "frequncy" (did you mean frequency?) (line 1, column 1)`,
		`x.yaml:12: tag "types": rule: > cannot compare a text with a number (line 2, column 16)`,
		`x.yaml:15:21: tag "quoted": rule: division by zero (line 1, column 10)`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var re *rule.Error
	if !errors.As(err, &re) {
		t.Errorf("no *rule.Error in %v", err)
	}
	// nothing stored, nothing changed
	if len(e.List()) != 0 {
		t.Errorf("a rejected batch left tags: %+v", e.List())
	}
	if _, err := e.History(context.Background(), "good"); !errors.Is(err, ErrNotFound) {
		t.Errorf("history of a rejected tag: %v", err)
	}
}

func TestCyclesAndDependencies(t *testing.T) {
	tbl := synthTable(featureSchema(t), 500, 5)
	ctx := context.Background()
	e := newComputed(t, []Definition{
		{Name: "a", Kind: Model, Rule: "frequency > 2"},
		{Name: "b", Kind: Model, Rule: "a and monetary > 100"},
		{Name: "c", Kind: Model, Rule: `tag("b") or recency_days < 10`},
	}, tbl)
	_, err := e.Apply(ctx, []Definition{{Name: "a", Kind: Model, Rule: "c and frequency > 2"}}, "test")
	if err == nil || !strings.Contains(err.Error(), "cycle: a → c → b → a") {
		t.Fatalf("cycle not reported: %v", err)
	}
	if _, err := e.Apply(ctx, []Definition{{Name: "self", Kind: Model, Rule: "self or frequency > 1"}}, "test"); err == nil || !strings.Contains(err.Error(), "self → self") {
		t.Fatalf("self reference: %v", err)
	}
	// deletes are refused while used
	e.Guard(func(tag string) []string {
		if tag == "c" {
			return []string{"segment:winter"}
		}
		return nil
	})
	err = e.Delete(ctx, "a", "test")
	var iu *InUseError
	if !errors.As(err, &iu) || !slices.Equal(iu.Dependents, []string{"tag:b"}) || !errors.Is(err, ErrInUse) {
		t.Fatalf("delete a: %v", err)
	}
	if err := e.Delete(ctx, "c", "test"); err == nil || !strings.Contains(err.Error(), "segment:winter") {
		t.Fatalf("delete c: %v", err)
	}
	if err := e.Delete(ctx, "nope", "test"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	// changing a dependency re-evaluates its users
	if _, err := e.Apply(ctx, []Definition{{Name: "a", Kind: Model, Rule: "false"}}, "test"); err != nil {
		t.Fatal(err)
	}
	if !e.Tag("b").IsEmpty() {
		t.Errorf("b still has members after a became false")
	}
	h, err := e.History(ctx, "a")
	if err != nil || len(h) != 2 || h[1].Rule != "false" || h[0].Rule != "frequency > 2" {
		t.Fatalf("history: %v %+v", err, h)
	}
}

func TestRuntimeDivisionByZeroIsRejected(t *testing.T) {
	tbl := synthTable(featureSchema(t), 500, 6)
	tbl.Num["frequency"][17] = 0
	e := newComputed(t, []Definition{{Name: "a", Kind: Model, Rule: "frequency > 2"}}, tbl)
	_, err := e.Apply(context.Background(), []Definition{{Name: "aov", Kind: Model, Rule: "monetary / frequency > 50"}}, "test")
	if !errors.Is(err, rule.ErrDivisionByZero) || !strings.Contains(err.Error(), "for customer ") {
		t.Fatalf("got %v", err)
	}
	if _, err := e.Get("aov"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rejected tag exists: %v", err)
	}
	// the guarded form is fine
	if _, err := e.Apply(context.Background(), []Definition{{Name: "aov", Kind: Model, Rule: "frequency > 0 and monetary / frequency > 50"}}, "test"); err != nil {
		t.Fatal(err)
	}
}

func TestWhy(t *testing.T) {
	tbl := synthTable(featureSchema(t), 100, 7)
	tbl.Num["frequency"][3] = 5
	tbl.Num["monetary"][3] = 900
	e := newComputed(t, []Definition{
		{Name: "a", Kind: Model, Rule: "frequency > 2"},
		{Name: "b", Kind: Behaviour, Rule: "a and monetary > 100", Description: "big"},
	}, tbl)
	w, err := e.Why(context.Background(), "b", tbl.IDs[3])
	if err != nil {
		t.Fatal(err)
	}
	if !w.Member || !w.Result || w.Rule != "a and monetary > 100" || len(w.Values) != 2 {
		t.Fatalf("why: %+v", w)
	}
	if w.Values[0] != (rule.Value{Name: "monetary", Kind: "number", Value: 900.0}) || w.Values[1] != (rule.Value{Name: "a", Kind: "tag", Value: true}) {
		t.Fatalf("values: %+v", w.Values)
	}
	all, err := e.Customer(context.Background(), tbl.IDs[3])
	if err != nil || len(all) != 2 {
		t.Fatalf("customer tags: %v %+v", err, all)
	}
	if _, err := e.Why(context.Background(), "b", 99999); !errors.Is(err, ErrUnknownCustomer) {
		t.Fatalf("unknown customer: %v", err)
	}
}

func TestComputeReportsMissingColumns(t *testing.T) {
	tbl := synthTable([]feature.Column{{Name: "frequency", Type: feature.Number}}, 10, 8)
	e := New(Options{})
	e.SetSchema(featureSchema(t))
	ctx := context.Background()
	if _, err := e.Apply(ctx, []Definition{{Name: "a", Kind: Model, Rule: "frequency > 1"}, {Name: "b", Kind: Model, Rule: "monetary > 1"}, {Name: "c", Kind: Model, Rule: "b or a"}}, "test"); err != nil {
		t.Fatal(err)
	}
	err := e.Compute(ctx, tbl)
	if err == nil || !strings.Contains(err.Error(), `tag "b": rule: unknown feature or tag "monetary"`) || !strings.Contains(err.Error(), `tag "c": uses tag "b", which has an error`) {
		t.Fatalf("got %v", err)
	}
	if e.Tag("a") == nil {
		t.Fatal("the good tag was not computed")
	}
	info, _ := e.Get("b")
	if info.Problem == "" {
		t.Fatal("no problem listed for b")
	}
}
