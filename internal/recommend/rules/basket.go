package rules

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Baskets is a list of baskets over a dictionary of item names. Items are
// numbered in the order they are first seen.
type Baskets struct {
	Items []string  // item names by id
	Sets  [][]int32 // per basket, distinct item ids, ascending
	index map[string]int32
}

// NewBaskets returns an empty list.
func NewBaskets() *Baskets { return &Baskets{index: map[string]int32{}} }

// ID returns the id of an item name, adding it when new.
func (b *Baskets) ID(name string) int32 {
	if id, ok := b.index[name]; ok {
		return id
	}
	id := int32(len(b.Items))
	b.index[name] = id
	b.Items = append(b.Items, name)
	return id
}

// Lookup returns the id of a known item name.
func (b *Baskets) Lookup(name string) (int32, bool) {
	id, ok := b.index[name]
	return id, ok
}

// Add appends one basket. Duplicate items are counted once; an empty basket
// is kept (it counts in N).
func (b *Baskets) Add(items []string) {
	set := make([]int32, 0, len(items))
	for _, it := range items {
		set = append(set, b.ID(it))
	}
	b.AddIDs(set)
}

// AddIDs appends one basket of item ids (from ID); it takes ownership of set.
func (b *Baskets) AddIDs(set []int32) {
	slices.Sort(set)
	b.Sets = append(b.Sets, slices.Compact(set))
}

// Len is the number of baskets, N.
func (b *Baskets) Len() int { return len(b.Sets) }

// ReadBaskets reads one basket per line, items separated by commas. Spaces
// around an item are trimmed; empty items ("a,,b") are skipped; an empty
// line is an empty basket. name is used in error messages.
func ReadBaskets(ctx context.Context, r io.Reader, name string) (*Baskets, error) {
	b := NewBaskets()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	var items []string
	for sc.Scan() {
		line++
		if line%(1<<16) == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.ContainsRune(text, '"') {
			return nil, fmt.Errorf("%s:%d: quoted items are not supported in a basket file (one basket per line, items separated by commas)", name, line)
		}
		items = items[:0]
		for it := range strings.SplitSeq(text, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		b.Add(items)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return b, nil
}
