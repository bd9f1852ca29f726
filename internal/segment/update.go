package segment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// Change is a customer joining or leaving a saved segment.
type Change struct {
	Segment    string `json:"segment"`
	Row        int    `json:"-"`
	CustomerID int64  `json:"customer_id"`
	Member     bool   `json:"member"` // true: joined, false: left
}

// Changes are the membership changes of one Update.
type Changes struct {
	Tags     []tag.Change `json:"tags"`
	Segments []Change     `json:"segments"`
}

// Update keeps memberships current in real time: after the features of
// some customers changed (rows of tbl, numbered as before and extended at
// the end for new customers), or their admission lists did, it
// re-evaluates only those rows of every tag and then of every saved
// segment, and reports who joined or left what. A segment whose rule fails
// on those rows keeps its previous members; the error is returned with the
// other changes.
func (e *Engine) Update(ctx context.Context, tbl *feature.Table, rows []int) (Changes, error) {
	e.write.Lock()
	defer e.write.Unlock()
	var ch Changes
	tagChanges, tagErr := e.opts.Tags.Update(ctx, tbl, rows)
	if err := ctx.Err(); err != nil {
		return ch, err
	}
	ch.Tags = tagChanges
	_, bms := e.opts.Tags.Snapshot()
	within := roaring.New()
	for _, r := range rows {
		if r >= 0 && r < tbl.Len() {
			within.AddInt(r)
		}
	}
	e.mu.RLock()
	rules := maps.Clone(e.rules)
	members := maps.Clone(e.members)
	e.mu.RUnlock()
	errs := []error{tagErr}
	in := e.input(tbl, bms)
	in.Within = within
	for _, n := range slices.Sorted(maps.Keys(rules)) {
		got, err := rules[n].Eval(ctx, in)
		if err := ctx.Err(); err != nil {
			return ch, err
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("segment %q: %w", n, err))
			continue
		}
		prev := members[n]
		if prev == nil {
			prev = roaring.New()
		}
		was := roaring.And(prev, within)
		if was.Equals(got) {
			continue
		}
		joined, left := roaring.AndNot(got, was), roaring.AndNot(was, got)
		next := prev.Clone()
		next.AndNot(left)
		next.Or(joined)
		members[n] = next
		ch.Segments = appendChanges(ch.Segments, n, tbl, joined, true)
		ch.Segments = appendChanges(ch.Segments, n, tbl, left, false)
	}
	e.mu.Lock()
	e.members, e.tbl = members, tbl
	e.mu.Unlock()
	return ch, errors.Join(errs...)
}

func appendChanges(out []Change, seg string, tbl *feature.Table, rows *roaring.Bitmap, member bool) []Change {
	rows.Iterate(func(x uint32) bool {
		out = append(out, Change{Segment: seg, Row: int(x), CustomerID: tbl.IDs[x], Member: member})
		return true
	})
	return out
}

var _ rule.Sets = sets{}
