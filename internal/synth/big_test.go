package synth

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestBig(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SYNTH_BIG"))
	if n == 0 {
		t.Skip()
	}
	dir := os.Getenv("SYNTH_DIR")
	t0 := time.Now()
	m, err := Generate(context.Background(), dir, Options{Customers: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(t0)
	var rows int64
	for _, f := range m.Files {
		rows += f.Rows
	}
	t.Logf("%v rows=%d events=%d rows/s=%.0f ev/s=%.0f", el, rows, m.Truth.Events, float64(rows)/el.Seconds(), float64(m.Truth.Events)/el.Seconds())
}
