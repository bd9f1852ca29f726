package web

import (
	"context"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
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
