package ingest

import (
	"context"
	"fmt"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// identityKey is one identifier as stored.
type identityKey struct{ kind, ns, value string }

// cachedTx answers identity lookups of one transaction from a cache filled
// in bulk before the records are resolved one by one. Absent identities are
// cached too ("not found"), which is only safe inside the transaction: the
// cache lives exactly as long as one Load.
//
// It also holds back observation and attribute writes and sends them in one
// statement each at flush, which must run before the transaction commits.
// Reads of a customer with held-back writes, merges and deletions flush first,
// so the transaction never sees a stale state.
type cachedTx struct {
	store.Tx
	known map[identityKey]int64 // 0: looked up, not found

	obs     []store.Observation
	attrs   []store.Attribute
	pending map[int64]bool // customers with held-back writes
}

func newCachedTx(tx store.Tx) *cachedTx {
	return &cachedTx{Tx: tx, known: make(map[identityKey]int64), pending: make(map[int64]bool)}
}

// flush writes what is held back.
func (t *cachedTx) flush(ctx context.Context) error {
	if len(t.obs) > 0 {
		if err := t.Tx.PutObservations(ctx, t.obs); err != nil {
			return err
		}
		t.obs = t.obs[:0]
	}
	if len(t.attrs) > 0 {
		if err := t.Tx.PutAttributes(ctx, t.attrs); err != nil {
			return err
		}
		t.attrs = t.attrs[:0]
	}
	clear(t.pending)
	return nil
}

func (t *cachedTx) flushFor(ctx context.Context, id int64) error {
	if t.pending[id] {
		return t.flush(ctx)
	}
	return nil
}

func (t *cachedTx) PutObservations(_ context.Context, obs []store.Observation) error {
	for _, o := range obs {
		t.pending[o.CustomerID] = true
	}
	t.obs = append(t.obs, obs...)
	return nil
}

func (t *cachedTx) PutAttributes(_ context.Context, attrs []store.Attribute) error {
	for _, a := range attrs {
		t.pending[a.CustomerID] = true
	}
	t.attrs = append(t.attrs, attrs...)
	return nil
}

func (t *cachedTx) PutObservation(ctx context.Context, o store.Observation) (bool, error) {
	if err := t.flushFor(ctx, o.CustomerID); err != nil {
		return false, err
	}
	return t.Tx.PutObservation(ctx, o)
}

func (t *cachedTx) PutAttribute(ctx context.Context, a store.Attribute) error {
	if err := t.flushFor(ctx, a.CustomerID); err != nil {
		return err
	}
	return t.Tx.PutAttribute(ctx, a)
}

func (t *cachedTx) DeleteAttribute(ctx context.Context, id int64, name string) error {
	if err := t.flushFor(ctx, id); err != nil {
		return err
	}
	return t.Tx.DeleteAttribute(ctx, id, name)
}

func (t *cachedTx) Observations(ctx context.Context, id int64, name string) ([]store.Observation, error) {
	if err := t.flushFor(ctx, id); err != nil {
		return nil, err
	}
	return t.Tx.Observations(ctx, id, name)
}

func (t *cachedTx) Attributes(ctx context.Context, id int64) ([]store.Attribute, error) {
	if err := t.flushFor(ctx, id); err != nil {
		return nil, err
	}
	return t.Tx.Attributes(ctx, id)
}

func (t *cachedTx) FindIdentity(ctx context.Context, kind, ns, value string) (int64, bool, error) {
	k := identityKey{kind, ns, value}
	if id, ok := t.known[k]; ok {
		return id, id != 0, nil
	}
	id, ok, err := t.Tx.FindIdentity(ctx, kind, ns, value)
	if err == nil {
		t.known[k] = id
	}
	return id, ok, err
}

func (t *cachedTx) AddIdentity(ctx context.Context, id store.Identity) error {
	if err := t.Tx.AddIdentity(ctx, id); err != nil {
		return err
	}
	t.known[identityKey{id.Kind, id.Namespace, id.Value}] = id.CustomerID
	return nil
}

func (t *cachedTx) MergeCustomers(ctx context.Context, m store.Merge) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	if err := t.Tx.MergeCustomers(ctx, m); err != nil {
		return err
	}
	for k, id := range t.known {
		if id == m.Merged {
			t.known[k] = m.Survivor
		}
	}
	return nil
}

// prefetch looks up, in bulk, every identifier the batch mentions but for
// the external ids skip says are known already.
func (t *cachedTx) prefetch(ctx context.Context, b *Batch, skip func(source, id string) bool) error {
	want := make(map[[2]string][]string) // kind, namespace -> values
	add := func(kind, ns, v string) {
		if v == "" {
			return
		}
		k := identityKey{kind, ns, v}
		if _, ok := t.known[k]; ok {
			return
		}
		t.known[k] = 0 // until found; also dedupes
		want[[2]string{kind, ns}] = append(want[[2]string{kind, ns}], v)
	}
	contact := func(email, phone string) {
		if email != "" {
			if v, err := identity.NormalizeEmail(email); err == nil {
				add(store.KindEmail, "", v)
			}
		}
		if phone != "" {
			if v, err := identity.NormalizePhone(phone); err == nil {
				add(store.KindPhone, "", v)
			}
		}
	}
	for i := range b.Customers {
		r := &b.Customers[i]
		add(store.KindExternalID, r.Source, r.ID)
		contact(r.Email, r.Phone)
	}
	for i := range b.Lines {
		r := &b.Lines[i]
		if !skip(r.Source, r.Customer) {
			add(store.KindExternalID, r.Source, r.Customer)
		}
		contact(r.Email, r.Phone)
	}
	for i := range b.Events {
		r := &b.Events[i]
		if !skip(r.Source, r.Customer) {
			add(store.KindExternalID, r.Source, r.Customer)
		}
		contact(r.Email, r.Phone)
	}
	for kn, values := range want {
		found, err := t.Tx.FindIdentities(ctx, kn[0], kn[1], values)
		if err != nil {
			return fmt.Errorf("look up %d %s identities: %w", len(values), kn[0], err)
		}
		for v, id := range found {
			t.known[identityKey{kn[0], kn[1], v}] = id
		}
	}
	return nil
}
