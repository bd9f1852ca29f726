package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Options configure a file import.
type Options struct {
	Kind      Kind
	Source    string   // default: the preset's source, else the kind's file name stem
	Preset    string   // a name from Presets, or ""
	Map       []string // --map entries; not with Preset
	Delimiter string   // "", ",", "tab", "whitespace", ...; by file name when ""
	NoHeader  bool
	Location  *time.Location // for times without a zone; UTC when nil
	Rejects   string         // reject file path; created only when a row is rejected
	BatchSize int            // records per transaction; 20,000 when 0
	// Progress, when set, is called about five times a second with the bytes
	// read so far (of the files as stored) and their total.
	Progress func(p Progress)
	Logger   *slog.Logger
}

// Progress reports how far an import is.
type Progress struct {
	File       string
	Bytes      int64
	TotalBytes int64
	Rows       int64
	Elapsed    time.Duration
}

// Summary is what an import did. Read = Imported + Updated + Rejected +
// Duplicates.
type Summary struct {
	Kind   Kind     `json:"kind"`
	Source string   `json:"source"`
	Files  []string `json:"files"`
	Read   int64    `json:"read"`
	Counts
	OrdersLinked   int      `json:"orders_linked,omitempty"`
	IgnoredColumns []string `json:"ignored_columns,omitempty"`
	RejectsFile    string   `json:"rejects_file,omitempty"`
	Seconds        float64  `json:"seconds"`
}

// Import streams files of one kind into st: rows are read, converted and
// checked one by one, written in transactions of BatchSize records, and every
// rejected row goes to the reject file with its file, line and reason.
// Re-importing the same files adds nothing.
func Import(ctx context.Context, st store.Store, res *identity.Resolver, files []string, opts Options) (Summary, error) {
	start := time.Now()
	sum := Summary{Kind: opts.Kind, Files: files}
	opts, preset, maps, err := resolveOptions(files, opts)
	if err != nil {
		return sum, err
	}
	sum.Kind, sum.Source = opts.Kind, opts.Source
	if opts.BatchSize <= 0 {
		opts.BatchSize = 20_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return sum, fmt.Errorf("cannot import %s: %w", f, err)
		}
		total += fi.Size()
	}

	rej := &rejectWriter{path: opts.Rejects, files: files}
	defer rej.close()

	batches := make(chan *Batch, 2)
	var readErr error
	var bytesRead, rows atomic.Int64
	var curFile atomic.Value
	curFile.Store("")
	var ignored []string
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		bt := &batcher{ctx: ctx, out: batches, size: opts.BatchSize, kind: opts.Kind}
		bt.b = bt.fresh()
		for fi, file := range files {
			curFile.Store(file)
			ig, err := readFile(ctx, file, fi, opts, preset, maps, &bytesRead, &rows, rej, bt)
			ignored = appendNew(ignored, ig...)
			if err != nil {
				readErr = err
				return
			}
		}
		bt.flush()
	}()

	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	if opts.Progress != nil {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopProgress:
					return
				case <-t.C:
					opts.Progress(Progress{File: curFile.Load().(string), Bytes: bytesRead.Load(), TotalBytes: total,
						Rows: rows.Load(), Elapsed: time.Since(start)})
				}
			}
		}()
	}

	loader := NewLoader(st, res)
	var loadErr error
	for b := range batches {
		if loadErr != nil {
			continue // drain
		}
		r, err := loader.Load(ctx, b)
		if err != nil {
			loadErr = fmt.Errorf("write batch: %w", err)
			cancel()
			continue
		}
		sum.Counts.add(r.Counts)
		for _, rj := range r.Rejects {
			rej.write(rj.Pos, rj.Reason, "")
		}
	}
	close(stopProgress)
	progressDone.Wait()
	if opts.Progress != nil {
		opts.Progress(Progress{File: curFile.Load().(string), Bytes: bytesRead.Load(), TotalBytes: total,
			Rows: rows.Load(), Elapsed: time.Since(start)})
	}
	rej.close()
	sum.Rejected += rej.count
	sum.Read = rows.Load()
	sum.IgnoredColumns = ignored
	if rej.count > 0 {
		sum.RejectsFile = rej.path
	}
	if err := errors.Join(loadErr, readErr, rej.err); err != nil {
		sum.Seconds = time.Since(start).Seconds()
		return sum, err
	}
	opts.Logger.Debug("loaded", "seconds", time.Since(start).Seconds())
	if sum.Read != sum.Imported+sum.Updated+sum.Duplicates+sum.Rejected {
		// every row read is exactly one of these; anything else is a bug here
		return sum, fmt.Errorf("internal error: read %d rows but imported %d + updated %d + duplicates %d + rejected %d",
			sum.Read, sum.Imported, sum.Updated, sum.Duplicates, sum.Rejected)
	}
	if opts.Kind == KindOrders {
		n, err := st.LinkOrders(ctx)
		if err != nil {
			return sum, fmt.Errorf("link cancellations and returns: %w", err)
		}
		sum.OrdersLinked = n
		opts.Logger.Debug("linked", "seconds", time.Since(start).Seconds())
	}
	sum.Seconds = time.Since(start).Seconds()
	opts.Logger.Info("import done", "kind", sum.Kind, "source", sum.Source, "read", sum.Read,
		"imported", sum.Imported, "updated", sum.Updated, "duplicates", sum.Duplicates, "rejected", sum.Rejected, "seconds", sum.Seconds)
	return sum, nil
}

func appendNew(list []string, xs ...string) []string {
	for _, x := range xs {
		if !contains(list, x) {
			list = append(list, x)
		}
	}
	return list
}

// defaultSource names a source after a file: "orders_shop.csv.gz" -> "orders_shop".
func defaultSource(file string) string {
	base := filepath.Base(file)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// pos packs a file index and a line into a record position.
func pos(file int, line int64) int64 { return int64(file)<<40 | line }

func unpos(p int64) (int, int64) { return int(p >> 40), p & (1<<40 - 1) }

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// readFile reads one file, converting rows to records and handing them to
// bt; rows that cannot be read or converted go to rej.
func readFile(ctx context.Context, file string, fi int, opts Options, preset *Preset, maps []Mapping,
	bytesRead, rows *atomic.Int64, rej *rejectWriter, bt *batcher) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("cannot import %s: %w", file, err)
	}
	defer f.Close()
	format, delim := FormatCSV, byte(',')
	if guess, ok := FormatFromName(file); ok {
		format = guess
		if format == FormatTSV {
			delim = '\t'
		}
	}
	if preset != nil && preset.Delim != 0 {
		format, delim = preset.Format, preset.Delim
	}
	if opts.Delimiter != "" {
		if format, delim, err = ParseDelimiter(opts.Delimiter); err != nil {
			return nil, err
		}
	}
	rr, err := openRows(countingReader{f, bytesRead}, format, delim)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var header []string
	if format != FormatJSONL && !opts.NoHeader {
		h, err := rr.next()
		if err == io.EOF {
			return nil, nil // empty file
		}
		var re *rowError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%s: header: %s", file, re.reason)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		header = append([]string(nil), h.fields...)
	}
	bd, err := bind(opts.Kind, opts.Source, format, header, maps, preset, opts.Location, file)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return bd.ignored, ctx.Err()
		}
		r, err := rr.next()
		if err == io.EOF {
			return bd.ignored, nil
		}
		var re *rowError
		if errors.As(err, &re) {
			rows.Add(1)
			rej.write(pos(fi, re.line), re.reason, re.raw)
			continue
		}
		if err != nil {
			return bd.ignored, fmt.Errorf("%s line %d: %w", file, rr.line, err)
		}
		rows.Add(1)
		p := pos(fi, r.line)
		v, err := bd.values(&r)
		if err != nil {
			rej.write(p, err.Error(), r.raw)
			continue
		}
		b := bt.b
		switch opts.Kind {
		case KindCustomers:
			rec, err := bd.customer(v, p)
			if err != nil {
				rej.write(p, err.Error(), r.raw)
				continue
			}
			b.Customers = append(b.Customers, rec)
		case KindItems:
			rec, err := bd.item(v, p)
			if err != nil {
				rej.write(p, err.Error(), r.raw)
				continue
			}
			b.Items = append(b.Items, rec)
		case KindOrders:
			rec, err := bd.orderLine(v, p)
			if err != nil {
				rej.write(p, err.Error(), r.raw)
				continue
			}
			b.Lines = append(b.Lines, rec)
		case KindEvents:
			rec, err := bd.event(v, p)
			if err != nil {
				rej.write(p, err.Error(), r.raw)
				continue
			}
			b.Events = append(b.Events, rec)
		}
		if !bt.maybeFlush() {
			return bd.ignored, ctx.Err()
		}
	}
}

// rejectWriter writes rejected rows as CSV: file, line, reason, raw row.
type rejectWriter struct {
	mu    sync.Mutex
	path  string
	files []string
	f     *os.File
	w     *csv.Writer
	count int64
	err   error
}

func (r *rejectWriter) write(p int64, reason, raw string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if r.path == "" || r.err != nil {
		return
	}
	if r.w == nil {
		if err := os.MkdirAll(filepath.Dir(r.path), 0o755); err != nil {
			r.err = fmt.Errorf("create reject file: %w", err)
			return
		}
		f, err := os.Create(r.path)
		if err != nil {
			r.err = fmt.Errorf("create reject file: %w", err)
			return
		}
		r.f, r.w = f, csv.NewWriter(f)
		r.w.Write([]string{"file", "line", "reason", "row"})
	}
	fi, line := unpos(p)
	r.w.Write([]string{r.files[fi], fmt.Sprint(line), reason, raw})
}

func (r *rejectWriter) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.w != nil {
		r.w.Flush()
		if err := r.w.Error(); err != nil && r.err == nil {
			r.err = err
		}
		r.f.Close()
		r.w = nil
	}
}

// batcher collects records into batches of a fixed size and hands them on.
type batcher struct {
	ctx  context.Context
	out  chan<- *Batch
	size int
	kind Kind
	b    *Batch
}

// fresh returns an empty batch with room for a full one.
func (bt *batcher) fresh() *Batch {
	b := &Batch{}
	switch bt.kind {
	case KindCustomers:
		b.Customers = make([]CustomerRecord, 0, bt.size)
	case KindItems:
		b.Items = make([]ItemRecord, 0, bt.size)
	case KindOrders:
		b.Lines = make([]OrderLineRecord, 0, bt.size)
	case KindEvents:
		b.Events = make([]EventRecord, 0, bt.size)
	}
	return b
}

// maybeFlush hands the batch on once it is full; false when the import was
// cancelled.
func (bt *batcher) maybeFlush() bool {
	if bt.b.Len() < bt.size {
		return true
	}
	return bt.flush()
}

func (bt *batcher) flush() bool {
	if bt.b.Len() == 0 {
		return true
	}
	select {
	case bt.out <- bt.b:
		bt.b = bt.fresh()
		return true
	case <-bt.ctx.Done():
		return false
	}
}

// CheckOptions reports what is wrong with the options of an import of files
// before anything is opened or read: an unknown preset or kind, a bad --map,
// a bad source name. Import makes the same checks; callers use this one to
// tell a mistake in the command line from a failure while importing.
func CheckOptions(files []string, opts Options) error {
	_, _, _, err := resolveOptions(files, opts)
	return err
}

// resolveOptions checks opts and fills in what the preset and the file names
// imply: the kind, the mapping, the source and the header setting.
func resolveOptions(files []string, opts Options) (Options, *Preset, []Mapping, error) {
	if len(files) == 0 {
		return opts, nil, nil, errors.New("no files to import")
	}
	var preset *Preset
	if opts.Preset != "" {
		p, err := LookupPreset(opts.Preset)
		if err != nil {
			return opts, nil, nil, err
		}
		if opts.Kind != "" && opts.Kind != p.Kind {
			return opts, nil, nil, fmt.Errorf("preset %q imports %s, not %s", p.Name, p.Kind, opts.Kind)
		}
		if len(opts.Map) > 0 {
			return opts, nil, nil, errors.New("--preset and --map cannot be combined")
		}
		preset = &p
		opts.Kind = p.Kind
		opts.Map = p.Map
		if opts.Source == "" {
			opts.Source = p.Source
		}
		if p.NoHeader {
			opts.NoHeader = true
		}
	}
	if _, err := ParseKind(string(opts.Kind)); err != nil {
		return opts, nil, nil, err
	}
	if opts.Source == "" {
		opts.Source = defaultSource(files[0])
	}
	if err := CheckSource(opts.Source); err != nil {
		return opts, nil, nil, err
	}
	maps, err := ParseMap(opts.Kind, opts.Map)
	if err != nil {
		return opts, nil, nil, err
	}
	return opts, preset, maps, nil
}
