package ingest_test

import (
	"context"
	"os"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/ingest"
)

func TestProfCustomers(t *testing.T) {
	f := os.Getenv("PROF_CUSTOMERS")
	if f == "" {
		t.Skip()
	}
	st := openStore(t)
	sum, err := ingest.Import(context.Background(), st, resolver(), []string{f}, ingest.Options{Kind: ingest.KindCustomers, Source: "crm"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d in %.2fs", sum.Read, sum.Seconds)
}
