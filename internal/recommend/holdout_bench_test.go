package recommend

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"github.com/sagitta-dev/sagitta/internal/synth"
)

// BenchmarkShopTraining measures what `sagitta recommend train
// --from-store` costs with and without its held-out evaluation, over the
// interactions of a synthetic shop in SQLite (the default model and event
// weights): train is the served model (--no-eval), holdout the evaluation
// it adds (a separate model on the part before the cutoff, then ranking for
// at most 5,000 customers, model and popularity). The shop is the data
// directory $SAGITTA_BENCH_RECOMMEND_DATA (e.g. of `sagitta demo --no-serve`,
// 50,000 customers), else a 5,000-customer shop generated for the run.
func BenchmarkShopTraining(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("SAGITTA_BENCH_RECOMMEND_DATA")
	if dir == "" {
		dir = b.TempDir()
		m, err := synth.Generate(ctx, filepath.Join(dir, "input"), synth.Options{Customers: 5000, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		order := map[string]int{"items": 0, "customers": 1, "orders": 2, "events": 3}
		files := append([]synth.File(nil), m.Files...)
		sort.SliceStable(files, func(i, j int) bool { return order[files[i].Kind] < order[files[j].Kind] })
		res := identity.NewResolver(identity.DefaultPolicy())
		for _, f := range files {
			kind, _ := ingest.ParseKind(f.Kind)
			if _, err := ingest.Import(ctx, st, res, []string{f.Path}, ingest.Options{Kind: kind, Source: f.Source,
				Rejects: filepath.Join(dir, "rejects.csv")}); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
	}
	st, err := sqlite.Open(ctx, dir, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	d, _, err := OrderInteractions(ctx, st, time.Time{}, map[string]float32{"cart_add": 0.5, "favorite": 0.5, "view": 0.1})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d users, %d items, %d interactions", len(d.Users), len(d.Items), d.Len())
	c := DefaultConfig()
	b.Run("train", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			if _, err := Train(ctx, d, c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
	b.Run("holdout", func(b *testing.B) {
		cpu := cpuTime()
		for b.Loop() {
			ev, err := Holdout(ctx, d, c, EvalOptions{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(ev.Model.Users), "users")
		}
		b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// cpuTime is the process's user and system CPU time: under a shared
// machine's load it varies far less than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
