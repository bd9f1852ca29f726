package campaign

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// classTable serves a value_loyalty_class column for ids 1..n, as the
// feature table would (one read for a batch of ids).
type classTable []string

func (t classTable) Columns(_ context.Context, ids []int64, names []string) (map[string][]string, error) {
	vals := make([]string, len(ids))
	for i, id := range ids {
		vals[i] = t[id-1]
	}
	return map[string][]string{names[0]: vals}, nil
}

// BenchmarkLaunchHoldout1M is what holdouts add to the launch of a
// 1M-customer audience: the class of every customer, the exact stratified
// draw (10% within 3 classes), and the 100k holdout rows written to the
// contact history of a real SQLite store in the launch transaction.
//
//	go test ./internal/campaign -run XXX -bench LaunchHoldout1M -benchtime 3x -count 5
func BenchmarkLaunchHoldout1M(b *testing.B) {
	const n = 1_000_000
	tbl := make(classTable, n)
	ids := make([]int64, n)
	for i := range n {
		ids[i] = int64(i + 1)
		tbl[i] = []string{"A", "B", "C"}[(i*7)%3]
	}
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := &Service{opts: Options{Features: tbl, Measure: &Measurement{Salt: "bench"}}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := &Saved{Campaign: Campaign{Name: "big" + string(rune('a'+i%26)) + time.Now().Format("150405.000000"), Channels: []string{Email}}}
		_, held, pv, err := s.holdout(&c.Campaign, ids)
		if err != nil || pv.Size < n/10-2 || pv.Size > n/10+2 { // 10% of each class, rounded
			b.Fatal(err, pv)
		}
		err = st.UpdateMarketing(context.Background(), func(tx store.MarketingTx) error {
			return s.recordHoldout(context.Background(), tx, c, held, time.Now())
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
