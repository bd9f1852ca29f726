package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/expr-lang/expr"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// fakeLists is a fixed set of list members by customer id; rows are
// cached per table, as the admission engine does.
type fakeLists map[string]map[int64]bool

var (
	fakeMu    sync.Mutex
	fakeCache = map[fakeKey]*roaring.Bitmap{}
)

type fakeKey struct {
	list string
	tbl  *feature.Table
	n    int
}

func (f fakeLists) Rows(list string, tbl *feature.Table) *roaring.Bitmap {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	k := fakeKey{list, tbl, tbl.Len()}
	if bm, ok := fakeCache[k]; ok {
		return bm
	}
	bm := roaring.New()
	for id := range f[list] {
		if r, ok := tbl.Index(id); ok {
			bm.AddInt(r)
		}
	}
	fakeCache[k] = bm
	return bm
}

var countries = []string{"DE", "FR", "CN", ""}

func testTable(n int, seed uint64) *feature.Table {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &feature.Table{IDs: make([]int64, n), Num: map[string][]float64{"frequency": make([]float64, n), "monetary": make([]float64, n)},
		Text: map[string][]string{"country": make([]string, n)},
		Cols: []feature.Column{{Name: "frequency", Type: feature.Number}, {Name: "monetary", Type: feature.Number}, {Name: "country", Type: feature.Text}}}
	for i := range n {
		t.IDs[i] = int64(10 + 2*i)
		t.Num["frequency"][i] = float64(rng.IntN(10))
		t.Num["monetary"][i] = float64(rng.IntN(1000))
		t.Text["country"][i] = countries[rng.IntN(len(countries))]
	}
	return t
}

var tagDefs = func() []tag.Definition {
	var out []tag.Definition
	for i := range 8 {
		out = append(out, tag.Definition{Name: fmt.Sprintf("t%d", i), Kind: tag.Model,
			Rule: fmt.Sprintf("frequency >= %d and monetary < %d", i, 300+100*i)})
	}
	out = append(out, tag.Definition{Name: "german", Kind: tag.Attribute, Rule: `country == "DE"`})
	return out
}()

type fixture struct {
	tbl   *feature.Table
	tags  *tag.Engine
	seg   *Engine
	store *memStore
	lists fakeLists
	now   time.Time
}

func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	f := &fixture{tbl: testTable(n, 1), store: newMemStore(), now: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)}
	f.lists = fakeLists{"black": {}, "white": {}, "grey": {}}
	for i, id := range f.tbl.IDs {
		if i%7 == 0 {
			f.lists["black"][id] = true
		}
		if i%5 == 1 {
			f.lists["white"][id] = true
		}
	}
	ctx := context.Background()
	f.tags = tag.New(tag.Options{Workers: 2})
	f.tags.SetSchema(f.tbl.Cols)
	if _, err := f.tags.Apply(ctx, tagDefs, "test"); err != nil {
		t.Fatal(err)
	}
	if err := f.tags.Compute(ctx, f.tbl); err != nil {
		t.Fatal(err)
	}
	f.seg = New(Options{Store: f.store, Tags: f.tags, Lists: f.lists, Clock: func() time.Time { return f.now }, Workers: 2})
	return f
}

// oracle evaluates a segment rule row by row with expr.Run.
func (f *fixture) oracle(t *testing.T, src string) []bool {
	t.Helper()
	_, bms := f.tags.Snapshot()
	row := 0
	env := map[string]any{"frequency": 0.0, "monetary": 0.0, "country": ""}
	for n := range bms {
		env[n] = false
	}
	prog, err := expr.Compile(src, expr.Env(env), expr.AsBool(),
		expr.Function("in_list", func(a ...any) (any, error) { return f.lists[a[0].(string)][f.tbl.IDs[row]], nil }, new(func(string) bool)),
		expr.Function("tag", func(a ...any) (any, error) { return bms[a[0].(string)].ContainsInt(row), nil }, new(func(string) bool)))
	if err != nil {
		t.Fatalf("oracle compile %q: %v", src, err)
	}
	out := make([]bool, f.tbl.Len())
	for row = range out {
		env["frequency"], env["monetary"], env["country"] = f.tbl.Num["frequency"][row], f.tbl.Num["monetary"][row], f.tbl.Text["country"][row]
		for n, bm := range bms {
			env[n] = bm.ContainsInt(row)
		}
		v, err := expr.Run(prog, env)
		if err != nil {
			t.Fatalf("oracle %q: %v", src, err)
		}
		out[row] = v.(bool)
	}
	return out
}

func randomSegment(rng *rand.Rand, d int) string {
	if d == 0 {
		switch rng.IntN(6) {
		case 0:
			return fmt.Sprintf(`in_list("%s")`, []string{"black", "white", "grey"}[rng.IntN(3)])
		case 1:
			return fmt.Sprintf("monetary > %d", rng.IntN(1000))
		case 2:
			return fmt.Sprintf(`country in ["%s"]`, countries[rng.IntN(len(countries))])
		case 3:
			return "german"
		}
		return fmt.Sprintf("t%d", rng.IntN(8))
	}
	switch rng.IntN(4) {
	case 0:
		return "not (" + randomSegment(rng, d-1) + ")"
	case 1:
		return "(" + randomSegment(rng, d-1) + " or " + randomSegment(rng, d-1) + ")"
	}
	return "(" + randomSegment(rng, d-1) + " and " + randomSegment(rng, d-1) + ")"
}

func TestSegmentsMatchBruteForce(t *testing.T) {
	f := newFixture(t, 70_000)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 5))
	srcs := []string{"t1 and t2 and t3 and t4 and t5", "(t1 or t2) and not in_list(\"black\")", "t0 and not t3 and monetary > 500"}
	for range 60 {
		srcs = append(srcs, randomSegment(rng, 1+rng.IntN(4)))
	}
	for _, src := range srcs {
		want := f.oracle(t, src)
		bm, tbl, err := f.seg.Evaluate(ctx, src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		n := uint64(0)
		for i, w := range want {
			if bm.ContainsInt(i) != w {
				t.Fatalf("%q: row %d (customer %d): got %v want %v", src, i, tbl.IDs[i], !w, w)
			}
			if w {
				n++
			}
		}
		c, err := f.seg.Count(ctx, src)
		if err != nil || c != n {
			t.Fatalf("%q: count %d, %v; want %d", src, c, err, n)
		}
	}
}

func TestSaveListExportHistory(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := context.Background()
	v, err := f.seg.Save(ctx, Segment{Name: "winback", Rule: "t1 and not in_list(\"black\")", Description: "d"}, "alice")
	if err != nil || v != 1 {
		t.Fatalf("save: %d %v", v, err)
	}
	f.now = f.now.Add(time.Hour)
	if v, err = f.seg.Save(ctx, Segment{Name: "winback", Rule: "t2 and not in_list(\"black\")"}, "bob"); err != nil || v != 2 {
		t.Fatalf("save again: %d %v", v, err)
	}
	want := f.oracle(t, "t2 and not in_list(\"black\")")
	info, err := f.seg.Get("winback")
	if err != nil || info.Version != 2 || info.Author != "bob" {
		t.Fatalf("get: %+v %v", info, err)
	}
	var buf bytes.Buffer
	if err := f.seg.Export(ctx, "winback", &buf); err != nil {
		t.Fatal(err)
	}
	var wantCSV strings.Builder
	wantCSV.WriteString("customer_id\n")
	count := 0
	for i, w := range want {
		if w {
			fmt.Fprintf(&wantCSV, "%d\n", f.tbl.IDs[i])
			count++
		}
	}
	if buf.String() != wantCSV.String() || info.Count != int64(count) {
		t.Fatalf("export differs (count %d want %d)", info.Count, count)
	}
	h, err := f.seg.History(ctx, "winback")
	if err != nil || len(h) != 2 || h[0].Rule != "t1 and not in_list(\"black\")" {
		t.Fatalf("history: %+v %v", h, err)
	}
	f.now = f.now.Add(time.Hour)
	if err := f.seg.RecordSizes(ctx); err != nil {
		t.Fatal(err)
	}
	sizes, err := f.seg.Sizes(ctx, "winback", time.Time{}, time.Time{})
	if err != nil || len(sizes) != 3 || sizes[2].Count != int64(count) || !sizes[2].At.Equal(f.now) {
		t.Fatalf("sizes: %+v %v", sizes, err)
	}
	if l := f.seg.List(); len(l) != 1 || l[0].Name != "winback" {
		t.Fatalf("list: %+v", l)
	}
	// a restart: Load and Refresh give the same members
	again := New(Options{Store: f.store, Tags: f.tags, Lists: f.lists})
	if n, err := again.Load(ctx); err != nil || n != 1 {
		t.Fatalf("load: %d %v", n, err)
	}
	if err := again.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	a, _, _ := again.Members("winback")
	b, _, _ := f.seg.Members("winback")
	if !a.Equals(b) {
		t.Fatal("members differ after Load+Refresh")
	}
	if err := f.seg.Delete(ctx, "winback", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.seg.Get("winback"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted segment: %v", err)
	}
}

func TestBadSegments(t *testing.T) {
	f := newFixture(t, 500)
	ctx := context.Background()
	for _, tc := range []struct{ src, want string }{
		{"t1 and vipp", `unknown feature or tag "vipp" (line 1, column 8)`},
		{`t1 and in_list("red")`, `unknown list "red"`},
		{"t1 and monetary / 0 > 1", "division by zero"},
		{"t1 and country > 1", "> cannot compare a text with a number"},
	} {
		if _, err := f.seg.Count(ctx, tc.src); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.src, err, tc.want)
		}
		if _, err := f.seg.Save(ctx, Segment{Name: "bad", Rule: tc.src}, "x"); err == nil {
			t.Errorf("%q: saved", tc.src)
		}
	}
	f.tbl.Num["frequency"][3] = 0
	if _, err := f.seg.Save(ctx, Segment{Name: "bad", Rule: "monetary / frequency > 10"}, "x"); !errors.Is(err, rule.ErrDivisionByZero) {
		t.Errorf("runtime division: %v", err)
	}
	if _, err := f.seg.Get("bad"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a bad segment was kept: %v", err)
	}
	if _, err := f.seg.Save(ctx, Segment{Name: "Bad Name", Rule: "t1"}, "x"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
}

func TestDeletingUsedTagIsRefused(t *testing.T) {
	f := newFixture(t, 500)
	ctx := context.Background()
	if _, err := f.seg.Save(ctx, Segment{Name: "a", Rule: "t1 and t2"}, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.seg.Save(ctx, Segment{Name: "b", Rule: `tag("t2") or german`}, "x"); err != nil {
		t.Fatal(err)
	}
	err := f.tags.Delete(ctx, "t2", "x")
	var iu *tag.InUseError
	if !errors.As(err, &iu) || strings.Join(iu.Dependents, ",") != "segment:a,segment:b" {
		t.Fatalf("got %v", err)
	}
	if err := f.tags.Delete(ctx, "t7", "x"); err != nil {
		t.Fatalf("unused tag: %v", err)
	}
}

func TestUpdateKeepsMembersCurrent(t *testing.T) {
	f := newFixture(t, 20_000)
	ctx := context.Background()
	segs := map[string]string{"s1": "t1 and t2 and not in_list(\"black\")", "s2": "german or monetary > 900", "s3": "not t0 or (t3 and country == \"FR\")"}
	for n, src := range segs {
		if _, err := f.seg.Save(ctx, Segment{Name: n, Rule: src}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for round := range 10 {
		before := map[string]*roaring.Bitmap{}
		for n := range segs {
			bm, _, _ := f.seg.Members(n)
			before[n] = bm.Clone()
		}
		var rows []int
		for range 1 + rng.IntN(50) {
			r := rng.IntN(f.tbl.Len())
			rows = append(rows, r)
			f.tbl.Num["frequency"][r] = float64(rng.IntN(10))
			f.tbl.Num["monetary"][r] = float64(rng.IntN(1000))
			f.tbl.Text["country"][r] = countries[rng.IntN(len(countries))]
		}
		ch, err := f.seg.Update(ctx, f.tbl, rows)
		if err != nil {
			t.Fatal(err)
		}
		for n, src := range segs {
			fresh, _, err := f.seg.Evaluate(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := f.seg.Members(n)
			if !got.Equals(fresh) {
				t.Fatalf("round %d: segment %s differs from a fresh evaluation", round, n)
			}
		}
		for _, c := range ch.Segments {
			now, _, _ := f.seg.Members(c.Segment)
			if before[c.Segment].ContainsInt(c.Row) == c.Member || now.ContainsInt(c.Row) != c.Member || f.tbl.IDs[c.Row] != c.CustomerID {
				t.Fatalf("round %d: bad change %+v", round, c)
			}
		}
	}
}

func TestReadsDuringUpdates(t *testing.T) {
	f := newFixture(t, 5000)
	ctx := context.Background()
	if _, err := f.seg.Save(ctx, Segment{Name: "s", Rule: "t1 and not in_list(\"black\")"}, "x"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			rows := []int{i, i * 7 % 5000, i * 13 % 5000}
			for _, r := range rows {
				f.tbl.Num["monetary"][r] = float64(i * 17 % 1000)
			}
			if _, err := f.seg.Update(ctx, f.tbl, rows); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		// readers only touch published snapshots
		if bm, _, err := f.seg.Members("s"); err != nil || bm.GetCardinality() > 5000 {
			t.Fatalf("members: %v", err)
		}
		f.seg.List()
		f.tags.List()
	}
}
