package lifecycle

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/sqlite"
)

func table(asOf time.Time, ids []int64, stages ...string) *feature.Table {
	return &feature.Table{AsOf: asOf, IDs: ids, Text: map[string][]string{feature.ColStage: stages}}
}

var t0 = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func TestDiff(t *testing.T) {
	prev, err := Take(table(t0, []int64{1, 2, 3, 5, 8}, "active", "new", "silent", "active", "odd <b>"), t0)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := Take(table(t0.AddDate(0, 0, 1), []int64{2, 3, 4, 5, 9}, "active", "churned", "new", "active", "odd <b>"), t0)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.StageFlow{
		{From: "", To: "new", Customers: 1}, {From: "", To: "odd <b>", Customers: 1}, // 4, 9 entered
		{From: "active", To: "", Customers: 1}, {From: "active", To: "active", Customers: 1}, // 1 left, 5 stayed
		{From: "new", To: "active", Customers: 1}, {From: "odd <b>", To: "", Customers: 1}, // 2; 8 left
		{From: "silent", To: "churned", Customers: 1}, // 3
	}
	if got := Diff(prev, cur); !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %+v\nwant %+v", got, want)
	}
	if got := Diff(prev, prev); len(got) != 4 {
		t.Errorf("Diff with itself = %+v, want 4 diagonal cells", got)
	}
	if _, err := Take(table(t0, []int64{1, 2}, "active"), t0); err == nil {
		t.Error("Take of a table with fewer stages than customers: no error")
	}
}

func TestFileRoundTripAndCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "last.bin")
	s, err := Take(table(t0, []int64{-3, 7, 1 << 40}, "churned", "x", "active"), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	commit, _, err := s.WriteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file is there before commit: %v", err)
	}
	if err := commit(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("read back %+v, want %+v", got, s)
	}
	b, _ := os.ReadFile(path)
	reseal := func(b []byte) []byte { // a valid checksum over changed content
		b = append([]byte(nil), b[:len(b)-4]...)
		return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	}
	version2 := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(version2[8:], 2)
	version2 = reseal(version2)
	unordered := append([]byte(nil), b...)
	off := len(b) - 4 - 3 - 3*8 // the first id
	binary.LittleEndian.PutUint64(unordered[off:], 100)
	badCode := append([]byte(nil), b...)
	badCode[len(b)-5] = 200
	for name, body := range map[string][]byte{
		"truncated":        b[:len(b)-1],
		"cut in the ids":   reseal(b[:off+4]),
		"version 2":        version2,
		"ids out of order": reseal(unordered),
		"unknown code":     reseal(badCode),
		"a flipped bit":    append(append([]byte(nil), b[:off]...), append([]byte{b[off] ^ 0x10}, b[off+1:]...)...),
	} {
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(path); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// A flow is recorded once the as-of moved forward and a period passed on
// either clock; a table moved back in time records counts only and does
// not become the base.
func TestRecorderPeriods(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := &Recorder{Store: st, Every: 24 * time.Hour} // the base in memory
	snap := func(asOf, at time.Time) store.LifecycleSnapshot {
		t.Helper()
		s, err := Take(table(asOf, []int64{1, 2}, "active", "new"), at)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Record(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	h := time.Hour
	steps := []struct {
		name      string
		asOf, at  time.Time
		flowsFrom time.Time // zero: counts only
	}{
		{"first", t0, t0, time.Time{}},
		{"as-of moved an hour, an hour later", t0.Add(h), t0.Add(h), time.Time{}},
		{"as-of moved a day", t0.Add(24 * h), t0.Add(2 * h), t0},
		{"as-of moved an hour, a day later on the wall clock", t0.Add(25 * h), t0.Add(26 * h), t0.Add(2 * h)},
		{"back in time", t0.Add(-100 * h), t0.Add(80 * h), time.Time{}},
		{"as-of the same, days later", t0.Add(25 * h), t0.Add(100 * h), time.Time{}},
		{"forward again: from the last base", t0.Add(26 * h), t0.Add(101 * h), t0.Add(26 * h)},
		{"the same instant again (a frozen clock): stored beside it", t0.Add(26 * h), t0.Add(101 * h), time.Time{}},
	}
	for _, s := range steps {
		rec := snap(s.asOf, s.at)
		if !rec.PrevAt.Equal(s.flowsFrom) || rec.HasFlows() != !s.flowsFrom.IsZero() {
			t.Errorf("%s: flows from %v (%d cells), want from %v", s.name, rec.PrevAt, len(rec.Flows), s.flowsFrom)
		}
	}
	all, err := st.LifecycleSnapshots(ctx, time.Time{}, time.Time{})
	if err != nil || len(all) != len(steps) {
		t.Errorf("stored %d snapshots, %v; want %d", len(all), err, len(steps))
	}
}
