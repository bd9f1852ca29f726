package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// bgCache keeps a value that is costly to compute over a large shop (the
// overview's aggregates, a campaign's preview). A get returns the
// current value at once and, when it is older than ttl or stale says so,
// starts one recomputation in the background; only the very first get
// waits for a value.
type bgCache[T any] struct {
	compute func(ctx context.Context) (T, error)
	stale   func() bool // extra staleness test; nil: age only
	ttl     time.Duration
	// spend > 0 keeps a value for at least spend times its computation's
	// duration, so that recomputing a costly value (a preview of millions:
	// seconds of both cores) takes at most 1/spend of the time while its
	// page is watched.
	spend int
	now   func() time.Time
	log   *slog.Logger
	what  string

	mu      sync.Mutex
	cur     *T
	at      time.Time
	took    time.Duration // the computation of cur
	dirty   bool
	running bool
	done    chan struct{} // closed when the running computation ends
}

// get returns the current value, computing it when there is none yet.
func (c *bgCache[T]) get(ctx context.Context) (*T, error) {
	cur, done := c.start()
	if cur != nil {
		return cur, nil
	}
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return nil, errPage(503, "error.overview_failed")
	}
	return c.cur, nil
}

// peek is get without the wait: nil while there is no value yet (its
// computation is then running), for a list that must not wait for every
// row's figures.
func (c *bgCache[T]) peek() *T {
	cur, _ := c.start()
	return cur
}

// start returns the current value and starts a recomputation when it is
// missing or old and none is running.
func (c *bgCache[T]) start() (cur *T, done chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur = c.cur
	if (cur == nil || c.dirty || c.now().Sub(c.at) > c.maxAge() || (c.stale != nil && c.stale())) && !c.running {
		c.running, c.dirty = true, false
		c.done = make(chan struct{})
		go c.refresh()
	}
	return cur, c.done
}

// maxAge is how old the value may get; c.mu must be held.
func (c *bgCache[T]) maxAge() time.Duration {
	return max(c.ttl, time.Duration(c.spend)*c.took)
}

// refreshNow recomputes at once, for a change the user will look at next.
func (c *bgCache[T]) refreshNow(ctx context.Context) error {
	start, t0 := c.now(), time.Now()
	v, err := c.compute(ctx)
	if err != nil {
		c.mu.Lock()
		c.dirty = true
		c.mu.Unlock()
		return err
	}
	c.store(v, start, time.Since(t0))
	return nil
}

// store keeps a value unless a newer computation stored one already.
func (c *bgCache[T]) store(v T, start time.Time, took time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil || !start.Before(c.at) {
		c.cur, c.at, c.took = &v, start, took
	}
}

func (c *bgCache[T]) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start, t0 := c.now(), time.Now()
	v, err := c.compute(ctx)
	if err != nil {
		c.log.Warn("console: cannot compute "+c.what, "error", err)
	} else {
		c.store(v, start, time.Since(t0))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	close(c.done)
}
