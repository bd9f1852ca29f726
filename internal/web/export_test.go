package web

// RoutePatterns lists the console's route patterns, for the role matrix of
// the package's HTTP tests.
func RoutePatterns() []string {
	var out []string
	for _, rt := range (&Server{}).routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// SetExportChunk sets how many ids a segment export copies per read lock,
// for a test; restore puts the default back.
func SetExportChunk(n int) (restore func()) {
	old := exportChunk
	exportChunk = n
	return func() { exportChunk = old }
}
