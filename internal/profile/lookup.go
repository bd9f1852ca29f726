package profile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// ErrBadRef is returned for a reference that has none of the forms Lookup accepts.
var ErrBadRef = errors.New("not a customer reference: use an id (123), email:ADDRESS, phone:NUMBER or SOURCE:ID")

// maxHops bounds how far Lookup follows MergedInto, in case a store ever
// holds a cycle.
const maxHops = 32

// Lookup resolves a reference to the id of a live customer. A reference is
//
//	123                      an internal customer id
//	email:ann@example.com    an e-mail address (also bare: ann@example.com)
//	phone:+44 7700 900123    a phone number (also bare when it starts with +)
//	online-retail:17850      a source's own customer id, SOURCE:ID
//
// E-mail and phone are normalized as on import. An id of a customer that was
// merged resolves to the customer it was merged into. Lookup returns an error
// wrapping store.ErrNotFound when nothing matches, ErrBadRef or an
// identity.ErrInvalid* error when the reference is malformed. Errors name the
// kind of reference, never the e-mail or phone itself, so they are safe to log.
func Lookup(ctx context.Context, r store.Reader, ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	kind, value := parseRef(ref)
	switch kind {
	case "":
		return 0, ErrBadRef
	case "id":
		id, err := strconv.ParseInt(value, 10, 64)
		if err != nil || id <= 0 {
			return 0, ErrBadRef
		}
		c, err := live(ctx, r, id)
		return c.ID, err
	case store.KindEmail:
		v, err := identity.NormalizeEmail(value)
		if err != nil {
			return 0, fmt.Errorf("look up customer by e-mail: %w", err)
		}
		return find(ctx, r, store.KindEmail, "", v)
	case store.KindPhone:
		v, err := identity.NormalizePhone(value)
		if err != nil {
			return 0, fmt.Errorf("look up customer by phone: %w", err)
		}
		return find(ctx, r, store.KindPhone, "", v)
	default: // a source namespace
		return find(ctx, r, store.KindExternalID, kind, value)
	}
}

// parseRef splits a reference into its kind ("id", email, phone, or the
// source of an external id) and value; kind is "" when ref is malformed.
func parseRef(ref string) (kind, value string) {
	if ref == "" {
		return "", ""
	}
	if allDigits(ref) {
		return "id", ref
	}
	prefix, rest, found := strings.Cut(ref, ":")
	switch {
	case found && strings.EqualFold(prefix, "email"):
		return store.KindEmail, rest
	case found && strings.EqualFold(prefix, "phone"):
		return store.KindPhone, rest
	case found && prefix != "" && rest != "" && !strings.Contains(prefix, "@"):
		return prefix, rest
	case strings.Contains(ref, "@"):
		return store.KindEmail, ref
	case ref[0] == '+':
		return store.KindPhone, ref
	}
	return "", ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func find(ctx context.Context, r store.Reader, kind, namespace, value string) (int64, error) {
	id, ok, err := r.FindIdentity(ctx, kind, namespace, value)
	if err != nil {
		return 0, fmt.Errorf("look up customer by %s: %w", kindName(kind), err)
	}
	if !ok {
		return 0, fmt.Errorf("look up customer by %s: %w", kindName(kind), store.ErrNotFound)
	}
	c, err := live(ctx, r, id)
	return c.ID, err
}

func kindName(kind string) string {
	switch kind {
	case store.KindEmail:
		return "e-mail"
	case store.KindPhone:
		return "phone"
	}
	return "external id"
}

// live follows MergedInto from id to the customer that absorbed it.
func live(ctx context.Context, r store.Reader, id int64) (store.Customer, error) {
	for range maxHops {
		c, err := r.Customer(ctx, id)
		if err != nil {
			return store.Customer{}, fmt.Errorf("load customer %d: %w", id, err)
		}
		if c.MergedInto == 0 {
			return c, nil
		}
		id = c.MergedInto
	}
	return store.Customer{}, fmt.Errorf("load customer %d: merged more than %d times in a row (a cycle?)", id, maxHops)
}
