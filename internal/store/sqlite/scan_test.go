package sqlite

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/store/storetest"
)

// TestScanLinesParallel checks the parallel scan (many stripes, several
// readers) against the serial one, its errors, and that it leaves no
// goroutine and no connection behind.
func TestScanLinesParallel(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 500,000 lines")
	}
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	s := open(t)
	defer s.Close()
	total := storetest.LoadBenchLines(t, s)
	ctx := context.Background()
	base := runtime.NumGoroutine()

	digest := func(scan func(fn func(*store.LineRow) error) error) (int, uint64) {
		t.Helper()
		h := fnv.New64a()
		n := 0
		err := scan(func(r *store.LineRow) error {
			n++
			fmt.Fprintf(h, "%+v\n", *r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, h.Sum64()
	}
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, asOf := range []time.Time{{}, at.Add(7 * 24 * time.Hour), at.Add(-time.Hour)} {
		n, got := digest(func(fn func(*store.LineRow) error) error { return s.ScanLines(ctx, asOf, fn) })
		wn, want := digest(func(fn func(*store.LineRow) error) error {
			conn, err := s.r.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			return s.scanSerial(ctx, conn, asOf, fn)
		})
		if n != wn || got != want {
			t.Errorf("asOf %v: parallel scan gave %d lines (digest %x), serial %d (%x)", asOf, n, got, wn, want)
		}
		if asOf.IsZero() && n != total {
			t.Errorf("scanned %d lines, want %d", n, total)
		}
	}

	// The callback's error comes back as it is, wherever it stops the scan.
	stop := errors.New("stop")
	for _, at := range []int{1, 5000, total / 2, total} {
		n := 0
		err := s.ScanLines(ctx, time.Time{}, func(*store.LineRow) error {
			if n++; n == at {
				return stop
			}
			return nil
		})
		if err != stop || n != at {
			t.Errorf("stop at %d: got %v after %d lines", at, err, n)
		}
	}

	// Cancelling the context stops the scan.
	cctx, cancel := context.WithCancel(ctx)
	n := 0
	err := s.ScanLines(cctx, time.Time{}, func(*store.LineRow) error {
		if n++; n == total/3 {
			cancel()
		}
		return nil
	})
	cancel()
	if !errors.Is(err, context.Canceled) || n >= total {
		t.Errorf("cancelled scan: %v after %d lines", err, n)
	}

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines left, %d before:\n%s", g, base, buf[:runtime.Stack(buf, true)])
	}
	if st := s.r.Stats(); st.InUse != 0 {
		t.Errorf("%d read connections still in use", st.InUse)
	}
	// A write does not wait for a scan to end, nor a scan for a write.
	select {
	case s.wlock <- struct{}{}:
		<-s.wlock
	default:
		t.Error("write lock still held")
	}
}
