package web

import "github.com/sagitta-dev/sagitta/internal/profile"

// The console masks personal data exactly as the API does (package profile).
func seesPII(role string) bool             { return profile.SeesPII(role) }
func isPII(field string) bool              { return profile.IsPII(field) }
func mask(field, v string) string          { return profile.Mask(field, v) }
func maskFor(role, field, v string) string { return profile.MaskFor(role, field, v) }
