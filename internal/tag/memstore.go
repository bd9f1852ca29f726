package tag

import (
	"context"
	"fmt"
	"sync"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// memStore keeps definitions in memory when no Store is given.
type memStore struct {
	mu   sync.Mutex
	hist map[string][]store.Definition // by kind + "\x00" + name
}

func newMemStore() *memStore { return &memStore{hist: map[string][]store.Definition{}} }

func (m *memStore) PutDefinition(_ context.Context, d store.Definition) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := d.Kind + "\x00" + d.Name
	d.Version = len(m.hist[k]) + 1
	d.Body = append([]byte(nil), d.Body...)
	m.hist[k] = append(m.hist[k], d)
	return d.Version, nil
}

func (m *memStore) Definitions(_ context.Context, kind string) ([]store.Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.Definition
	for _, h := range m.hist {
		if last := h[len(h)-1]; last.Kind == kind && !last.Deleted {
			out = append(out, last)
		}
	}
	return out, nil
}

func (m *memStore) DefinitionHistory(_ context.Context, kind, name string) ([]store.Definition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.hist[kind+"\x00"+name]
	if len(h) == 0 {
		return nil, fmt.Errorf("%s %q: %w", kind, name, store.ErrNotFound)
	}
	return append([]store.Definition(nil), h...), nil
}
