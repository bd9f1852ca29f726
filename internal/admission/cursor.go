package admission

import (
	"slices"
	"time"
)

// PageBefore returns the cursor of the page before the one that starts at
// customer id first: Page(list, after, limit) then returns the up to limit
// live entries just below first (after is 0 when fewer than limit are
// left). ok is false when no live entry is below first. It walks back one
// page of the sorted ids, so it costs what Page costs.
func (e *Engine) PageBefore(list string, first int64, limit int) (after int64, ok bool) {
	now := e.opts.Clock()
	ids := e.sortedIDs(list)
	e.mu.RLock()
	defer e.mu.RUnlock()
	i, _ := slices.BinarySearch(ids, first)
	n := 0
	for i--; i >= 0 && n < limit; i-- {
		if en, found := e.entries[list][ids[i]]; found && live(en, now) {
			n++
			after = ids[i] - 1
		}
	}
	if n < limit {
		after = 0
	}
	return after, n > 0
}

// Count returns how many live entries a list has. The count is kept until
// the lists change or its first member expires, so a page view does not
// walk a list of millions.
func (e *Engine) Count(list string) int {
	now := e.opts.Clock()
	fresh := func() (int, bool) {
		c, ok := e.counts[list]
		return c.n, ok && c.version == e.version && (c.until.IsZero() || now.Before(c.until))
	}
	e.mu.RLock()
	n, ok := fresh()
	e.mu.RUnlock()
	if ok {
		return n
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if n, ok := fresh(); ok {
		return n
	}
	c := liveCount{version: e.version}
	for _, en := range e.entries[list] {
		if !live(en, now) {
			continue
		}
		c.n++
		if !en.ExpiresAt.IsZero() && (c.until.IsZero() || en.ExpiresAt.Before(c.until)) {
			c.until = en.ExpiresAt
		}
	}
	if e.counts == nil {
		e.counts = map[string]liveCount{}
	}
	e.counts[list] = c
	return c.n
}

// liveCount is a list's cached count of live entries.
type liveCount struct {
	n       int
	version uint64    // of the lists it was counted over
	until   time.Time // the first expiry among the members; zero: none
}
