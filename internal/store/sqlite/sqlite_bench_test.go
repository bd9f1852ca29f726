package sqlite

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

const batch = 1000 // rows per transaction

// benchContext is cancellable, like the signal.NotifyContext the program
// runs under: the driver then watches it on every statement.
func benchContext(b *testing.B) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return ctx
}

func reportPerRow(b *testing.B, rows int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
}

func BenchmarkPutOrderLines(b *testing.B) {
	ctx := benchContext(b)
	s := open(b)
	defer s.Close()
	lines := make([]store.OrderLine, batch)
	rows, order := 0, int64(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := range lines {
			if i%20 == 0 {
				order++
			}
			lines[i] = store.OrderLine{OrderID: order, LineNo: i%20 + 1, ItemID: "8512" + strconv.Itoa(i%4000),
				Quantity: float64(1 + i%12), UnitPrice: 2.55, Amount: float64(1+i%12) * 2.55}
		}
		err := s.Update(ctx, func(tx store.Tx) error {
			n, err := tx.PutOrderLines(ctx, lines)
			if err == nil && n != len(lines) {
				err = fmt.Errorf("inserted %d of %d", n, len(lines))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		rows += len(lines)
	}
	reportPerRow(b, rows)
}

func BenchmarkPutEvents(b *testing.B) {
	ctx := benchContext(b)
	s := open(b)
	defer s.Close()
	events := make([]store.Event, batch)
	rows := 0
	var seq uint64
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		for i := range events {
			seq++
			at = at.Add(time.Second)
			events[i] = store.Event{ID: int64(splitmix(seq)), Source: "web", CustomerID: int64(1 + seq%4000),
				Type: store.EventView, At: at, ItemID: "8512" + strconv.Itoa(int(seq%4000)), Value: 1}
		}
		err := s.Update(ctx, func(tx store.Tx) error {
			n, err := tx.PutEvents(ctx, events)
			if err == nil && n != len(events) {
				err = fmt.Errorf("inserted %d of %d", n, len(events))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		rows += len(events)
	}
	reportPerRow(b, rows)
}

func BenchmarkStats(b *testing.B) {
	ctx := benchContext(b)
	s := open(b)
	defer s.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Stats(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// splitmix spreads event ids over the key space like hashed ids do.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// BenchmarkLoadOnlineRetail stores the UCI Online Retail data set (541,909
// lines) the way an importer would: items, customers with their id, order
// headers and lines, 2,000 lines per PutOrderLines, one transaction. The
// CSV is parsed once, outside the timing; each iteration loads a fresh store.
func BenchmarkLoadOnlineRetail(b *testing.B) {
	path := filepath.Join("..", "..", "..", "..", "shared", "data", "online-retail", "online-retail.csv.gz")
	data, err := readRetail(path)
	if errors.Is(err, os.ErrNotExist) {
		b.Skipf("%s not found: the shared data folder is absent", path)
	}
	if err != nil {
		b.Fatal(err)
	}
	ctx := benchContext(b)
	var cpu time.Duration
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		s := open(b)
		c0 := cpuTime()
		b.StartTimer()
		if err := loadRetail(ctx, s, data); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		st, err := s.Stats(ctx)
		if err != nil || st.OrderLines != int64(len(data.lines)) || st.Orders != int64(len(data.orders)) {
			b.Fatalf("stats %+v, %v; want %d orders, %d lines", st, err, len(data.orders), len(data.lines))
		}
		s.Close()
		b.StartTimer()
	}
	reportPerRow(b, b.N*len(data.lines))
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the CPU time the process used so far: on a shared machine it
// varies less than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type retail struct {
	items     []store.Item
	customers []string
	orders    []store.Order // CustomerID is an index into customers + 1, 0 for guests
	lines     []store.OrderLine
	lineOrder []int // index into orders of each line
}

func readRetail(path string) (*retail, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(zr)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // header
		return nil, err
	}
	d := &retail{}
	items, customers, orders := map[string]bool{}, map[string]int64{}, map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		inv, code, desc, qty, date, price, cust := rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6]
		q, _ := strconv.ParseFloat(qty, 64)
		p, _ := strconv.ParseFloat(price, 64)
		if !items[code] {
			items[code] = true
			d.items = append(d.items, store.Item{ID: code, Title: desc, Price: p, Active: true, Source: "retail"})
		}
		oi, ok := orders[inv]
		if !ok {
			var cid int64
			if cust != "" {
				if cid = customers[cust]; cid == 0 {
					d.customers = append(d.customers, strings.TrimSuffix(cust, ".0"))
					cid = int64(len(d.customers))
					customers[cust] = cid
				}
			}
			at, err := time.Parse(time.DateTime, date)
			if err != nil {
				return nil, err
			}
			kind := store.OrderSale
			if strings.HasPrefix(inv, "C") {
				kind = store.OrderCancel
			}
			oi = len(d.orders)
			orders[inv] = oi
			d.orders = append(d.orders, store.Order{Source: "retail", ExtID: inv, CustomerID: cid, PlacedAt: at, Kind: kind, Currency: "GBP"})
		}
		d.lineOrder = append(d.lineOrder, oi)
		d.lines = append(d.lines, store.OrderLine{LineNo: len(d.lines) + 1, ItemID: code, Quantity: q, UnitPrice: p, Amount: q * p})
	}
	return d, nil
}

func loadRetail(ctx context.Context, s *Store, d *retail) error {
	return s.Update(ctx, func(tx store.Tx) error {
		for _, it := range d.items {
			if _, err := tx.PutItem(ctx, it); err != nil {
				return err
			}
		}
		ids := make([]int64, len(d.customers)+1)
		for i, c := range d.customers {
			id, err := tx.NewCustomer(ctx, time.Time{})
			if err != nil {
				return err
			}
			ids[i+1] = id
			if err := tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindExternalID, Namespace: "retail", Value: c, Source: "retail"}); err != nil {
				return err
			}
		}
		orderIDs := make([]int64, len(d.orders))
		for i, o := range d.orders {
			o.CustomerID = ids[o.CustomerID]
			if _, err := tx.PutOrder(ctx, &o); err != nil {
				return err
			}
			orderIDs[i] = o.ID
		}
		buf := make([]store.OrderLine, 0, 2000)
		for i, l := range d.lines {
			l.OrderID = orderIDs[d.lineOrder[i]]
			buf = append(buf, l)
			if len(buf) == cap(buf) || i == len(d.lines)-1 {
				if _, err := tx.PutOrderLines(ctx, buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		return nil
	})
}

// benchIdentities stores n e-mail identities, one customer each, and
// returns 1000 values to look up: every other one stored.
func benchIdentities(b *testing.B, ctx context.Context, s store.Store, n int) []string {
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			id, err := tx.NewCustomer(ctx, time.Time{})
			if err != nil {
				return err
			}
			err = tx.AddIdentity(ctx, store.Identity{CustomerID: id, Kind: store.KindEmail, Value: fmt.Sprintf("user%06d@example.com", i), Source: "crm"})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	values := make([]string, batch)
	for i := range values {
		if i%2 == 0 {
			values[i] = fmt.Sprintf("user%06d@example.com", (i*7919)%n)
		} else {
			values[i] = fmt.Sprintf("nobody%06d@example.com", i)
		}
	}
	return values
}

// BenchmarkFindIdentities looks up 1000 e-mails (half of them stored among
// 20,000) in a transaction, on the Store, and one by one for comparison.
func BenchmarkFindIdentities(b *testing.B) {
	ctx := benchContext(b)
	s := open(b)
	defer s.Close()
	values := benchIdentities(b, ctx, s, 20000)
	storetest.BenchFindIdentities(b, s, values, batch/2)
}

// BenchmarkPutOrders: see storetest.BenchPutOrders.
func BenchmarkPutOrders(b *testing.B) {
	storetest.BenchPutOrders(b, func(b *testing.B) store.Store { return open(b) })
}
