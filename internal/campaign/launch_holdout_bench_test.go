//go:build unix

package campaign_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/marketing/markettest"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// classFeatures serves value_loyalty_class from a hand-made feature table.
type classFeatures struct{ tbl *feature.Table }

func (f classFeatures) Columns(_ context.Context, ids []int64, names []string) (map[string][]string, error) {
	col := f.tbl.Text[names[0]]
	out := make([]string, len(ids))
	for i, id := range ids {
		if r, ok := f.tbl.Index(id); ok {
			out[i] = col[r]
		}
	}
	return map[string][]string{names[0]: out}, nil
}

// BenchmarkLaunchMillionHoldout is BenchmarkLaunchMillion with the default
// 10% holdout stratified over three classes: the draw, the arms and 100k
// holdout rows in the launch transaction. Compare the two side by side:
//
//	go test ./internal/campaign -run XXX -bench 'LaunchMillion' -benchtime 3x -count 5
func BenchmarkLaunchMillionHoldout(b *testing.B) {
	const n = 1_000_000
	r := rand.New(rand.NewPCG(1, 2))
	tbl := &feature.Table{AsOf: markettest.AsOf, IDs: make([]int64, n), Num: map[string][]float64{"frequency": make([]float64, n)},
		Text: map[string][]string{"value_loyalty_class": make([]string, n)},
		Cols: []feature.Column{{Name: "frequency", Type: feature.Number, TypeName: "number"}, {Name: "value_loyalty_class", Type: feature.Text, TypeName: "text"}}}
	for i := range n {
		tbl.IDs[i] = int64(i + 1)
		tbl.Num["frequency"][i] = float64(1 + r.IntN(10))
		tbl.Text["value_loyalty_class"][i] = []string{"A", "B", "C"}[r.IntN(3)]
	}
	st, err := sqlite.Open(context.Background(), b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := campaign.New(campaign.Options{Store: st, Audience: &tableAudience{tbl: tbl, rs: map[string]*rule.Rule{}}, Features: classFeatures{tbl},
		Measure: &campaign.Measurement{Salt: "bench"}, Senders: map[string]campaign.Sender{campaign.Email: nopSender{}},
		Secret: []byte("0123456789abcdef0123"), Clock: func() time.Time { return markettest.AsOf }})
	if err != nil {
		b.Fatal(err)
	}
	benchLaunches(b, svc, "h", func(audience int64) bool { return audience >= n*89/100 && audience <= n*91/100 })
}
