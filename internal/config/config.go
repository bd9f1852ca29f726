package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// Config is the process-wide configuration.
type Config struct {
	DataDir  string // embedded store and working files
	Postgres string // a PostgreSQL DSN; when set, the store is PostgreSQL
	Addr     string // HTTP listen address
	Timezone string // for imported times without a zone
	LogLevel string // debug, info, warn, error
}

// Default returns the defaults.
func Default() Config {
	return Config{DataDir: "./sagitta-data", Addr: "127.0.0.1:8080", Timezone: "UTC", LogLevel: "info"}
}

// FromEnv overlays SAGITTA_* variables on c.
func FromEnv(c Config, getenv func(string) string) Config {
	if getenv == nil {
		getenv = os.Getenv
	}
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&c.DataDir, "SAGITTA_DATA_DIR")
	set(&c.Postgres, "SAGITTA_POSTGRES")
	set(&c.Addr, "SAGITTA_ADDR")
	set(&c.Timezone, "SAGITTA_TIMEZONE")
	set(&c.LogLevel, "SAGITTA_LOG_LEVEL")
	return c
}

// Flags registers the store flags every command shares.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory of the embedded store (env SAGITTA_DATA_DIR)")
	fs.StringVar(&c.Postgres, "postgres", c.Postgres, "PostgreSQL DSN; use PostgreSQL instead of the embedded store (env SAGITTA_POSTGRES)")
	fs.StringVar(&c.Timezone, "timezone", c.Timezone, "IANA time zone of imported times that carry none (env SAGITTA_TIMEZONE)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env SAGITTA_LOG_LEVEL)")
}

// Validate checks the settings.
func (c Config) Validate() error {
	var errs []error
	if c.Postgres == "" && strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data-dir: empty"))
	}
	if c.Postgres != "" && !strings.HasPrefix(c.Postgres, "postgres://") && !strings.HasPrefix(c.Postgres, "postgresql://") &&
		!strings.Contains(c.Postgres, "=") {
		errs = append(errs, errors.New("postgres: not a DSN (postgres://user@host:5432/db or key=value pairs)"))
	}
	if _, err := c.Location(); err != nil {
		errs = append(errs, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// Location is the configured time zone.
func (c Config) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %q is not an IANA time zone", c.Timezone)
	}
	return loc, nil
}
