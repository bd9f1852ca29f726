package api

import (
	"container/list"
	"sync"
	"time"
)

// idempotency remembers the responses of ingest requests by (API key,
// Idempotency-Key) so that a retried request gets the first response again
// instead of being applied twice. It lives in memory: a restart or another
// replica forgets it. Records are idempotent in the store anyway, so a retry
// the cache missed adds nothing either; it only reports duplicates instead of
// the first counts.
type idempotency struct {
	mu       sync.Mutex
	maxLen   int
	ttl      time.Duration
	maxBytes int64
	bytes    int64
	now      func() time.Time
	entries  map[string]*list.Element // of *idemEntry
	order    *list.List               // oldest first
}

type idemEntry struct {
	key     string
	hash    [32]byte // of the request body
	created time.Time
	done    bool
	status  int
	body    []byte
}

type idemState int

const (
	idemNew        idemState = iota // reserved for this request: finish or abort it
	idemReplay                      // answer with the entry's response
	idemConflict                    // same key, different body
	idemInProgress                  // same key, first request still running
)

func newIdempotency(maxLen int, ttl time.Duration, maxBytes int64, now func() time.Time) *idempotency {
	return &idempotency{maxLen: maxLen, ttl: ttl, maxBytes: maxBytes, now: now,
		entries: make(map[string]*list.Element), order: list.New()}
}

// begin looks key up and reserves it when it is new. The entry returned is
// the reservation (idemNew) or a copy of the stored response (idemReplay).
func (c *idempotency) begin(key string, hash [32]byte) (idemState, *idemEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.expire(now)
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*idemEntry)
		switch {
		case e.hash != hash:
			return idemConflict, nil
		case !e.done:
			return idemInProgress, nil
		}
		replay := *e
		return idemReplay, &replay
	}
	for c.order.Len() >= c.maxLen {
		c.remove(c.order.Front())
	}
	e := &idemEntry{key: key, hash: hash, created: now}
	c.entries[key] = c.order.PushBack(e)
	return idemNew, e
}

// reserved returns the list element of a reservation still held.
func (c *idempotency) reserved(e *idemEntry) (*list.Element, bool) {
	el, ok := c.entries[e.key]
	return el, ok && el.Value.(*idemEntry) == e
}

// finish stores the response of a reservation.
func (c *idempotency) finish(e *idemEntry, status int, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.reserved(e)
	if !ok { // evicted meanwhile
		return
	}
	if int64(len(body)) > c.maxBytes/4 { // too big to keep: forget the key
		c.remove(el)
		return
	}
	e.done, e.status, e.body = true, status, body
	c.bytes += int64(len(body))
	for c.bytes > c.maxBytes && c.order.Len() > 0 {
		c.remove(c.order.Front())
	}
}

// abort releases the reservation of a request that failed, so it can be
// retried; it does nothing once the reservation is finished.
func (c *idempotency) abort(e *idemEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.reserved(e); ok && !e.done {
		c.remove(el)
	}
}

func (c *idempotency) expire(now time.Time) {
	for el := c.order.Front(); el != nil && now.Sub(el.Value.(*idemEntry).created) >= c.ttl; el = c.order.Front() {
		c.remove(el)
	}
}

func (c *idempotency) remove(el *list.Element) {
	e := el.Value.(*idemEntry)
	c.bytes -= int64(len(e.body))
	delete(c.entries, e.key)
	c.order.Remove(el)
}
