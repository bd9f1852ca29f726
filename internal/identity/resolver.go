package identity

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Record is what one source says about one customer.
type Record struct {
	Source     string
	ExternalID string // the source's own customer id, "" when none
	Email      string // raw
	Phone      string // raw
	At         time.Time
	Attrs      map[string]string // raw attribute values by field name
}

// Problem is a value that was refused; the record itself still counts.
type Problem struct {
	Field  string
	Reason string
}

func (p Problem) String() string { return p.Field + ": " + p.Reason }

// Outcome says what resolving one record did.
type Outcome struct {
	CustomerID int64
	Created    bool
	Merges     []store.Merge
	Changed    bool // anything stored changed
	Problems   []Problem
}

// Resolver links records to customers under a Policy.
type Resolver struct {
	Policy Policy
	Now    func() time.Time
}

// NewResolver returns a Resolver with the given policy and the wall clock.
func NewResolver(p Policy) *Resolver {
	return &Resolver{Policy: p, Now: time.Now}
}

type key struct{ kind, ns, value string }

// Keys returns the identities a record carries, and problems with the ones
// that could not be used.
func (r *Resolver) keys(rec Record) ([]key, []Problem) {
	var keys []key
	var problems []Problem
	if rec.ExternalID != "" {
		keys = append(keys, key{store.KindExternalID, rec.Source, rec.ExternalID})
	}
	if rec.Email != "" {
		if v, err := NormalizeEmail(rec.Email); err == nil {
			keys = append(keys, key{store.KindEmail, "", v})
		} else {
			problems = append(problems, Problem{"email", err.Error()})
		}
	}
	if rec.Phone != "" {
		if v, err := NormalizePhone(rec.Phone); err == nil {
			keys = append(keys, key{store.KindPhone, "", v})
		} else {
			problems = append(problems, Problem{"phone", err.Error()})
		}
	}
	return keys, problems
}

// ErrNoIdentity is returned for a record without any usable identifier.
var ErrNoIdentity = fmt.Errorf("record has no usable identifier (customer id, e-mail or phone)")

// Resolve finds or creates the customer of rec, merging the customers that
// share one of its identifiers into the oldest, then records rec's attribute
// values and re-decides the fields they touch.
func (r *Resolver) Resolve(ctx context.Context, tx store.Tx, rec Record) (Outcome, error) {
	keys, problems := r.keys(rec)
	out := Outcome{Problems: problems}
	if len(keys) == 0 {
		return out, ErrNoIdentity
	}
	at := rec.At
	if at.IsZero() {
		at = r.Now()
	}
	at = at.UTC()

	owners := make([]int64, len(keys))
	var ids []int64
	for i, k := range keys {
		id, ok, err := tx.FindIdentity(ctx, k.kind, k.ns, k.value)
		if err != nil {
			return out, fmt.Errorf("find identity %s: %w", k.kind, err)
		}
		if ok {
			owners[i] = id
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })

	var survivor int64
	if len(ids) == 0 {
		id, err := tx.NewCustomer(ctx, at)
		if err != nil {
			return out, fmt.Errorf("create customer: %w", err)
		}
		survivor, out.Created, out.Changed = id, true, true
	} else {
		survivor = ids[0]
		for _, other := range ids[1:] {
			i := slices.Index(owners, other)
			m := store.Merge{Survivor: survivor, Merged: other, Kind: keys[i].kind, Namespace: keys[i].ns,
				Value: keys[i].value, Source: rec.Source, At: at}
			if err := tx.MergeCustomers(ctx, m); err != nil {
				return out, fmt.Errorf("merge customer %d into %d: %w", other, survivor, err)
			}
			out.Merges = append(out.Merges, m)
			out.Changed = true
		}
	}
	out.CustomerID = survivor
	for i, k := range keys {
		if owners[i] != 0 {
			continue
		}
		err := tx.AddIdentity(ctx, store.Identity{CustomerID: survivor, Kind: k.kind, Namespace: k.ns,
			Value: k.value, Source: rec.Source, FirstSeen: at})
		if err != nil {
			return out, fmt.Errorf("add identity %s: %w", k.kind, err)
		}
		out.Changed = true
	}

	attrs := rec.Attrs
	if rec.Email != "" || rec.Phone != "" {
		attrs = make(map[string]string, len(rec.Attrs)+2)
		for k, v := range rec.Attrs {
			attrs[k] = v
		}
		if rec.Email != "" {
			attrs["email"] = rec.Email
		}
		if rec.Phone != "" {
			attrs["phone"] = rec.Phone
		}
	}
	changed, ps, err := r.observe(ctx, tx, survivor, rec.Source, at, attrs, len(out.Merges) > 0, out.Created)
	if err != nil {
		return out, err
	}
	out.Changed = out.Changed || changed
	for _, p := range ps {
		if !slices.Contains(out.Problems, p) {
			out.Problems = append(out.Problems, p)
		}
	}
	return out, nil
}

// observe stores one source's attribute values and re-decides the fields that
// changed (all fields after a merge). A customer created just now has no
// observations to load.
func (r *Resolver) observe(ctx context.Context, tx store.Tx, id int64, source string, at time.Time,
	attrs map[string]string, merged, created bool) (bool, []Problem, error) {
	if len(attrs) == 0 && !merged {
		return false, nil, nil
	}
	var stored []store.Observation
	if !created {
		var err error
		if stored, err = tx.Observations(ctx, id, ""); err != nil {
			return false, nil, fmt.Errorf("load observations: %w", err)
		}
	}
	byName := make(map[string][]store.Observation)
	for _, o := range stored {
		byName[o.Name] = append(byName[o.Name], o)
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	sort.Strings(names)

	var problems []Problem
	var pending []store.Observation
	dirty := make(map[string]bool)
	for _, name := range names {
		raw := attrs[name]
		fp := r.Policy.For(name)
		o := store.Observation{CustomerID: id, Name: name, Value: raw, Source: source, ObservedAt: at, Valid: true}
		if fp.Validate != nil {
			v, problem := fp.Validate(raw, r.Now())
			if problem != "" {
				o.Valid, o.Problem = false, problem
				problems = append(problems, Problem{name, problem})
			} else {
				o.Value = v
			}
		}
		if same(byName[name], o) || !o.Valid && hasValid(byName[name], source) {
			// an invalid value never displaces the source's valid one; it is
			// reported as a problem only
			continue
		}
		if prev, ok := fromSource(byName[name], source); ok && prev.ObservedAt.After(o.ObservedAt) {
			continue // the source already told us something newer
		}
		pending = append(pending, o)
		byName[name] = replace(byName[name], o)
		dirty[name] = true
	}
	if len(pending) > 0 {
		if err := tx.PutObservations(ctx, pending); err != nil {
			return false, nil, fmt.Errorf("store observations: %w", err)
		}
	}
	if merged {
		for name := range byName {
			dirty[name] = true
		}
	}
	decided := make([]store.Attribute, 0, len(dirty))
	for _, name := range slices.Sorted(maps.Keys(dirty)) {
		fp := r.Policy.For(name)
		best, ok := fp.choose(byName[name])
		if !ok {
			if err := tx.DeleteAttribute(ctx, id, name); err != nil {
				return false, nil, fmt.Errorf("clear %s: %w", name, err)
			}
			continue
		}
		decided = append(decided, store.Attribute{CustomerID: id, Name: name, Value: best.Value, Source: best.Source,
			ObservedAt: best.ObservedAt, Rule: fp.ruleName()})
	}
	if len(decided) > 0 {
		if err := tx.PutAttributes(ctx, decided); err != nil {
			return false, nil, fmt.Errorf("decide attributes: %w", err)
		}
	}
	return len(dirty) > 0, problems, nil
}

// same reports whether the source already said exactly this, so that
// re-importing a file without timestamps changes nothing.
func same(obs []store.Observation, o store.Observation) bool {
	for _, s := range obs {
		if s.Source == o.Source {
			return s.Value == o.Value && s.Valid == o.Valid
		}
	}
	return false
}

func fromSource(obs []store.Observation, source string) (store.Observation, bool) {
	for _, s := range obs {
		if s.Source == source {
			return s, true
		}
	}
	return store.Observation{}, false
}

func hasValid(obs []store.Observation, source string) bool {
	for _, s := range obs {
		if s.Source == source && s.Valid {
			return true
		}
	}
	return false
}

func replace(obs []store.Observation, o store.Observation) []store.Observation {
	for i, s := range obs {
		if s.Source == o.Source {
			obs[i] = o
			return obs
		}
	}
	return append(obs, o)
}

// Observe records one source's attribute values for a known customer and
// re-decides the fields that changed.
func (r *Resolver) Observe(ctx context.Context, tx store.Tx, id int64, source string, at time.Time,
	attrs map[string]string) (bool, []Problem, error) {
	if at.IsZero() {
		at = r.Now()
	}
	return r.observe(ctx, tx, id, source, at.UTC(), attrs, false, false)
}
