package ingest_test

import (
	"context"
	"os"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/ingest"
)

func TestProfOR(t *testing.T) {
	if os.Getenv("PROF") == "" {
		t.Skip()
	}
	st := openStore(t)
	sum, err := ingest.Import(context.Background(), st, resolver(), []string{onlineRetail}, ingest.Options{Preset: "online-retail"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%.2fs", sum.Seconds)
}
