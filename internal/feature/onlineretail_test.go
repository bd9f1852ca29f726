package feature_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

const onlineRetail = "../../../shared/data/online-retail/online-retail.csv.gz"

// plainRFM is RFM computed straight from the CSV, independently of the
// engine: group the lines by CustomerID; sales are invoices not starting
// with "C"; lines the importer rejects (a negative quantity on a sale, a
// negative price) are left out; lines without a customer are guests.
type plainRFM struct {
	recency   float64
	frequency int
	monetary  float64
}

func readPlain(t *testing.T, path string, asOf time.Time) map[string]*plainRFM {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(gz)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	type acc struct {
		last     string // the latest invoice date, YYYY-MM-DD
		invoices map[string]bool
		monetary float64
	}
	byCust := map[string]*acc{}
	rejected := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		inv, cust := rec[col["InvoiceNo"]], strings.TrimSuffix(rec[col["CustomerID"]], ".0")
		q, err1 := strconv.ParseFloat(rec[col["Quantity"]], 64)
		p, err2 := strconv.ParseFloat(rec[col["UnitPrice"]], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad number in %v", rec)
		}
		cancel := strings.HasPrefix(inv, "C")
		if p < 0 || !cancel && q < 0 {
			rejected++
			continue
		}
		if cust == "" {
			continue
		}
		a := byCust[cust]
		if a == nil {
			a = &acc{invoices: map[string]bool{}}
			byCust[cust] = a
		}
		if cancel {
			continue
		}
		a.invoices[inv] = true
		a.monetary += q * p
		if d := rec[col["InvoiceDate"]][:10]; d > a.last {
			a.last = d
		}
	}
	if rejected != 1_338 {
		t.Errorf("plain reading rejected %d lines, want the importer's 1,338", rejected)
	}
	out := map[string]*plainRFM{}
	for cust, a := range byCust {
		p := &plainRFM{recency: math.NaN(), frequency: len(a.invoices), monetary: a.monetary}
		if a.last != "" {
			d, err := time.Parse(time.DateOnly, a.last)
			if err != nil {
				t.Fatal(err)
			}
			p.recency = asOf.Sub(d).Hours() / 24
		}
		out[cust] = p
	}
	return out
}

// importOnlineRetail imports the data set into a fresh SQLite store.
func importOnlineRetail(t testing.TB) store.Store {
	t.Helper()
	if _, err := os.Stat(onlineRetail); err != nil {
		t.Skipf("Online Retail data not found at %s (it lives in ../shared/data beside the checkout): %v", onlineRetail, err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, err = ingest.Import(ctx, st, identity.NewResolver(identity.DefaultPolicy()), []string{onlineRetail},
		ingest.Options{Preset: "online-retail"})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestOnlineRetailRFM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the Online Retail import")
	}
	st := importOnlineRetail(t)
	ctx := context.Background()
	asOf := time.Date(2011, 12, 10, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	tab, err := feature.Compute(ctx, st, asOf, feature.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("features of %d customers in %v", tab.Len(), time.Since(start))
	plain := readPlain(t, onlineRetail, asOf)
	if tab.Len() != 4_372 || len(plain) != 4_372 {
		t.Fatalf("engine has %d customers, plain reading %d; want 4,372", tab.Len(), len(plain))
	}
	var refs []string
	for ref := range plain {
		refs = append(refs, ref)
	}
	ids, err := st.FindIdentities(ctx, store.KindExternalID, "online-retail", refs)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for ref, p := range plain {
		id, ok := ids[ref]
		if !ok {
			t.Fatalf("customer %s not in the store", ref)
		}
		i, ok := tab.Index(id)
		if !ok {
			t.Fatalf("customer %s (%d) not in the feature table", ref, id)
		}
		r, f, m := tab.Num[feature.ColRecency][i], tab.Num[feature.ColFrequency][i], tab.Num[feature.ColMonetary][i]
		sameR := r == p.recency || math.IsNaN(r) && math.IsNaN(p.recency)
		sameM := math.Abs(m-p.monetary) <= 1e-6*math.Max(math.Abs(p.monetary), 1)
		if !sameR || f != float64(p.frequency) || !sameM {
			if bad++; bad <= 10 {
				t.Errorf("customer %s: engine r=%v f=%v m=%v, plain r=%v f=%d m=%v", ref, r, f, m, p.recency, p.frequency, p.monetary)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d customers differ", bad, len(plain))
	}

	s := tab.Summarize()
	t.Logf("buyers %d, revenue %.2f; lifecycle thresholds %+v", s.Buyers, s.Revenue, *s.LifecycleThresholds)
	for _, c := range s.Grid {
		t.Logf("value %-6s loyalty %-6s class %s: %5d customers, %5.1f%% of revenue", c.Value, c.Loyalty, c.Class, c.Customers, 100*c.RevenueShare)
	}
	for _, group := range [][]feature.Count{s.Classes, s.Segments, s.Lifecycle} {
		for _, c := range group {
			t.Logf("%-18s %5d", c.Value, c.Customers)
		}
	}
	// the documents: B (high value, medium loyalty) is the largest class
	if a, b, c := s.Classes[0].Customers, s.Classes[1].Customers, s.Classes[2].Customers; b <= a || b <= c {
		t.Errorf("classes A %d, B %d, C %d: want B the largest", a, b, c)
	}
	// sanity: the classes and segments the documents expect are all present
	for _, group := range [][]feature.Count{s.Classes, s.Lifecycle[1:]} {
		for _, c := range group {
			// without a churn model nobody is at high churn risk
			if c.Customers == 0 && c.Value != rfm.WonBack && c.Value != rfm.HighChurnRisk {
				t.Errorf("no customer in %s", c.Value)
			}
		}
	}
}
