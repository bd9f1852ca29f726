package ingest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/ingest"
)

func TestProfFile(t *testing.T) {
	if os.Getenv("PROF_FILES") == "" {
		t.Skip()
	}
	files := strings.Split(os.Getenv("PROF_FILES"), ";")
	ctx := context.Background()
	st := openStore(t)
	for _, f := range files {
		kind, path, _ := strings.Cut(f, "=")
		k, _ := ingest.ParseKind(kind)
		src := ""
		if i := strings.LastIndex(path, "_"); i > 0 {
			src = strings.Split(path[i+1:], ".")[0]
		}
		sum, err := ingest.Import(ctx, st, resolver(), []string{path}, ingest.Options{Kind: k, Source: src})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s: %d rows %.2fs", kind, path, sum.Read, sum.Seconds)
	}
}
