//go:build !unix

package campaign

import (
	"errors"
	"os"
	"sync"
)

// live holds the journals this process writes; without flock(2), a
// journal written by another live process cannot be told from a leftover
// one, so several dispatchers must not share a journal directory here.
var live sync.Map

// lockFile marks f as held by this process (wait true) or tells whether
// it is (wait false: an error when held).
func lockFile(f *os.File, wait bool) error {
	if wait {
		live.Store(f.Name(), true)
		return nil
	}
	if _, ok := live.Load(f.Name()); ok {
		return errors.New("the journal is in use")
	}
	return nil
}

func unlockFile(f *os.File) { live.Delete(f.Name()) }
