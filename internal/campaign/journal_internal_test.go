package campaign

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A journal whose chunk is in flight (locked by its dispatcher, here or in
// another process) is never read or removed by a recovery; a journal being
// created (.tmp) is left alone until it is a minute old. The store is nil:
// touching it would panic.
func TestRecoverLeavesLiveJournals(t *testing.T) {
	dir := t.TempDir()
	s := &Service{opts: Options{JournalDir: dir, Clock: time.Now, Logger: slog.New(slog.DiscardHandler)}}
	j, err := s.openJournal()
	if err != nil {
		t.Fatal(err)
	}
	j.accepted(Key("live", 42, DefaultStep), time.Now())
	tmp := filepath.Join(dir, "other-0123.log"+journalTmp)
	if err := os.WriteFile(tmp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := s.recoverJournals(t.Context()); n != 0 || err != nil {
		t.Fatalf("recovery with a live journal: %d recorded, %v", n, err)
	}
	if _, err := os.Stat(j.path); err != nil {
		t.Errorf("the live journal is gone: %v", err)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Errorf("the journal being created is gone: %v", err)
	}
	old := time.Now().Add(-2 * time.Minute)
	os.Chtimes(tmp, old, old)
	if _, err := s.recoverJournals(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("a stale .tmp journal is kept: %v", err)
	}
	data, _ := os.ReadFile(j.path)
	if string(data[:len("live/42/main\t")]) != "live/42/main\t" {
		t.Errorf("journal line %q", data)
	}
	j.close(true)
	if _, err := os.Stat(j.path); !os.IsNotExist(err) {
		t.Errorf("a committed chunk's journal is kept: %v", err)
	}
}

// Lines cut short or malformed are skipped: their messages are sent again.
func TestParseJournal(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       int
	}{
		{"complete", "a/1/main\t1700000000000000\nb.c/22/p3\t1700000000000001\n", 2},
		{"cut short", "a/1/main\t1700000000000000\na/2/ma", 1},
		{"no time", "a/1/main\n", 0},
		{"bad customer", "a/x/main\t1\n", 0},
		{"empty", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "j.log")
			os.WriteFile(p, []byte(tc.text), 0o600)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			keys, err := parseJournal(f)
			if err != nil || len(keys) != tc.want {
				t.Fatalf("%d keys, %v; want %d", len(keys), err, tc.want)
			}
			if tc.want > 0 && (keys[0].campaign != "a" || keys[0].customer != 1 || keys[0].step != "main" || keys[0].at.UnixMicro() != 1700000000000000) {
				t.Errorf("first key %+v", keys[0])
			}
		})
	}
}
