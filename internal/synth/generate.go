package synth

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
)

// Output streams written person by person.
const (
	outCRM = iota
	outShopCustomers
	outPOSCustomers
	outShopOrders
	outPOSOrders
	outEvents
	outTruth
	nOut
)

type stream struct {
	name, kind, source, format string
	columns                    []string
}

var streams = [nOut]stream{
	outCRM:           {"customers_crm.csv", "customers", "crm", "csv", crmColumns},
	outShopCustomers: {"customers_shop.jsonl", "customers", "shop", "jsonl", shopCustomerColumns},
	outPOSCustomers:  {"customers_pos.tsv", "customers", "pos", "tsv", posCustomerColumns},
	outShopOrders:    {"orders_shop.csv", "orders", "shop", "csv", shopOrderColumns},
	outPOSOrders:     {"orders_pos.csv", "orders", "pos", "csv", posOrderColumns},
	outEvents:        {"events_web.csv", "events", "shop", "csv", eventColumns},
	outTruth:         {"truth.csv", "truth", "", "csv", truthColumns},
}

// chunkSize is the number of people generated from one random stream. It is
// fixed, so the output does not depend on the number of workers.
const chunkSize = 1024

// idsPerChunk is the id space reserved for the orders and the events of one
// chunk.
const idsPerChunk = 1_000_000_000

// Generate writes a synthetic shop into dir (created if needed): items.csv,
// the customer, order and event files listed in the returned Manifest,
// truth.csv and, last, manifest.json. The same Options give the same bytes.
// On error the directory holds partial files and no manifest.
func Generate(ctx context.Context, dir string, opts Options) (Manifest, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("create output directory: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return Manifest{}, fmt.Errorf("create output directory: %w", err)
	}
	w := newWorld(opts)

	m := Manifest{
		Customers:         opts.Customers,
		Seed:              opts.Seed,
		Start:             opts.Start,
		End:               opts.End,
		EventsPerCustomer: opts.EventsPerCustomer,
	}
	items := w.cat.appendItemsCSV(nil)
	if err := os.WriteFile(filepath.Join(dir, "items.csv"), items, 0o644); err != nil {
		return Manifest{}, fmt.Errorf("write items: %w", err)
	}
	m.Files = append(m.Files, File{Kind: "items", Source: "shop", Path: filepath.Join(dir, "items.csv"), Format: "csv", Rows: int64(len(w.cat.items)), Columns: itemColumns})

	var files [nOut]*os.File
	var bufs [nOut]*bufio.Writer
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i, s := range streams {
		f, err := os.Create(filepath.Join(dir, s.name))
		if err != nil {
			return Manifest{}, fmt.Errorf("create %s: %w", s.name, err)
		}
		files[i] = f
		bufs[i] = bufio.NewWriterSize(f, 1<<20)
		if s.format != "jsonl" {
			sep := byte(',')
			if s.format == "tsv" {
				sep = '\t'
			}
			var h []byte
			for k, c := range s.columns {
				if k > 0 {
					h = append(h, sep)
				}
				h = append(h, c...)
			}
			bufs[i].Write(append(h, '\n'))
		}
	}

	var rows [nOut]int64
	var st Truth
	err = w.run(ctx, func(c *chunk) error {
		for i := range nOut {
			if _, err := bufs[i].Write(c.buf[i]); err != nil {
				return fmt.Errorf("write %s: %w", streams[i].name, err)
			}
			rows[i] += c.rows[i]
		}
		st.add(&c.st)
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	for i, s := range streams {
		if err := bufs[i].Flush(); err != nil {
			return Manifest{}, fmt.Errorf("write %s: %w", s.name, err)
		}
		err := files[i].Close()
		files[i] = nil
		if err != nil {
			return Manifest{}, fmt.Errorf("close %s: %w", s.name, err)
		}
		if i == outTruth {
			continue
		}
		m.Files = append(m.Files, File{Kind: s.kind, Source: s.source, Path: filepath.Join(dir, s.name), Format: s.format, Rows: rows[i], Columns: s.columns})
	}
	st.Path, st.Rows, st.Columns = filepath.Join(dir, streams[outTruth].name), rows[outTruth], truthColumns
	m.Truth = st

	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644); err != nil {
		return Manifest{}, fmt.Errorf("write manifest: %w", err)
	}
	return m, nil
}

// add accumulates a chunk's counts.
func (t *Truth) add(o *Truth) {
	t.People += o.People
	t.InCRM += o.InCRM
	t.InShop += o.InShop
	t.InPOS += o.InPOS
	t.ExpectedCustomers += o.ExpectedCustomers
	t.SharedEmails += o.SharedEmails
	t.SharedPhones += o.SharedPhones
	t.Unlinkable += o.Unlinkable
	t.InvalidEmails += o.InvalidEmails
	t.InvalidPhones += o.InvalidPhones
	t.InvalidBirthDates += o.InvalidBirthDates
	t.Movers += o.Movers
	t.Buyers += o.Buyers
	t.AliveAtEnd += o.AliveAtEnd
	t.Orders += o.Orders
	t.OrderLines += o.OrderLines
	t.AnonymousOrders += o.AnonymousOrders
	t.Cancellations += o.Cancellations
	t.Returns += o.Returns
	t.RevenueCents += o.RevenueCents
	t.Events += o.Events
	t.AnonymousEvents += o.AnonymousEvents
}

// run generates the chunks on GOMAXPROCS workers and hands them to write in
// order, from the calling goroutine. At most a few chunks are in flight, so
// memory stays constant whatever the number of people.
func (w *world) run(ctx context.Context, write func(*chunk) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nChunks := (int64(w.opts.Customers) + chunkSize - 1) / chunkSize
	workers := int(min(int64(runtime.GOMAXPROCS(0)), nChunks))
	type job struct {
		idx  int64
		done chan *chunk
	}
	work := make(chan job, workers)
	order := make(chan job, 2*workers)
	free := make(chan *chunk, 3*workers+1)

	go func() {
		defer close(work)
		defer close(order)
		for i := range nChunks {
			j := job{idx: i, done: make(chan *chunk, 1)}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range work {
				var c *chunk
				select {
				case c = <-free:
				default:
					c = &chunk{w: w}
				}
				if ctx.Err() == nil {
					c.generate(j.idx)
				}
				j.done <- c
			}
		}()
	}

	var done int64
	var err error
	for j := range order {
		c := <-j.done
		if err == nil {
			if err = ctx.Err(); err == nil {
				err = write(c)
			}
			if err != nil {
				cancel()
			}
		}
		select {
		case free <- c:
		default:
		}
		if err == nil {
			done = min(done+chunkSize, int64(w.opts.Customers))
			if w.opts.Progress != nil {
				w.opts.Progress(done, int64(w.opts.Customers))
			}
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return nil
}

// world is everything shared, read-only, by the chunks.
type world struct {
	opts       Options
	cal        *calendar
	cat        *catalog
	countryCum []float64
	cityCum    [][]float64
	leafCum    []float64 // all-year demand over leaves
	sourceCum  []float64
	domainCum  []float64

	idWidth                                int // digits of customer numbers
	crmNo, shopNo, posNo, emailNo, phoneNo affine
	orderWidth, eventWidth                 int
}

func newWorld(opts Options) *world {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x5a617474615f7331))
	w := &world{opts: opts}
	w.cal = newCalendar(opts.Start.Unix(), opts.End.Unix())
	w.cat = newCatalog(r, catalogSize(opts.Customers), w.cal.dayOf(w.cal.start), w.cal.days)

	cw := make([]float64, len(countries))
	for i, c := range countries {
		cw[i] = c.weight
		w.cityCum = append(w.cityCum, cumulative(c.cityWeights))
	}
	w.countryCum = cumulative(cw)
	lw := make([]float64, len(w.cat.leaves))
	for i, l := range w.cat.leaves {
		lw[i] = l.def.weight
	}
	w.leafCum = cumulative(lw)
	sw := make([]float64, len(sourceMix))
	for i, s := range sourceMix {
		sw[i] = s.weight
	}
	w.sourceCum = cumulative(sw)
	w.domainCum = cumulative([]float64{30, 20, 15, 15, 10, 10})

	w.idWidth = max(6, digits(int64(opts.Customers))+1)
	mod := int64(1)
	for range w.idWidth {
		mod *= 10
	}
	w.crmNo, w.shopNo, w.posNo = newAffine(r, mod), newAffine(r, mod), newAffine(r, mod)
	w.emailNo = newAffine(r, mod)
	w.phoneNo = newAffine(r, 100_000_000)
	nChunks := (int64(opts.Customers) + chunkSize - 1) / chunkSize
	w.orderWidth = digits(nChunks * idsPerChunk)
	w.eventWidth = w.orderWidth
	return w
}

// sourceMix is the share of people by the sources that know them.
var sourceMix = []struct {
	crm, shop, pos bool
	weight         float64
}{
	{true, true, true, 20},
	{true, true, false, 35},
	{true, false, true, 10},
	{false, true, false, 15},
	{false, false, true, 8},
	{true, false, false, 7},
	{false, true, true, 5},
}
