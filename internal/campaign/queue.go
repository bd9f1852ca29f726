package campaign

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Job is one unit of dispatch work: customers of a campaign to decide and
// send to, or (Retry) deliveries already reserved to send again.
type Job struct {
	Campaign  string
	IDs       []int64
	Step      string    // "" is DefaultStep; journeys: one step per trigger event
	Trigger   time.Time // journeys: when the triggering event happened (the goal counts after it)
	Retry     bool
	Attempt   int
	NotBefore time.Time // not before this instant
}

// Queue carries dispatch jobs. Delivery is at least once: the dispatcher
// is idempotent per (campaign, customer, step). MemQueue is the in-process
// implementation; a distributed one (NATS JetStream) fits the same
// interface.
type Queue interface {
	Publish(ctx context.Context, j Job) error
	// Consume calls fn for each job, on up to workers goroutines, until ctx
	// ends; then it waits for the running calls and returns.
	Consume(ctx context.Context, workers int, fn func(ctx context.Context, j Job)) error
}

// MemQueue is an unbounded in-process queue with delayed jobs.
type MemQueue struct {
	now     func() time.Time
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    []Job
	delayed []Job // NotBefore in the future, by the queue's clock
	closed  bool
}

// NewMemQueue returns an empty queue; delays are measured with clock
// (time.Now when nil).
func NewMemQueue(clock func() time.Time) *MemQueue {
	if clock == nil {
		clock = time.Now
	}
	q := &MemQueue{now: clock}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// ErrClosed: the queue no longer takes jobs.
var ErrClosed = errors.New("queue closed")

// Publish adds a job; a job with a future NotBefore is held until then.
func (q *MemQueue) Publish(_ context.Context, j Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if !j.NotBefore.IsZero() && j.NotBefore.After(q.now()) {
		q.delayed = append(q.delayed, j)
		return nil
	}
	q.jobs = append(q.jobs, j)
	q.cond.Signal()
	return nil
}

// Len is the number of jobs waiting, delayed ones included.
func (q *MemQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs) + len(q.delayed)
}

// due moves the delayed jobs whose time has come to the queue.
func (q *MemQueue) due() {
	now := q.now()
	q.mu.Lock()
	kept := q.delayed[:0]
	moved := 0
	for _, j := range q.delayed {
		if j.NotBefore.After(now) {
			kept = append(kept, j)
			continue
		}
		q.jobs = append(q.jobs, j)
		moved++
	}
	clear(q.delayed[len(kept):])
	q.delayed = kept
	q.mu.Unlock()
	if moved > 0 {
		q.cond.Broadcast()
	}
}

func (q *MemQueue) next(ctx context.Context) (Job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 {
		if ctx.Err() != nil {
			return Job{}, false
		}
		q.cond.Wait()
	}
	if ctx.Err() != nil {
		return Job{}, false
	}
	j := q.jobs[0]
	q.jobs[0] = Job{}
	q.jobs = q.jobs[1:]
	return j, true
}

// Consume runs fn over the jobs on workers goroutines until ctx ends.
func (q *MemQueue) Consume(ctx context.Context, workers int, fn func(ctx context.Context, j Job)) error {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.mu.Unlock()
		q.cond.Broadcast()
	})
	defer stop()
	go func() { // delayed jobs are looked at every 50 ms
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				q.due()
			}
		}
	}()
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j, ok := q.next(ctx)
				if !ok {
					return
				}
				fn(ctx, j)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (j *Job) step() string {
	if j.Step == "" {
		return DefaultStep
	}
	return j.Step
}
