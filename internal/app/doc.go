// Package app wires Sagitta together: configuration, logging, the choice of
// storage engine and the HTTP handler, handed to the CLI. It holds no domain
// logic; the storage engine is chosen here and nowhere else.
package app
