package web

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// peek never waits: without a value it starts one computation and returns
// nil, then returns the value once computed; get waits for the first.
func TestCachePeekDoesNotWait(t *testing.T) {
	release := make(chan struct{})
	runs := 0
	c := &bgCache[int]{ttl: time.Hour, now: time.Now, log: slog.New(slog.DiscardHandler), what: "a test value",
		compute: func(ctx context.Context) (int, error) {
			runs++
			<-release
			return 42, nil
		}}
	for range 3 {
		if v := c.peek(); v != nil {
			t.Fatalf("peek before the first value: %d", *v)
		}
	}
	got := make(chan int)
	go func() {
		v, err := c.get(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- *v
	}()
	close(release)
	if v := <-got; v != 42 {
		t.Fatalf("get: %d", v)
	}
	if v := c.peek(); v == nil || *v != 42 {
		t.Fatalf("peek after the first value: %v", v)
	}
	if runs != 1 {
		t.Errorf("%d computations, want 1", runs)
	}
}

// With spend, a value that took long to compute is kept for spend times
// that long, beyond its ttl; without, the ttl alone decides.
func TestCacheSpendKeepsCostlyValues(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, spend := range []int{0, 20} {
		runs := 0
		c := &bgCache[int]{ttl: time.Second, spend: spend, now: func() time.Time { return clock }, log: slog.New(slog.DiscardHandler),
			what: "a costly value", compute: func(ctx context.Context) (int, error) {
				runs++
				time.Sleep(100 * time.Millisecond)
				return runs, nil
			}}
		if err := c.refreshNow(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(1500 * time.Millisecond) // past the ttl, within 20 × 100 ms
		c.peek()
		c.mu.Lock()
		refreshing := c.running
		c.mu.Unlock()
		if want := spend == 0; refreshing != want {
			t.Errorf("spend %d: recomputing after 1.5 s: %v, want %v", spend, refreshing, want)
		}
		if refreshing {
			<-c.done
		}
	}
}
