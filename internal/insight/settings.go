package insight

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// settingsKind and settingsName name the feature settings among the store's
// versioned definitions.
const (
	settingsKind = "settings"
	settingsName = "features"
)

// SettingsVersion is the feature settings in force, with their version
// (0: never set, the defaults).
type SettingsVersion struct {
	Settings  feature.Settings `json:"settings"`
	Version   int              `json:"version"`
	CreatedAt time.Time        `json:"created_at,omitzero"`
	Author    string           `json:"author,omitempty"`
}

func (s *Service) loadSettings(ctx context.Context) error {
	defs, err := s.st.Definitions(ctx, settingsKind)
	if err != nil {
		return fmt.Errorf("load feature settings: %w", err)
	}
	v := &SettingsVersion{}
	for _, d := range defs {
		if d.Name != settingsName {
			continue
		}
		if err := json.Unmarshal(d.Body, &v.Settings); err != nil {
			return fmt.Errorf("load feature settings version %d: %w", d.Version, err)
		}
		v.Version, v.CreatedAt, v.Author = d.Version, d.CreatedAt, d.Author
	}
	s.settings.Store(v)
	return nil
}

// Settings returns the feature settings the next recompute uses.
func (s *Service) Settings() SettingsVersion { return *s.settings.Load() }

// PutSettings validates and stores new feature settings, versioned. They
// take effect at the next recompute (`sagitta features compute`, or a
// server's maintenance).
func (s *Service) PutSettings(ctx context.Context, set feature.Settings, author string) (SettingsVersion, error) {
	if err := set.Validate(); err != nil {
		return SettingsVersion{}, err
	}
	body, err := json.Marshal(set)
	if err != nil {
		return SettingsVersion{}, fmt.Errorf("store feature settings: %w", err)
	}
	now := s.opts.Clock()
	v, err := s.st.PutDefinition(ctx, store.Definition{Kind: settingsKind, Name: settingsName, Body: body, CreatedAt: now, Author: author})
	if err != nil {
		return SettingsVersion{}, fmt.Errorf("store feature settings: %w", err)
	}
	next := &SettingsVersion{Settings: set, Version: v, CreatedAt: now, Author: author}
	s.settings.Store(next)
	return *next, nil
}
