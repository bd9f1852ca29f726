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
