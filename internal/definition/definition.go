package definition

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Store keeps definitions; store.Analytics implements it.
type Store interface {
	PutDefinition(ctx context.Context, d store.Definition) (version int, err error)
	Definitions(ctx context.Context, kind string) ([]store.Definition, error)
}

// Meta is what the store adds to a definition.
type Meta struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
}

// Entry is the latest version of one definition.
type Entry[T any] struct {
	Value T
	Meta
}

// Set is the definitions of one kind. It is safe for concurrent use.
type Set[T any] struct {
	kind string
	name func(v *T, name string) // sets the name from the store's
	mu   sync.RWMutex
	m    map[string]Entry[T]
}

// NewSet returns an empty set of a kind; name sets a decoded value's name.
func NewSet[T any](kind string, name func(v *T, name string)) *Set[T] {
	return &Set[T]{kind: kind, name: name, m: map[string]Entry[T]{}}
}

// Load replaces the set with the store's latest versions.
func (s *Set[T]) Load(ctx context.Context, st Store) error {
	defs, err := st.Definitions(ctx, s.kind)
	if err != nil {
		return fmt.Errorf("load %ss: %w", s.kind, err)
	}
	m := make(map[string]Entry[T], len(defs))
	for _, d := range defs {
		var v T
		if err := json.Unmarshal(d.Body, &v); err != nil {
			return fmt.Errorf("load %s %q version %d: %w", s.kind, d.Name, d.Version, err)
		}
		s.name(&v, d.Name)
		m[d.Name] = Entry[T]{Value: v, Meta: Meta{Version: d.Version, CreatedAt: d.CreatedAt, Author: d.Author}}
	}
	s.mu.Lock()
	s.m = m
	s.mu.Unlock()
	return nil
}

// Save stores v as the next version of name.
func (s *Set[T]) Save(ctx context.Context, st Store, name string, v T, author string, now time.Time) (Entry[T], error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Entry[T]{}, fmt.Errorf("save %s %q: %w", s.kind, name, err)
	}
	now = now.UTC().Truncate(time.Microsecond)
	ver, err := st.PutDefinition(ctx, store.Definition{Kind: s.kind, Name: name, Body: body, CreatedAt: now, Author: author})
	if err != nil {
		return Entry[T]{}, fmt.Errorf("save %s %q: %w", s.kind, name, err)
	}
	e := Entry[T]{Value: v, Meta: Meta{Version: ver, CreatedAt: now, Author: author}}
	s.mu.Lock()
	s.m[name] = e
	s.mu.Unlock()
	return e, nil
}

// Get returns one definition.
func (s *Set[T]) Get(name string) (Entry[T], bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.m[name]
	return e, ok
}

// List returns the definitions by name.
func (s *Set[T]) List() []Entry[T] {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Entry[T], 0, len(s.m))
	for _, n := range slices.Sorted(maps.Keys(s.m)) {
		out = append(out, s.m[n])
	}
	return out
}
