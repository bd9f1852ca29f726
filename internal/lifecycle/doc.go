// Package lifecycle records how customers move between lifecycle stages
// over time.
//
// A Snapshot is every customer's stage at one instant, taken from the
// feature table (its ids ascend, so two snapshots compare by a merge). The
// Recorder keeps the last snapshot a flow was counted to, as one file in the
// data directory (last.bin: a versioned header, the ascending ids, one stage
// byte each, a CRC-32C; about 9 bytes a customer), and compares each new
// snapshot with it: a transition matrix between stages, plus the customers
// who entered (not in the previous snapshot) and left (merged into another
// customer or gone). Stage counts are stored every time; flows only once the
// table's as-of moved forward and a period (a day by default) has passed
// since the previous flow's snapshot, on the table's clock or the wall clock,
// so that a flow covers a period that means something.
package lifecycle
