package recommend

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
)

// fileMagic starts every model file; the number is the format version.
const fileMagic = "sagitta-recommend-model 1\n"

// ErrFormat is returned for a file that is not a model of this version.
var ErrFormat = errors.New("not a sagitta recommendation model of format 1")

// Model is a trained, persisted recommender: the dictionaries, what every
// user had interacted with, the fitted models, optional item metadata and
// association rules. It is immutable once built.
type Model struct {
	TrainedAt time.Time
	Config    Config
	Users     []string
	Items     []string
	Seen      *Matrix // users × items, counts
	Fit       *Fitted
	// Item metadata known at training time (from the store), by item number;
	// nil when trained from a file.
	Category []string
	Price    []float64
	// Segment of every user (by user number) under the attribute
	// SegmentAttr, for the cold start of new customers; nil when unknown.
	SegmentAttr string
	Segment     []string
	// Rules for cart completion (from orders), over the names RuleItems.
	RuleItems []string
	Rules     []rules.Rule

	users map[string]int32
	items map[string]int32
}

// Train fits a model on every interaction of d.
func Train(ctx context.Context, d *Dataset, c Config) (*Model, error) {
	m := buildMatrix(len(d.Users), len(d.Items), d.U, d.I, d.W)
	f, err := Fit(ctx, m, c)
	if err != nil {
		return nil, err
	}
	md := &Model{TrainedAt: time.Now().UTC(), Config: c, Users: d.Users, Items: d.Items, Seen: m, Fit: f}
	md.index()
	return md, nil
}

func (m *Model) index() {
	m.users = make(map[string]int32, len(m.Users))
	for i, u := range m.Users {
		m.users[u] = int32(i)
	}
	m.items = make(map[string]int32, len(m.Items))
	for i, it := range m.Items {
		m.items[it] = int32(i)
	}
}

// User returns the number of a user name, or -1.
func (m *Model) User(name string) int32 {
	if u, ok := m.users[name]; ok {
		return u
	}
	return -1
}

// Item returns the number of an item name, or -1.
func (m *Model) Item(name string) int32 {
	if i, ok := m.items[name]; ok {
		return i
	}
	return -1
}

// Write writes the model: the magic line, then gob.
func (m *Model) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(fileMagic); err != nil {
		return err
	}
	if err := gob.NewEncoder(bw).Encode(m); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return bw.Flush()
}

// Read reads a model written by Write.
func Read(r io.Reader) (*Model, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != fileMagic {
		return nil, ErrFormat
	}
	var m Model
	if err := gob.NewDecoder(br).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if m.Seen == nil || m.Fit == nil || m.Seen.Rows != len(m.Users) || m.Seen.Cols != len(m.Items) {
		return nil, fmt.Errorf("decode model: inconsistent sizes: %w", ErrFormat)
	}
	m.Fit.bind()
	m.index()
	return &m, nil
}

// Save writes the model to path atomically (a temporary file renamed).
func (m *Model) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	defer os.Remove(f.Name())
	if err := m.Write(f); err != nil {
		f.Close()
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save model %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// Load reads the model file at path.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// TopNAll writes, for every user, the n best items as (user, item, rank)
// through emit, rank 1 best; seen items are left out when excludeSeen.
func (m *Model) TopNAll(ctx context.Context, n int, excludeSeen bool, emit func(user, item string, rank int) error) error {
	scores := make([]float32, len(m.Items))
	var top []int32
	for u := range m.Users {
		if u%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		hist, _ := m.Seen.Row(int32(u))
		m.Fit.Score(int32(u), hist, scores)
		var ex []int32
		if excludeSeen {
			ex = hist
		}
		top = TopK(scores, ex, n, top)
		for r, i := range top {
			if err := emit(m.Users[u], m.Items[i], r+1); err != nil {
				return err
			}
		}
	}
	return nil
}
