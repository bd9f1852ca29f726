package web

// SetExportChunk sets how many ids a segment export copies per read lock,
// for a test; restore puts the default back.
func SetExportChunk(n int) (restore func()) {
	old := exportChunk
	exportChunk = n
	return func() { exportChunk = old }
}
