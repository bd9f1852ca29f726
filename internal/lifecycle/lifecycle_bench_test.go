package lifecycle

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// BenchmarkRecord10M takes the snapshot of a 10-million-customer table,
// reads the previous one from the data directory, compares them, stores
// the record in SQLite and writes the new base: what serve does every hour
// (flows once a day). Between two snapshots one customer in 50 changes
// stage, one in 1,000 leaves and as many enter.
func BenchmarkRecord10M(b *testing.B) {
	const n = 10_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	stages := rfm.Stages()
	ids := make([]int64, n)
	st := make([]string, n)
	id := int64(0)
	for i := range ids {
		id += 1 + rng.Int64N(3)
		ids[i] = id
		st[i] = stages[rng.IntN(len(stages))]
	}
	ctx := context.Background()
	dir := b.TempDir()
	s, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := &Recorder{Dir: dir, Store: s}
	asOf := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	first, err := Take(table(asOf, ids, st...), asOf)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Record(ctx, first); err != nil {
		b.Fatal(err)
	}
	// the next table: some stages changed, some customers gone, some new
	next := table(asOf, make([]int64, 0, n), make([]string, 0, n)...)
	for i := range ids {
		switch k := rng.IntN(1000); {
		case k == 0:
			continue // left
		case k < 20:
			next.Text["lifecycle_stage"] = append(next.Text["lifecycle_stage"], stages[rng.IntN(len(stages))])
		default:
			next.Text["lifecycle_stage"] = append(next.Text["lifecycle_stage"], st[i])
		}
		next.IDs = append(next.IDs, ids[i])
	}
	for range n / 1000 {
		id += 1 + rng.Int64N(3)
		next.IDs = append(next.IDs, id)
		next.Text["lifecycle_stage"] = append(next.Text["lifecycle_stage"], stages[0])
	}
	b.ResetTimer()
	for i := range b.N {
		next.AsOf = asOf.AddDate(0, 0, i+1) // a day later each time: flows are recorded, the base replaced
		snap, err := Take(next, next.AsOf)
		if err != nil {
			b.Fatal(err)
		}
		rec, err := r.Record(ctx, snap)
		if err != nil || !rec.HasFlows() {
			b.Fatalf("%+v, %v", rec.PrevAt, err)
		}
	}
}

// BenchmarkTake10M is the part of a snapshot taken under the feature
// table's read lock (ingestion waits meanwhile): copying 10 million ids and
// coding their stages.
func BenchmarkTake10M(b *testing.B) {
	const n = 10_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	stages := rfm.Stages()
	ids := make([]int64, n)
	st := make([]string, n)
	for i := range ids {
		ids[i] = int64(2*i + 1)
		st[i] = stages[rng.IntN(len(stages))]
	}
	tbl := table(time.Now(), ids, st...)
	b.ResetTimer()
	for range b.N {
		if _, err := Take(tbl, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
