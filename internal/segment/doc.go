// Package segment implements segments (定向目标用户): boolean combinations
// of tags, feature conditions and admission lists (and, or, not; include
// and exclude, 交并差) in the rule language of package rule, evaluated to
// roaring bitmaps from the tag bitmaps, so combining tags is bitmap algebra
// rather than a rescan. It counts, materializes, saves, lists and exports
// (CSV of customer ids) segments, records size history, keeps the members
// of saved segments current as customers change (Update), and refuses the
// deletion of a tag a segment uses.
//
// It reads and writes through the small Store interface declared here
// (store.Analytics implements it) and must not import net/http or a
// concrete store.
package segment
