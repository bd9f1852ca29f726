package feature

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/model/rfm"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// synthOrders makes about rows order lines of orders by customers random
// customers (uniform), over two years before asOf, in order-id order (not
// grouped by customer), as the kernel receives them from a store scan.
func synthOrders(rows, customers int, asOf rfm.Day) ([]orderRec, []lineRec) {
	rng := rand.New(rand.NewPCG(42, 7))
	orders := make([]orderRec, 0, rows/4+1)
	lines := make([]lineRec, 0, rows+8)
	base := time.Unix(int64(asOf)*86400, 0).Unix()
	for len(lines) < rows {
		n := 1 + rng.IntN(7)
		sec := base - rng.Int64N(730*86400)
		o := orderRec{sec: sec, day: rfm.Day(sec / 86400), hour: uint8(sec % 86400 / 3600), cust: int32(rng.IntN(customers)),
			channel: 1 + rng.Int32N(4), payment: 1 + rng.Int32N(5), nLines: int32(n), sale: rng.IntN(20) != 0,
			coupon: rng.IntN(8) == 0}
		orders = append(orders, o)
		for range n {
			l := lineRec{amount: float64(1+rng.IntN(5000)) / 100, cat: 1 + rng.Int32N(500), brand: 1 + rng.Int32N(200)}
			if rng.IntN(5) == 0 {
				l.discount = l.amount * 0.1
			}
			if !o.sale {
				l.amount = -l.amount
			}
			lines = append(lines, l)
		}
	}
	return orders, lines
}

// BenchmarkKernel measures the in-memory aggregation of order lines into
// per-customer accumulators (RFM, windows logs, discounts, preferences), in
// chunks as Compute feeds it, without the store scan: 10M rows into 1M
// customers.
//
// SAGITTA_BENCH_KERNEL=ROWS:CUSTOMERS sets other sizes, such as the target
// scale 100000000:10000000 (about 7 GB of memory).
func BenchmarkKernel(b *testing.B) {
	rows, customers := 10_000_000, 1_000_000
	if os.Getenv("SAGITTA_BENCH_NO_HUGEPAGES") != "" {
		hugePages = false
		defer func() { hugePages = true }()
	}
	if v := os.Getenv("SAGITTA_BENCH_KERNEL"); v != "" {
		if _, err := fmt.Sscanf(v, "%d:%d", &rows, &customers); err != nil || rows <= 0 || customers <= 0 {
			b.Fatalf("SAGITTA_BENCH_KERNEL=%q: want ROWS:CUSTOMERS", v)
		}
	}
	asOf := rfm.DayOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	orders, lines := synthOrders(rows, customers, asOf)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	var elapsed, cpu time.Duration
	for range b.N {
		b.StopTimer()
		s := newState(customers, time.Unix(int64(asOf)*86400, 0), Options{}.withDefaults())
		b.StartTimer()
		start, cpu0 := time.Now(), threadCPU()
		for o, l := 0, 0; o < len(orders); {
			// chunks of about chunkLines lines, as the scanner flushes them
			oe, le := o, l
			for oe < len(orders) && le-l < chunkLines {
				le += int(orders[oe].nLines)
				oe++
			}
			s.k.process(orders[o:oe], lines[l:le])
			o, l = oe, le
		}
		elapsed += time.Since(start)
		cpu += threadCPU() - cpu0
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(len(lines))*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
}

// BenchmarkScanner adds the scanner in front of the kernel: store rows with
// strings interned (item → category and brand, channel, payment) and the
// customer resolved once per order. 2M rows into 200k customers.
func BenchmarkScanner(b *testing.B) {
	const rows, customers = 2_000_000, 200_000
	asOf := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	orders, lines := synthOrders(rows, customers, rfm.DayOf(asOf, time.UTC))
	var in []store.LineRow
	l := 0
	for i, o := range orders {
		for range o.nLines {
			kind := store.OrderSale
			if !o.sale {
				kind = store.OrderCancel
			}
			in = append(in, store.LineRow{OrderID: int64(i + 1), CustomerID: int64(o.cust + 1), PlacedAt: time.Unix(o.sec, 0),
				Kind: kind, Channel: fmt.Sprint("ch", o.channel), Payment: fmt.Sprint("pay", o.payment),
				ItemID: fmt.Sprint("sku", lines[l].cat*7+lines[l].brand%7), Category: fmt.Sprint("cat", lines[l].cat),
				Brand: fmt.Sprint("brand", lines[l].brand%7), Amount: lines[l].amount, Discount: lines[l].discount})
			l++
		}
	}
	ids := make([]int64, customers)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		s := newState(customers, asOf, Options{}.withDefaults())
		sc := scanner{s: s, dense: denseIndex(ids), ctx: b.Context()}
		b.StartTimer()
		start := time.Now()
		for i := range in {
			if err := sc.row(&in[i]); err != nil {
				b.Fatal(err)
			}
		}
		sc.flush()
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(len(in))*float64(b.N)/elapsed.Seconds(), "rows/s")
}

// BenchmarkDerive measures what follows the scans for 1M customers: the
// window counts, the model fits and every customer's derived columns.
func BenchmarkDerive(b *testing.B) {
	const rows, customers = 10_000_000, 1_000_000
	asOfT := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	asOf := rfm.DayOf(asOfT, time.UTC)
	orders, lines := synthOrders(rows, customers, asOf)
	s := newState(customers, asOfT, Options{}.withDefaults())
	s.k.process(orders, lines)
	ids := make([]int64, customers)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	t := &Table{AsOf: asOfT, IDs: ids, st: s}
	s.bind(t, customers)
	cats := s.k.cats
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.recomputeWindows(&cats)
		s.fit()
		s.deriveAll()
	}
}

// threadCPU is the CPU time of the calling OS thread (the benchmark locks
// itself to one), which other processes on a busy machine do not inflate
// the way they inflate wall time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkApply measures an incremental update: a batch of 1,000 events
// and 100 orders of the same day applied to a table of 100k customers.
func BenchmarkApply(b *testing.B) {
	f := genShop(9, 100_000, 300_000, 300_000, 400, day0)
	tab, err := Compute(b.Context(), f, day0, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	at := day0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		events := make([]store.Event, 1000)
		var lines []store.LineRow
		for j := range events {
			at = at.Add(10 * time.Millisecond)
			events[j] = store.Event{CustomerID: 1 + rng.Int64N(100_000), Type: []string{store.EventView, store.EventCartAdd}[j%2],
				At: at, ItemID: fmt.Sprintf("SKU%02d", rng.IntN(30))}
			if j%10 == 0 {
				lines = append(lines, store.LineRow{OrderID: int64(10_000_000 + i*1000 + j), CustomerID: events[j].CustomerID,
					PlacedAt: at, Kind: store.OrderSale, ItemID: "SKU01", Category: "toys", Quantity: 1, UnitPrice: 9, Amount: 9})
			}
		}
		b.StartTimer()
		if err := tab.Apply(lines, events); err != nil {
			b.Fatal(err)
		}
	}
}
