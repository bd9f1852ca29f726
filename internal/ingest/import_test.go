package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func resolver() *identity.Resolver { return identity.NewResolver(identity.DefaultPolicy()) }

const onlineRetail = "../../../shared/data/online-retail/online-retail.csv.gz"

func TestImportOnlineRetail(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the full Online Retail import")
	}
	if _, err := os.Stat(onlineRetail); err != nil {
		t.Skipf("Online Retail data not found at %s (it lives in ../shared/data beside the checkout): %v", onlineRetail, err)
	}
	ctx := context.Background()
	st := openStore(t)
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	sum, err := ingest.Import(ctx, st, resolver(), []string{onlineRetail},
		ingest.Options{Preset: "online-retail", Rejects: rejects})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first import: %.2fs", sum.Seconds)
	if sum.Read != 541_909 || sum.Read != sum.Imported+sum.Rejected+sum.Duplicates {
		t.Fatalf("read %d = imported %d + rejected %d + duplicates %d; want 541,909", sum.Read, sum.Imported, sum.Rejected, sum.Duplicates)
	}
	// 1,336 stock adjustments (negative quantity, not a cancellation) and 2
	// "adjust bad debt" lines with a negative price.
	if sum.Rejected != 1_338 || sum.Duplicates != 0 {
		t.Errorf("rejected %d, duplicates %d; want 1,338 and 0", sum.Rejected, sum.Duplicates)
	}
	s, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Customers != 4_372 || s.OrderLines != 541_909-1_338 {
		t.Errorf("stats %+v; want 4,372 customers and %d order lines", s, 541_909-1_338)
	}
	if s.AnonymousOrders == 0 || s.Items == 0 {
		t.Errorf("stats %+v: want guest orders and items", s)
	}
	b, _ := os.ReadFile(rejects)
	if n := strings.Count(string(b), "\n"); n != 1_338+1 {
		t.Errorf("reject file has %d lines, want header + 1,338", n)
	}

	// Again: everything is a duplicate, nothing changes.
	again, err := ingest.Import(ctx, st, resolver(), []string{onlineRetail}, ingest.Options{Preset: "online-retail"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Imported != 0 || again.Duplicates != 541_909-1_338 || again.Rejected != 1_338 {
		t.Errorf("re-import: %+v", again.Counts)
	}
	s2, _ := st.Stats(ctx)
	if s2 != s {
		t.Errorf("re-import changed the store: %+v -> %+v", s, s2)
	}
	id, ok, err := st.FindIdentity(ctx, store.KindExternalID, "online-retail", "17850")
	if err != nil || !ok {
		t.Fatalf("customer 17850.0 not found as 17850: %v", err)
	}
	sumC, err := st.OrderSummary(ctx, id, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if sumC.Orders == 0 || sumC.Cancellations == 0 {
		t.Errorf("customer 17850: %+v; want sales and cancellations", sumC)
	}
}
