// Package rule is Sagitta's one rule language, used by tags, segments,
// admission lists and (later) offer eligibility and journey conditions.
//
// A rule is an expr-lang expression (github.com/expr-lang/expr) over the
// feature schema: numeric and text feature columns by name, tag names as
// booleans (or tag("name")), admission lists through in_list("black"), and
// known(column) for "the value is not unknown". It is parsed and
// type-checked once by expr's own parser and checker; a mistake is an
// *Error naming the line and column with a caret excerpt. Only an
// allow-listed subset compiles (comparisons, and/or/not, arithmetic,
// in [...], string equality/prefix/suffix/contains/matches, ternaries and
// a few pure builtins), so every rule is bounded in time: no loops, no
// closures, no calls beyond the allow-list. A division by zero is an error,
// never a silent Inf or NaN.
//
// A compiled Rule is evaluated over a whole feature.Table into a roaring
// bitmap of dense customer numbers. Boolean connectives over tags and lists
// are bitmap algebra; everything else is evaluated column by column, chunk
// by chunk, in parallel, with expr's short-circuit semantics kept through
// selection vectors. The result equals expr.Run row by row (see the fuzz
// test).
//
// It must not import net/http or a concrete store.
package rule
