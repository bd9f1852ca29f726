package predict

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/model/clv"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
	"gonum.org/v1/gonum/stat/distuv"
)

const onlineRetail = "../../../shared/data/online-retail/online-retail.csv.gz"

var retail struct {
	once sync.Once
	st   store.Store
	err  error
}

// importOnlineRetail imports the data set into a SQLite store shared by the
// tests of the package (they only read it).
func importOnlineRetail(t testing.TB) store.Store {
	t.Helper()
	if _, err := os.Stat(onlineRetail); err != nil {
		t.Skipf("Online Retail data not found at %s (it lives in ../shared/data beside the checkout): %v", onlineRetail, err)
	}
	retail.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "predict-test-")
		if err != nil {
			retail.err = err
			return
		}
		st, err := sqlite.Open(ctx, dir, sqlite.Options{})
		if err != nil {
			retail.err = err
			return
		}
		_, retail.err = ingest.Import(ctx, st, identity.NewResolver(identity.DefaultPolicy()), []string{onlineRetail},
			ingest.Options{Preset: "online-retail"})
		retail.st = st
	})
	if retail.err != nil {
		t.Fatal(retail.err)
	}
	return retail.st
}

func TestMain(m *testing.M) {
	code := m.Run()
	if retail.st != nil {
		retail.st.Close()
	}
	os.Exit(code)
}

func day(s string) int32 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return int32(t.Unix() / 86400)
}

func TestFitCLVOnlineRetail(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Online Retail import")
	}
	st := importOnlineRetail(t)
	ctx := context.Background()
	dir := t.TempDir()
	o := CLVOptions{CalibrationEnd: day("2011-08-01"), HoldoutEnd: day("2011-10-31"), DataDir: dir}
	m, err := FitCLV(ctx, st, o)
	if err != nil {
		t.Fatal(err)
	}
	// The store path against the models fed directly.
	tx, err := ReadTxns(ctx, st, time.Time{}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	s := clv.Summarize(tx.List, o.CalibrationEnd, 0, clv.Day)
	fit, err := clv.Fit(s.X, s.Tx, s.T)
	if err != nil {
		t.Fatal(err)
	}
	if m.Customers != 3157 || m.Customers != s.Buyers() || math.Abs(m.BGNBD.LogLik-fit.LogLik) > 1e-6 {
		t.Errorf("FitCLV: %d customers, LL %.4f; direct: %d, %.4f", m.Customers, m.BGNBD.LogLik, s.Buyers(), fit.LogLik)
	}
	if m.IgnoredAfterEnd == 0 || !strings.Contains(strings.Join(m.Notes, " "), "ignored") || m.Evaluation == nil ||
		m.Evaluation.ActualTotal == 0 || len(m.Evaluation.ByX) != 8 {
		t.Errorf("notes %q, ignored %d, evaluation %+v", m.Notes, m.IgnoredAfterEnd, m.Evaluation)
	}
	// The JSON contract of 'sagitta model clv fit --json'.
	data, _ := json.Marshal(m)
	var got struct {
		Customers *int                `json:"customers"`
		BGNBD     map[string]*float64 `json:"bgnbd"`
		GG        map[string]*float64 `json:"gamma_gamma"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"r", "alpha", "a", "b", "log_likelihood"} {
		if got.BGNBD[k] == nil {
			t.Errorf("bgnbd.%s missing in %s", k, data)
		}
	}
	for _, k := range []string{"p", "q", "gamma"} {
		if got.GG[k] == nil {
			t.Errorf("gamma_gamma.%s missing in %s", k, data)
		}
	}
	if got.Customers == nil || len(got.BGNBD) != 5 || len(got.GG) != 3 {
		t.Errorf("JSON %s", data)
	}
	// Persisted, and versioned.
	back, err := LoadCLV(dir)
	if err != nil || back.Version != 1 || back.BGNBD != m.BGNBD {
		t.Fatalf("loaded %+v, %v", back, err)
	}
	m2, err := FitCLV(ctx, st, CLVOptions{DataDir: dir, Unit: clv.Week})
	if err != nil || m2.Version != 2 || m2.CalibrationEnd != "2011-12-09" || m2.IgnoredAfterEnd != 0 {
		t.Fatalf("second fit: %+v, %v", m2, err)
	}
	// Bad windows.
	for _, c := range []CLVOptions{
		{CalibrationEnd: day("2009-01-01")},
		{CalibrationEnd: day("2011-08-01"), HoldoutEnd: day("2011-07-01")},
	} {
		if _, err := FitCLV(ctx, st, c); err == nil {
			t.Errorf("%+v: no error", c)
		} else {
			t.Log(err)
		}
	}
}

// A few hundred customers: a result with a warning. Too few: a clear error.
func TestFitCLVSmall(t *testing.T) {
	// A BG/NBD world in days: λ ~ Gamma(0.8, 40), p ~ Beta(0.6, 2.5),
	// first orders over 200 days, observed to day 300.
	mk := func(n int) *Txns {
		rng := rand.New(rand.NewPCG(3, 4))
		lam := distuv.Gamma{Alpha: 0.8, Beta: 40, Src: rng}
		drop := distuv.Beta{Alpha: 0.6, Beta: 2.5, Src: rng}
		tx := &Txns{FirstDay: 15000, LastDay: 15300}
		for c := range n {
			l, q := lam.Rand(), drop.Rand()
			t := float64(rng.IntN(200))
			for t <= 300 {
				tx.List = append(tx.List, clv.Txn{Customer: int64(c + 1), Day: 15000 + int32(t), Amount: 5 + 50*rng.Float64()})
				if rng.Float64() < q && len(tx.List) > 1 && tx.List[len(tx.List)-2].Customer == int64(c+1) {
					break
				}
				t += rng.ExpFloat64() / l
			}
		}
		return tx
	}
	m, err := fitCLV(mk(300), CLVOptions{Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(m.Warnings, " "), "only 300 buyers") {
		t.Errorf("warnings %q", m.Warnings)
	}
	if _, err := fitCLV(mk(8), CLVOptions{Clock: time.Now}); err == nil || !strings.Contains(err.Error(), "at least") {
		t.Errorf("8 customers: %v", err)
	} else {
		t.Log(err)
	}
}
