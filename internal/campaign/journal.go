package campaign

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// The acceptance journal closes the gap between a receiver accepting a
// message and the store recording it (once per chunk of SendChunk).
//
// Before a chunk goes to a sender that reports acceptances (AckSender), the
// dispatcher takes an empty journal JournalDir/RANDOM.log it holds locked
// (created, or reused from an earlier chunk); each
// message the receiver accepts (SMTP: the 250 after DATA; webhook: a 2xx)
// is appended as one line "KEY\tUNIX_MICROS\n" with a single write(2). Once
// the chunk's outcome is committed to the store the file is emptied
// (ftruncate) for the next chunk; when the commit fails it is closed and
// left for Recover.
//
// A write(2) lands in the kernel's page cache, which outlives the process:
// after a kill -9 (or any crash of the process) the lines are there,
// without an fsync. Recover first reads the journals no live dispatcher
// holds: their keys are recorded as sent (with a contact at the journaled
// instant) and not sent again; the other pending deliveries are sent again
// as before. A power loss or kernel crash can lose the page cache: then up
// to a chunk per worker may be sent twice (same key and Message-ID).
//
// What remains: a message the receiver committed whose acceptance the
// dispatcher had not yet read when it died (at most one per SMTP
// connection, within a round trip) is sent again; no protocol without
// idempotency on the receiver's side can avoid that.

// AckSender is a Sender that tells, message by message, when the receiver
// accepted one, as soon as it did.
type AckSender interface {
	Sender
	// SendAck is Send that calls accepted(i) once msgs[i] is accepted,
	// before it returns; calls may come from several goroutines at once.
	SendAck(ctx context.Context, msgs []Message, accepted func(i int)) []error
}

const (
	journalExt = ".log"
	journalTmp = ".tmp" // a journal being created
)

// journal is the acceptance journal of one chunk in flight.
type journal struct {
	path string
	f    *os.File
	mu   sync.Mutex
	buf  []byte
	err  error // the first write error (the chunk is then recorded as without a journal)
}

// maxIdle bounds the empty journals kept open for reuse.
const maxIdle = 64

// takeJournal returns an empty, locked journal for a chunk.
func (s *Service) takeJournal() (*journal, error) {
	s.idleMu.Lock()
	if n := len(s.idle); n > 0 {
		j := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.idleMu.Unlock()
		return j, nil
	}
	s.idleMu.Unlock()
	return s.openJournal()
}

// releaseJournal ends a chunk's use of j. Committed: the store has the
// outcome; j is emptied for another chunk. Otherwise j is closed and left
// for Recover.
func (s *Service) releaseJournal(j *journal, committed bool) {
	if !committed {
		j.close(false)
		return
	}
	if j.err != nil || j.f.Truncate(0) != nil {
		j.close(true)
		return
	}
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	if len(s.idle) >= maxIdle {
		j.close(true)
		return
	}
	s.idle = append(s.idle, j)
}

// dropIdleJournals closes and removes the idle journals (when the
// dispatcher stops).
func (s *Service) dropIdleJournals() {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	for _, j := range s.idle {
		j.close(true)
	}
	s.idle = nil
}

// openJournal creates and locks a journal.
func (s *Service) openJournal() (*journal, error) {
	var rnd [12]byte
	rand.Read(rnd[:])
	path := filepath.Join(s.opts.JournalDir, hex.EncodeToString(rnd[:])+journalExt)
	// created under a temporary name and locked before it gets its name:
	// a journal (*.log) whose lock is free has no live writer
	tmp := path + journalTmp
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(s.opts.JournalDir, 0o700); err == nil {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot create the acceptance journal: %w", err)
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("cannot lock the acceptance journal %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("cannot create the acceptance journal: %w", err)
	}
	return &journal{path: path, f: f}, nil
}

// accepted appends a message's key with one write(2).
func (j *journal) accepted(key string, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	j.buf = append(j.buf[:0], key...)
	j.buf = append(j.buf, '\t')
	j.buf = strconv.AppendInt(j.buf, at.UnixMicro(), 10)
	j.buf = append(j.buf, '\n')
	_, j.err = j.f.Write(j.buf)
}

// close closes the journal; committed removes it (the store has the
// outcome), otherwise it is left for Recover.
func (j *journal) close(committed bool) {
	if committed {
		os.Remove(j.path)
	}
	unlockFile(j.f)
	j.f.Close() // releases the lock
}

// accepted is one line of a leftover journal.
type acceptedKey struct {
	campaign, step string
	customer       int64
	at             time.Time
}

// parseJournal reads the complete lines of a journal.
func parseJournal(f *os.File) ([]acceptedKey, error) {
	var out []acceptedKey
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		key, micros, ok := strings.Cut(line, "\t")
		camp, rest, ok1 := strings.Cut(key, "/")
		id, step, ok2 := strings.Cut(rest, "/")
		cust, err1 := strconv.ParseInt(id, 10, 64)
		us, err2 := strconv.ParseInt(micros, 10, 64)
		if !ok || !ok1 || !ok2 || err1 != nil || err2 != nil || camp == "" || step == "" {
			continue // a line cut short: its message is sent again
		}
		out = append(out, acceptedKey{campaign: camp, step: step, customer: cust, at: time.UnixMicro(us).UTC()})
	}
	return out, sc.Err()
}

// recoverJournals records as sent the pending deliveries listed in the
// journals that no live dispatcher holds, then removes those journals. It
// returns how many deliveries it recorded.
func (s *Service) recoverJournals(ctx context.Context) (int, error) {
	if s.opts.JournalDir == "" {
		return 0, nil
	}
	s.journalMu.Lock() // one recovery at a time in this process
	defer s.journalMu.Unlock()
	entries, err := os.ReadDir(s.opts.JournalDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read the acceptance journals: %w", err)
	}
	total := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if strings.HasSuffix(e.Name(), journalTmp) {
			// left between create and rename by a dispatcher that died: empty
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Minute { // file times are wall-clock
				os.Remove(filepath.Join(s.opts.JournalDir, e.Name()))
			}
			continue
		}
		if !strings.HasSuffix(e.Name(), journalExt) {
			continue
		}
		n, err := s.recoverJournal(ctx, filepath.Join(s.opts.JournalDir, e.Name()))
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// recoverJournal handles one journal file; a journal still locked (its
// chunk is in flight here or in another process) is left alone.
func (s *Service) recoverJournal(ctx context.Context, path string) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil // removed meanwhile: its chunk was committed
	}
	if err != nil {
		return 0, fmt.Errorf("cannot open the acceptance journal %s: %w", path, err)
	}
	defer f.Close()
	if lockFile(f, false) != nil {
		return 0, nil // in flight
	}
	keys, err := parseJournal(f)
	if err != nil {
		return 0, fmt.Errorf("cannot read the acceptance journal %s: %w", path, err)
	}
	if len(keys) == 0 {
		return 0, os.Remove(path) // nothing was accepted (or it was emptied after a commit)
	}
	type group struct{ campaign, step string }
	by := map[group][]acceptedKey{}
	for _, k := range keys {
		g := group{k.campaign, k.step}
		by[g] = append(by[g], k)
	}
	now := s.opts.Clock().UTC().Truncate(time.Microsecond)
	n := 0
	err = s.opts.Store.UpdateMarketing(ctx, func(tx store.MarketingTx) error {
		n = 0
		var done []store.Delivery
		var contacts []store.Contact
		for g, ks := range by {
			ids := make([]int64, len(ks))
			for i, k := range ks {
				ids[i] = k.customer
			}
			have, err := tx.DeliveriesOf(ctx, g.campaign, g.step, ids)
			if err != nil {
				return err
			}
			for _, k := range ks {
				d, ok := have[k.customer]
				if !ok || d.State != store.DeliveryPending {
					continue // recorded before the crash, or unknown
				}
				delete(have, k.customer) // a key listed twice counts once
				d.State, d.Reason, d.Attempts, d.UpdatedAt = store.DeliverySent, "", d.Attempts+1, now
				done = append(done, d)
				contacts = append(contacts, store.Contact{CustomerID: d.CustomerID, Channel: d.Channel, Kind: store.ContactSent,
					Campaign: d.Campaign, Step: d.Step, Offer: d.Offer, At: k.at.Truncate(time.Microsecond), Detail: "accepted before a crash"})
			}
		}
		if len(done) == 0 {
			return nil
		}
		if err := tx.UpdateDeliveries(ctx, done); err != nil {
			return err
		}
		n = len(done)
		return contact.Record(ctx, tx, contacts)
	})
	if err != nil {
		return 0, fmt.Errorf("record the acceptance journal %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return n, fmt.Errorf("cannot remove the acceptance journal: %w", err)
	}
	if n > 0 {
		s.opts.Logger.Info("recorded sends accepted before a crash", "journal", filepath.Base(path), "deliveries", n)
	}
	return n, nil
}
