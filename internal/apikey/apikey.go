package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Prefix starts every secret, so that leaked keys are easy to recognize.
const Prefix = "sgt_"

// Sizes of the random parts.
const (
	idBytes     = 5  // 8 base32 characters
	secretBytes = 32 // 52 base32 characters
	maxNameLen  = 200
)

// Errors returned by Generate.
var (
	ErrInvalidRole = errors.New("role must be admin, operator, analyst or agent")
	ErrInvalidName = errors.New("name must be valid UTF-8 of at most 200 bytes")
)

// Roles lists the valid roles, most powerful first.
var Roles = []string{store.RoleAdmin, store.RoleOperator, store.RoleAnalyst, store.RoleAgent}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	switch role {
	case store.RoleAdmin, store.RoleOperator, store.RoleAnalyst, store.RoleAgent:
		return true
	}
	return false
}

var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Generate creates a key for role, named name (free text, e.g. "shop backend"),
// created at now. It returns the secret, to be shown to the user once, and the
// record to store, which holds only the secret's hash.
func Generate(role, name string, now time.Time) (secret string, k store.APIKey, err error) {
	if !ValidRole(role) {
		return "", store.APIKey{}, fmt.Errorf("generate key: %q: %w", role, ErrInvalidRole)
	}
	name = strings.TrimSpace(name)
	if len(name) > maxNameLen || !utf8.ValidString(name) {
		return "", store.APIKey{}, fmt.Errorf("generate key: %w", ErrInvalidName)
	}
	var buf [idBytes + secretBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", store.APIKey{}, fmt.Errorf("generate key: read random bytes: %w", err)
	}
	id := encoding.EncodeToString(buf[:idBytes])
	secret = Prefix + id + "_" + encoding.EncodeToString(buf[idBytes:])
	k = store.APIKey{ID: id, Hash: Hash(secret), Role: role, Name: name, CreatedAt: now.UTC()}
	return secret, k, nil
}

// Hash returns the hex SHA-256 of a secret, the form in which keys are stored
// and looked up.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s has the shape of a secret made by Generate, so
// that callers can refuse garbage without a store lookup.
func WellFormed(s string) bool {
	rest, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return false
	}
	id, random, ok := strings.Cut(rest, "_")
	return ok && len(id) == encoding.EncodedLen(idBytes) && len(random) == encoding.EncodedLen(secretBytes) &&
		isBase32(id) && isBase32(random)
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
