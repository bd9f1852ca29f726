package feature

import (
	"syscall"
	"unsafe"
)

// hugePages says whether adviseHuge asks for transparent huge pages; a
// benchmark turns it off to measure the difference.
var hugePages = true

// adviseHuge asks the kernel to back a large array with transparent huge
// pages (madvise MADV_HUGEPAGE; a hint, ignored where THP is off). The
// per-customer accumulators are read in customer order as orders arrive,
// that is at random: with 4 KiB pages nearly every order of a 10M-customer
// shop also misses the TLB. Call it before the array is first written.
func adviseHuge[T any](s []T) {
	const min = 4 << 20 // smaller arrays fit the TLB's reach anyway
	var zero T
	size := uintptr(len(s)) * unsafe.Sizeof(zero)
	if !hugePages || size < min {
		return
	}
	page := uintptr(syscall.Getpagesize())
	base := unsafe.Pointer(&s[0])
	skip := (page - uintptr(base)%page) % page // to the first page boundary
	if size <= skip+page {
		return
	}
	n := (size - skip) &^ (page - 1)
	b := unsafe.Slice((*byte)(unsafe.Add(base, skip)), n)
	_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE
}
