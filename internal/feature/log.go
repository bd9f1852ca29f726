package feature

import "iter"

// log is an append-only sequence kept in chunks of fixed size. Appending
// never copies what is already there: the logs of recent orders and of
// category purchases reach hundreds of millions of entries on a large shop,
// where a growing slice would copy them again and again and briefly hold
// twice their memory.
type log[T any] struct {
	chunks [][]T
	n      int
}

const logChunk = 1 << 16

// add appends v.
func (l *log[T]) add(v T) {
	if k := len(l.chunks); k > 0 {
		if c := &l.chunks[k-1]; len(*c) < cap(*c) {
			*c = append(*c, v)
			l.n++
			return
		}
	}
	l.grow(v)
}

func (l *log[T]) grow(v T) {
	c := make([]T, 1, logChunk)
	c[0] = v
	l.chunks = append(l.chunks, c)
	l.n++
}

// len is the number of entries.
func (l *log[T]) len() int { return l.n }

// reset empties the log and lets its memory go.
func (l *log[T]) reset() {
	clear(l.chunks)
	l.chunks, l.n = l.chunks[:0], 0
}

// all yields every entry in order.
func (l *log[T]) all() iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for _, c := range l.chunks {
			for i := range c {
				if !yield(&c[i]) {
					return
				}
			}
		}
	}
}

// filter keeps the entries for which keep is true, in order, in place.
func (l *log[T]) filter(keep func(*T) bool) {
	n, w, wi := 0, 0, 0          // entries kept; write position: chunk, index
	for _, c := range l.chunks { // c: the chunk as it was, read ahead of the writes
		for i := range c {
			if !keep(&c[i]) {
				continue
			}
			if wi == logChunk {
				w, wi = w+1, 0
			}
			l.chunks[w] = l.chunks[w][:wi+1]
			l.chunks[w][wi] = c[i]
			wi++
			n++
		}
	}
	if n == 0 {
		l.reset()
		return
	}
	clear(l.chunks[w+1:])
	l.chunks, l.n = l.chunks[:w+1], n
}
