package recommend

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sagitta-dev/sagitta/internal/recommend/rules"
)

// fileMagic starts every model file; the number is the format version.
// Format 2 puts a JSON line (Header) between the magic line and the gob,
// so that a listing reads the evaluation without decoding the model;
// format 1 (no header, no evaluation) is still read.
const (
	fileMagic  = "sagitta-recommend-model 2\n"
	fileMagic1 = "sagitta-recommend-model 1\n"
	fileFormat = 2
)

// maxHeader bounds the header line a reader accepts.
const maxHeader = 1 << 20

// ErrFormat is returned for a file that is not a model of a known version.
var ErrFormat = errors.New("not a sagitta recommendation model of format 1 or 2")

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
	// Interactions and TrainSeconds describe the training (TrainEvaluated).
	Interactions int
	TrainSeconds float64
	// Eval is the held-out evaluation of the model's configuration; nil
	// when there is none, NoEval then says why (NoEvalSkipped,
	// NoEvalUntestable: …; "" for a model trained without TrainEvaluated
	// or read from a format-1 file).
	Eval   *Evaluation
	NoEval string

	users  map[string]int32
	items  map[string]int32
	format int // of the file it was read from; 0 when trained here
}

// Header is what a model file tells before its gob: the model's kind,
// size and parameters, and its evaluation. It is the "recommend" entry of
// `sagitta model list` and GET /v1/models.
type Header struct {
	Format       int            `json:"format"`
	Kind         string         `json:"kind"`
	TrainedAt    time.Time      `json:"trained_at"`
	Users        int            `json:"users"`
	Items        int            `json:"items"`
	Interactions int            `json:"interactions,omitempty"`
	Rules        int            `json:"rules"`
	Params       map[string]any `json:"params"`
	TrainSeconds float64        `json:"train_seconds,omitempty"`
	Evaluation   *Evaluation    `json:"evaluation"`
	NoEvaluation string         `json:"no_evaluation,omitempty"`
}

// Header describes m.
func (m *Model) Header() Header {
	h := Header{Format: cmp.Or(m.format, fileFormat), TrainedAt: m.TrainedAt, Users: len(m.Users), Items: len(m.Items),
		Interactions: m.Interactions, Rules: len(m.Rules), Params: m.Config.Params(), TrainSeconds: m.TrainSeconds,
		Evaluation: m.Eval, NoEvaluation: m.NoEval}
	if m.Fit != nil {
		h.Kind = m.Fit.Kind
	}
	return h
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

// Write writes the model: the magic line, the header as one JSON line,
// then gob.
func (m *Model) Write(w io.Writer) error {
	h := m.Header()
	h.Format = fileFormat
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode model header: %w", err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if _, err := bw.WriteString(fileMagic); err != nil {
		return err
	}
	if _, err := bw.Write(append(head, '\n')); err != nil {
		return err
	}
	if err := gob.NewEncoder(bw).Encode(m); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	return bw.Flush()
}

// readMagic reads the magic line and, in format 2, the header line.
func readMagic(br *bufio.Reader) (format int, head []byte, err error) {
	magic := make([]byte, len(fileMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return 0, nil, ErrFormat
	}
	switch string(magic) {
	case fileMagic1:
		return 1, nil, nil
	case fileMagic:
		var line []byte
		for {
			part, err := br.ReadSlice('\n')
			line = append(line, part...)
			if len(line) > maxHeader {
				return 0, nil, fmt.Errorf("model header longer than %d bytes: %w", maxHeader, ErrFormat)
			}
			if err == nil {
				return 2, bytes.TrimSuffix(line, []byte("\n")), nil
			}
			if !errors.Is(err, bufio.ErrBufferFull) {
				return 0, nil, fmt.Errorf("model header: %w", ErrFormat)
			}
		}
	}
	return 0, nil, ErrFormat
}

// ReadHeader reads a model file's header without decoding the model (a
// format-1 file, which has none, is decoded to describe it).
func ReadHeader(r io.Reader) (Header, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	format, head, err := readMagic(br)
	if err != nil {
		return Header{}, err
	}
	if format == 1 {
		m, err := decode(br, format)
		if err != nil {
			return Header{}, err
		}
		return m.Header(), nil
	}
	var h Header
	if err := json.Unmarshal(head, &h); err != nil {
		return Header{}, fmt.Errorf("model header: %v: %w", err, ErrFormat)
	}
	return h, nil
}

// LoadHeader reads the header of the model file at path.
func LoadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	h, err := ReadHeader(f)
	if err != nil {
		return Header{}, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// Read reads a model written by Write (format 2) or by an older build
// (format 1, without an evaluation).
func Read(r io.Reader) (*Model, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	format, _, err := readMagic(br)
	if err != nil {
		return nil, err
	}
	return decode(br, format)
}

func decode(br *bufio.Reader, format int) (*Model, error) {
	var m Model
	if err := gob.NewDecoder(br).Decode(&m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if m.Seen == nil || m.Fit == nil || m.Seen.Rows != len(m.Users) || m.Seen.Cols != len(m.Items) {
		return nil, fmt.Errorf("decode model: inconsistent sizes: %w", ErrFormat)
	}
	m.Fit.bind()
	m.index()
	m.format = format
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
