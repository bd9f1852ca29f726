package rule

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/feature"
)

var (
	bigOnce  sync.Once
	bigTable *feature.Table
	bigSets  testSets
)

func table10M() (*feature.Table, testSets) {
	bigOnce.Do(func() { bigTable, bigSets = randomTable(rand.New(rand.NewPCG(9, 9)), 10_000_000) })
	return bigTable, bigSets
}

func BenchmarkEval10M(b *testing.B) {
	tbl, sets := table10M()
	for _, bc := range []struct{ name, src string }{
		{"num_cmp", "n1 > 1"},
		{"text_eq", `t1 == "a"`},
		{"text_in", `t1 in ["a", "B", "DE"]`},
		{"and_or", "n1 > 1 and n2 <= 3 or t2 startsWith \"a\""},
		{"arith", "n1 * 2 + n2 > n3 - 1"},
		{"tags_5", `x and y and not in_list("black") and in_list("white") and not in_list("grey")`},
		{"tag_and_row", `x and n1 > 1`},
	} {
		r, err := Compile(bc.src, testSchema())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Eval(context.Background(), Input{Table: tbl, Sets: sets}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
