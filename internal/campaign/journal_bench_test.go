package campaign

import (
	"testing"
	"time"
)

// BenchmarkJournalAccepted is the cost the acceptance journal adds per
// message: one locked write(2) of a line to the chunk's file.
func BenchmarkJournalAccepted(b *testing.B) {
	s := &Service{opts: Options{JournalDir: b.TempDir()}}
	j, err := s.openJournal()
	if err != nil {
		b.Fatal(err)
	}
	defer j.close(true)
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		j.accepted("spring-sale/123456789/main", at)
	}
	if j.err != nil {
		b.Fatal(j.err)
	}
}

// BenchmarkJournalChunk is the per-chunk cost in the steady state: take an
// idle journal, note one acceptance, empty it after the commit.
func BenchmarkJournalChunk(b *testing.B) {
	s := &Service{opts: Options{JournalDir: b.TempDir()}}
	defer s.dropIdleJournals()
	at := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		j, err := s.takeJournal()
		if err != nil {
			b.Fatal(err)
		}
		j.accepted("spring-sale/123456789/main", at)
		s.releaseJournal(j, true)
	}
}

// BenchmarkJournalCreate is the cost of a new journal: create, lock,
// rename, close and remove.
func BenchmarkJournalCreate(b *testing.B) {
	s := &Service{opts: Options{JournalDir: b.TempDir()}}
	b.ReportAllocs()
	for b.Loop() {
		j, err := s.openJournal()
		if err != nil {
			b.Fatal(err)
		}
		j.close(true)
	}
}
