package web

import (
	"context"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// addLifecycleHistory records what serve records in 90 days over a shop of
// n customers: a snapshot every hour (2,160) with the stage counts, and
// once a day the flows between the stages (every cell of the matrix, the
// entered and the left). The overview reads all of it.
func addLifecycleHistory(ctx context.Context, st store.Store, n int) error {
	stages := rfm.Stages()
	start := time.Now().UTC().Truncate(time.Hour).AddDate(0, 0, -90)
	var prev time.Time
	for h := range 90 * 24 {
		at := start.Add(time.Duration(h) * time.Hour)
		ls := store.LifecycleSnapshot{At: at, AsOf: at}
		for i, s := range stages {
			ls.Stages = append(ls.Stages, store.StageCount{Stage: s, Customers: int64(n/len(stages) + i*h)})
		}
		if h%24 == 0 && h > 0 {
			ls.PrevAt, ls.PrevAsOf = prev, prev
			for _, from := range append([]string{""}, stages...) {
				for _, to := range append([]string{""}, stages...) {
					if from != "" || to != "" {
						ls.Flows = append(ls.Flows, store.StageFlow{From: from, To: to, Customers: int64(n/100 + h)})
					}
				}
			}
		}
		if h%24 == 0 {
			prev = at
		}
		if err := st.AddLifecycleSnapshot(ctx, ls); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkLifeHistory is what the lifecycle history adds to the overview's
// background computation: reading 90 days of hourly snapshots with daily
// flows (it does not depend on the number of customers).
func BenchmarkLifeHistory(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir(), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := addLifecycleHistory(ctx, st, 10_000_000); err != nil {
		b.Fatal(err)
	}
	s := &Server{st: st, now: time.Now}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h, err := s.lifeHistoryOf(ctx, time.Time{})
		if err != nil || len(h.Periods) != 89 {
			b.Fatalf("%v periods, %v", len(h.Periods), err)
		}
	}
}
