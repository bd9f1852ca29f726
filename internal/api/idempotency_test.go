package api

import (
	"testing"
	"time"
)

func TestIdempotencyCache(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newIdempotency(2, time.Hour, 100, func() time.Time { return now })
	h1, h2 := [32]byte{1}, [32]byte{2}

	st, a := c.begin("a", h1)
	if st != idemNew {
		t.Fatalf("first begin: %v", st)
	}
	if st, _ := c.begin("a", h1); st != idemInProgress {
		t.Errorf("begin while running: %v, want in progress", st)
	}
	if st, _ := c.begin("a", h2); st != idemConflict {
		t.Errorf("begin with another body: %v, want conflict", st)
	}
	c.finish(a, 200, []byte("A"))
	c.abort(a) // after finish: no effect
	if st, e := c.begin("a", h1); st != idemReplay || string(e.body) != "A" || e.status != 200 {
		t.Errorf("begin after finish: %v %+v, want replay of A", st, e)
	}

	_, b := c.begin("b", h1)
	c.abort(b)
	if st, _ := c.begin("b", h1); st != idemNew {
		t.Errorf("begin after abort: %v, want new", st)
	}

	// capacity 2: a third key evicts the oldest (a)
	c.begin("c", h1)
	if st, _ := c.begin("a", h2); st != idemNew {
		t.Errorf("evicted key: %v, want new", st)
	}

	// age
	now = now.Add(time.Hour)
	if st, _ := c.begin("c", h2); st != idemNew {
		t.Errorf("expired key: %v, want new", st)
	}

	// bytes: a response above a quarter of the budget is not kept
	_, big := c.begin("big", h1)
	c.finish(big, 200, make([]byte, 26))
	if st, _ := c.begin("big", h2); st != idemNew {
		t.Errorf("oversized response kept: %v", st)
	}
	if c.order.Len() != len(c.entries) || c.bytes < 0 {
		t.Errorf("inconsistent: %d in list, %d in map, %d bytes", c.order.Len(), len(c.entries), c.bytes)
	}
}
