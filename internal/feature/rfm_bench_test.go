package feature_test

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

// TestBenchRFM is the engine side of scripts/bench_rfm.sh, not a test: with
// SAGITTA_BENCH_RFM=prepare it imports Online Retail into the store in
// SAGITTA_BENCH_STORE (from SAGITTA_BENCH_DATA when set); with SAGITTA_BENCH_RFM=run it opens that store and
// computes RFM, value–loyalty classes and lifecycle stages (all features)
// as of 2011-12-10, printing "engine_seconds S" (store open to summary).
func TestBenchRFM(t *testing.T) {
	mode, dir := os.Getenv("SAGITTA_BENCH_RFM"), os.Getenv("SAGITTA_BENCH_STORE")
	if mode == "" || dir == "" {
		t.Skip("set SAGITTA_BENCH_RFM=prepare|run and SAGITTA_BENCH_STORE=DIR (scripts/bench_rfm.sh does)")
	}
	ctx := context.Background()
	switch mode {
	case "prepare":
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		data := onlineRetail
		if d := os.Getenv("SAGITTA_BENCH_DATA"); d != "" {
			data = d
		}
		sum, err := ingest.Import(ctx, st, identity.NewResolver(identity.DefaultPolicy()), []string{data},
			ingest.Options{Preset: "online-retail"})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("imported %d lines in %.2fs\n", sum.Imported, sum.Seconds)
	case "run":
		if p := os.Getenv("SAGITTA_BENCH_CPUPROFILE"); p != "" {
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		start := time.Now()
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		opened := time.Now()
		tab, err := feature.Compute(ctx, st, time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC), feature.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := tab.Summarize()
		end := time.Now()
		fmt.Printf("engine_seconds %.4f (open %.4f, compute+summary %.4f) customers %d buyers %d A %d B %d C %d\n",
			end.Sub(start).Seconds(), opened.Sub(start).Seconds(), end.Sub(opened).Seconds(),
			s.Customers, s.Buyers, s.Classes[0].Customers, s.Classes[1].Customers, s.Classes[2].Customers)
	default:
		t.Fatalf("SAGITTA_BENCH_RFM=%q: want prepare or run", mode)
	}
}
