package lifecycle

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Snapshot is every customer's lifecycle stage at one instant.
type Snapshot struct {
	At     time.Time // when it was taken (wall clock)
	AsOf   time.Time // the feature table's as-of
	Stages []string  // a code's stage name: rfm.Stages() first, then any other the table held
	IDs    []int64   // ascending
	Codes  []uint8   // Codes[i] is the stage of IDs[i], an index into Stages
}

// maxStages is the most distinct stages a snapshot can hold (one byte each).
const maxStages = 255

// Take takes the snapshot of a feature table. It copies what it keeps, so
// the caller may release the table's lock as soon as it returns.
func Take(t *feature.Table, at time.Time) (*Snapshot, error) {
	s := &Snapshot{At: at, AsOf: t.AsOf, Stages: rfm.Stages(), IDs: append([]int64(nil), t.IDs...), Codes: make([]uint8, len(t.IDs))}
	stages := t.Text[feature.ColStage]
	if len(stages) != len(t.IDs) {
		return nil, fmt.Errorf("lifecycle snapshot: the feature table has %d stages for %d customers", len(stages), len(t.IDs))
	}
	for i, st := range stages {
		c := slices.Index(s.Stages, st) // a scan of a few short names beats a map
		if c < 0 {
			if len(s.Stages) == maxStages {
				return nil, fmt.Errorf("lifecycle snapshot: more than %d distinct stages", maxStages)
			}
			c = len(s.Stages)
			s.Stages = append(s.Stages, st)
		}
		s.Codes[i] = uint8(c)
	}
	return s, nil
}

// Counts returns the number of customers in each stage, in Stages order
// (every stage of rfm.Stages(), also when empty).
func (s *Snapshot) Counts() []store.StageCount {
	n := make([]int64, len(s.Stages))
	for _, c := range s.Codes {
		n[c]++
	}
	out := make([]store.StageCount, len(s.Stages))
	for i, st := range s.Stages {
		out[i] = store.StageCount{Stage: st, Customers: n[i]}
	}
	return out
}

// File format of a snapshot, all integers little-endian:
//
//	magic "SGLCSNAP", version uint32 (1), at and as-of int64 (unix µs),
//	stage count uint16, each stage: length uint8 and its bytes,
//	customers uint64, their ids int64 (ascending), one stage code uint8 each,
//	CRC-32C (Castagnoli) of everything before it, uint32.
const (
	magic       = "SGLCSNAP"
	fileVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt marks a snapshot file that cannot be read as one.
var ErrCorrupt = errors.New("corrupt lifecycle snapshot")

// WriteFile writes the snapshot to path atomically: to a temporary file
// in the same directory, renamed over path by the returned commit (discard
// removes it instead). Exactly one of them must be called.
func (s *Snapshot) WriteFile(path string) (commit func() error, discard func(), err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("write lifecycle snapshot: %w", err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, nil, fmt.Errorf("write lifecycle snapshot: %w", err)
	}
	tmp := f.Name()
	discard = func() { os.Remove(tmp) }
	if err := s.encode(f); err != nil {
		f.Close()
		discard()
		return nil, nil, fmt.Errorf("write lifecycle snapshot %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		discard()
		return nil, nil, fmt.Errorf("write lifecycle snapshot %s: %w", tmp, err)
	}
	commit = func() error {
		if err := os.Rename(tmp, path); err != nil {
			discard()
			return fmt.Errorf("write lifecycle snapshot: %w", err)
		}
		return nil
	}
	return commit, discard, nil
}

func (s *Snapshot) encode(w io.Writer) error {
	if len(s.Codes) != len(s.IDs) || len(s.Stages) > maxStages {
		return fmt.Errorf("%d codes for %d ids, %d stages", len(s.Codes), len(s.IDs), len(s.Stages))
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	buf := make([]byte, 0, 1<<16)
	buf = append(buf, magic...)
	buf = binary.LittleEndian.AppendUint32(buf, fileVersion)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(s.At.UnixMicro()))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(s.AsOf.UnixMicro()))
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(s.Stages)))
	for _, st := range s.Stages {
		if len(st) > 255 {
			return fmt.Errorf("stage name of %d bytes", len(st))
		}
		buf = append(buf, byte(len(st)))
		buf = append(buf, st...)
	}
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(s.IDs)))
	for _, id := range s.IDs {
		if len(buf)+8 > cap(buf) {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = binary.LittleEndian.AppendUint64(buf, uint64(id))
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	if _, err := bw.Write(s.Codes); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// ReadFile reads a snapshot written by WriteFile. A file that is not one,
// truncated, changed or of an unknown version gives an error wrapping
// ErrCorrupt; a missing file one wrapping fs.ErrNotExist.
func ReadFile(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lifecycle snapshot: %w", err)
	}
	s, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("read lifecycle snapshot %s: %w: %s", path, ErrCorrupt, err)
	}
	return s, nil
}

func decode(b []byte) (*Snapshot, error) {
	const head = len(magic) + 4 + 8 + 8 + 2
	if len(b) < head+8+4 || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a lifecycle snapshot")
	}
	if v := binary.LittleEndian.Uint32(b[len(magic):]); v != fileVersion {
		return nil, fmt.Errorf("version %d, this program reads %d", v, fileVersion)
	}
	body := b[:len(b)-4]
	if want, got := binary.LittleEndian.Uint32(b[len(b)-4:]), crc32.Checksum(body, castagnoli); want != got {
		return nil, fmt.Errorf("checksum %08x, stored %08x: truncated or changed", got, want)
	}
	p := len(magic) + 4
	s := &Snapshot{
		At:   time.UnixMicro(int64(binary.LittleEndian.Uint64(b[p:]))).UTC(),
		AsOf: time.UnixMicro(int64(binary.LittleEndian.Uint64(b[p+8:]))).UTC(),
	}
	p += 16
	ns := int(binary.LittleEndian.Uint16(b[p:]))
	p += 2
	if ns > maxStages {
		return nil, fmt.Errorf("%d stages", ns)
	}
	for range ns {
		if p >= len(body) {
			return nil, errors.New("stage names cut short")
		}
		l := int(b[p])
		if p+1+l > len(body) {
			return nil, errors.New("stage names cut short")
		}
		s.Stages = append(s.Stages, string(b[p+1:p+1+l]))
		p += 1 + l
	}
	if p+8 > len(body) {
		return nil, errors.New("customer count cut short")
	}
	n := binary.LittleEndian.Uint64(b[p:])
	p += 8
	if rest := uint64(len(body) - p); n > rest/9 || n*9 != rest {
		return nil, fmt.Errorf("%d customers in %d bytes", n, rest)
	}
	s.IDs = make([]int64, n)
	for i := range s.IDs {
		s.IDs[i] = int64(binary.LittleEndian.Uint64(b[p+8*i:]))
		if i > 0 && s.IDs[i] <= s.IDs[i-1] {
			return nil, fmt.Errorf("customer ids not ascending at %d", i)
		}
	}
	p += 8 * int(n)
	s.Codes = append([]uint8(nil), b[p:p+int(n)]...)
	for i, c := range s.Codes {
		if int(c) >= ns {
			return nil, fmt.Errorf("stage code %d of customer %d, %d stages", c, s.IDs[i], ns)
		}
	}
	return s, nil
}
