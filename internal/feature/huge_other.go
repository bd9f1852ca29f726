//go:build !linux

package feature

var hugePages = false

func adviseHuge[T any](s []T) {}
