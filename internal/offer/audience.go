package offer

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/rule"
)

// NewAudience serves eligibility rules from the intelligence service: its
// feature table, tags, admission lists and saved segments. Compiled rules
// are cached per feature table.
func NewAudience(in *insight.Service) Audience {
	return &insightAudience{in: in, rules: map[string]*rule.Rule{}}
}

type insightAudience struct {
	in    *insight.Service
	mu    sync.Mutex
	tbl   *feature.Table // the table rules were cached for
	ntags int
	rules map[string]*rule.Rule
}

func (a *insightAudience) SegmentRule(name string) (string, error) {
	s, err := a.in.Segs.Get(name)
	if err != nil {
		return "", err
	}
	return s.Rule, nil
}

func (a *insightAudience) Check(src string) error {
	_, err := a.in.Segs.Compile(src)
	return err
}

// compile returns the compiled rule for the current table and tags.
func (a *insightAudience) compile(src string, tbl *feature.Table, ntags int) (*rule.Rule, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tbl != tbl || a.ntags != ntags {
		a.tbl, a.ntags = tbl, ntags
		clear(a.rules)
	}
	if r := a.rules[src]; r != nil {
		return r, nil
	}
	r, err := a.in.Segs.Compile(src)
	if err != nil {
		return nil, err
	}
	if len(a.rules) > 1024 {
		clear(a.rules)
	}
	a.rules[src] = r
	return r, nil
}

type sets struct {
	in   *insight.Service
	tbl  *feature.Table
	tags map[string]*roaring.Bitmap
}

func (s sets) Tag(name string) *roaring.Bitmap  { return s.tags[name] }
func (s sets) List(name string) *roaring.Bitmap { return s.in.Lists.Rows(name, s.tbl) }

func (a *insightAudience) Explain(ctx context.Context, src string, id int64) (x rule.Explanation, ok bool, err error) {
	a.in.Read(func(*feature.Table) {
		tbl, tags := a.in.Tags.Snapshot()
		if tbl == nil {
			return
		}
		row, found := tbl.Index(id)
		if !found {
			return
		}
		var r *rule.Rule
		if r, err = a.compile(src, tbl, len(tags)); err != nil {
			return
		}
		ok = true
		x, err = r.Explain(ctx, rule.Input{Table: tbl, Sets: sets{a.in, tbl, tags}}, row)
	})
	return x, ok, err
}

func (a *insightAudience) Select(ctx context.Context, src string) (ids []int64, err error) {
	a.in.Read(func(*feature.Table) {
		tbl, tags := a.in.Tags.Snapshot()
		if tbl == nil {
			err = fmt.Errorf("no feature table yet: compute the features first")
			return
		}
		var r *rule.Rule
		if r, err = a.compile(src, tbl, len(tags)); err != nil {
			return
		}
		var bm *roaring.Bitmap
		if bm, err = r.Eval(ctx, rule.Input{Table: tbl, Sets: sets{a.in, tbl, tags}}); err != nil {
			return
		}
		ids = make([]int64, 0, bm.GetCardinality())
		it := bm.Iterator()
		for it.HasNext() {
			ids = append(ids, tbl.IDs[it.Next()])
		}
	})
	return ids, err
}

func (a *insightAudience) Profile(id int64) (p Profile, ok bool) {
	p = Profile{PriceSensitivity: math.NaN(), ChurnProbability: math.NaN()}
	a.in.Read(func(*feature.Table) {
		tbl := a.in.Table()
		row, found := tbl.Index(id)
		if !found {
			return
		}
		ok = true
		if c, has := tbl.Text["value_loyalty_class"]; has {
			p.Class = c[row]
		}
		if c, has := tbl.Text["lifecycle_stage"]; has {
			p.Lifecycle = c[row]
		}
		if c, has := tbl.Num["price_sensitivity"]; has {
			p.PriceSensitivity = c[row]
		}
		if c, has := tbl.Num["churn_probability"]; has {
			p.ChurnProbability = c[row]
		}
	})
	return p, ok
}
