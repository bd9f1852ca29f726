// Package tag implements tags defined by rules, not code: definitions in
// YAML or JSON (name, description, kind, rule in the rule language of
// package rule), versioned in the store, evaluated over the feature table
// into roaring bitmaps of dense customer numbers, with dependencies between
// tags (cycles are an error), coverage, an explanation of why a customer
// has a tag, and incremental re-evaluation of changed customers. About 50
// built-in tags ship in the editable builtin.yaml.
//
// It reads definitions through the small Store interface declared here
// (store.Analytics implements it) and must not import net/http or a
// concrete store.
package tag
