package apikey_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/apikey"
	"github.com/sagitta-dev/sagitta/internal/store"
)

var secretShape = regexp.MustCompile(`^sgt_([a-z2-7]{8})_[a-z2-7]{52}$`)

func TestGenerate(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	seen := map[string]bool{}
	for _, role := range apikey.Roles {
		secret, k, err := apikey.Generate(role, "  shop backend ", now)
		if err != nil {
			t.Fatalf("Generate(%q): %v", role, err)
		}
		m := secretShape.FindStringSubmatch(secret)
		if m == nil {
			t.Fatalf("secret %q does not have the form sgt_<id>_<random>", secret)
		}
		if k.ID != m[1] {
			t.Errorf("ID = %q, want %q (the id inside the secret)", k.ID, m[1])
		}
		if k.Hash != apikey.Hash(secret) || len(k.Hash) != 64 {
			t.Errorf("Hash = %q, want hex SHA-256 of the secret", k.Hash)
		}
		if strings.Contains(k.Hash, secret) || k.Hash == secret {
			t.Error("record holds the secret")
		}
		if k.Role != role || k.Name != "shop backend" || !k.CreatedAt.Equal(now) || k.CreatedAt.Location() != time.UTC {
			t.Errorf("record = %+v", k)
		}
		if !apikey.WellFormed(secret) {
			t.Errorf("WellFormed(%q) = false", secret)
		}
		if seen[secret] || seen[k.ID] {
			t.Error("Generate repeated itself")
		}
		seen[secret], seen[k.ID] = true, true
	}
}

func TestGenerateErrors(t *testing.T) {
	for _, c := range []struct {
		role, name string
		want       error
	}{
		{"root", "x", apikey.ErrInvalidRole},
		{"", "x", apikey.ErrInvalidRole},
		{"Admin", "x", apikey.ErrInvalidRole},
		{store.RoleAdmin, strings.Repeat("n", 201), apikey.ErrInvalidName},
		{store.RoleAdmin, "\xff", apikey.ErrInvalidName},
	} {
		if _, _, err := apikey.Generate(c.role, c.name, time.Now()); !errors.Is(err, c.want) {
			t.Errorf("Generate(%q, %q) = %v, want %v", c.role, c.name, err, c.want)
		}
	}
}

func TestHash(t *testing.T) {
	// sha256("abc")
	if got, want := apikey.Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("Hash(abc) = %s, want %s", got, want)
	}
}

func TestValidRole(t *testing.T) {
	for role, want := range map[string]bool{"admin": true, "operator": true, "analyst": true, "agent": true, "": false, "ADMIN": false, "viewer": false} {
		if got := apikey.ValidRole(role); got != want {
			t.Errorf("ValidRole(%q) = %v, want %v", role, got, want)
		}
	}
}

func TestWellFormed(t *testing.T) {
	secret, _, err := apikey.Generate(store.RoleAnalyst, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"", "sgt_", "Bearer " + secret, secret + "x", secret[:len(secret)-1],
		strings.ToUpper(secret), strings.Replace(secret, "sgt_", "sgx_", 1), secret[:12] + "1" + secret[13:]} {
		if apikey.WellFormed(s) {
			t.Errorf("WellFormed(%q) = true", s)
		}
	}
}
