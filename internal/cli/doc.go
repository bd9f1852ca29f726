// Package cli implements the sagitta subcommands: flag parsing, human and
// --json output, progress on long work, and the messages a user sees when
// something is wrong. It receives the store opener and the HTTP handler from
// package app and imports no concrete store.
package cli
