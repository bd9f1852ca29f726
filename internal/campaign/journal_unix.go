//go:build unix

package campaign

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f: the kernel releases it when
// the process dies, so a journal whose lock is free has no live writer.
// wait false fails at once when another holds it.
func lockFile(f *os.File, wait bool) error {
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	return syscall.Flock(int(f.Fd()), how)
}

// unlockFile: closing the file releases the lock.
func unlockFile(*os.File) {}
