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
