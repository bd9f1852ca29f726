// Package config holds Sagitta's settings: defaults, then SAGITTA_*
// environment variables, then command-line flags, checked by Validate.
//
// It imports nothing of the project; everything else receives a Config.
package config
