package marketing

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/insight"
	"github.com/sagitta-dev/sagitta/internal/measure"
)

// features serves feature columns to uplift models from the intelligence's
// feature table.
type features struct{ in *insight.Service }

func (f features) Columns(ctx context.Context, ids []int64, names []string) (out map[string][]string, err error) {
	out = make(map[string][]string, len(names))
	f.in.Read(func(tbl *feature.Table) {
		if tbl == nil {
			err = fmt.Errorf("no feature table yet: compute the features first")
			return
		}
		rows := make([]int, len(ids))
		for i, id := range ids {
			if r, ok := tbl.Index(id); ok {
				rows[i] = r
			} else {
				rows[i] = -1
			}
		}
		for _, name := range names {
			vals := make([]string, len(ids))
			if col, ok := tbl.Num[name]; ok {
				for i, r := range rows {
					if r >= 0 && col[r] == col[r] { // NaN is unknown: ""
						vals[i] = strconv.FormatFloat(col[r], 'g', -1, 64)
					}
				}
			} else if col, ok := tbl.Text[name]; ok {
				for i, r := range rows {
					if r >= 0 {
						vals[i] = col[r]
					}
				}
			} else {
				have := make([]string, 0, len(tbl.Cols))
				for _, c := range tbl.Cols {
					have = append(have, c.Name)
				}
				err = fmt.Errorf("the feature table has no column %q, which the uplift model needs (it has: %s)", name, strings.Join(have, ", "))
				return
			}
			out[name] = vals
		}
	})
	return out, err
}

// Decision is one arbitration for a customer, as the campaign that decided
// recorded it.
type Decision struct {
	At       time.Time `json:"at"`
	Campaign string    `json:"campaign"` // the campaign whose dispatch decided
	measure.Decision
}

// Holdout is a campaign the customer was held out of, for measurement.
type Holdout struct {
	At       time.Time `json:"at"`
	Campaign string    `json:"campaign"`
	Detail   string    `json:"detail"`
}

// Why explains which campaigns a customer got and why: the arbitration
// decisions (candidates, scores, reasons) and the holdouts.
type Why struct {
	Customer  int64      `json:"customer"`
	Decisions []Decision `json:"decisions"`
	Holdouts  []Holdout  `json:"holdouts"`
}

// CampaignWhy reads a customer's decisions from the contact history, newest first.
func (s *Service) CampaignWhy(ctx context.Context, id int64) (Why, error) {
	cs, err := s.Store.Contacts(ctx, id, time.Time{}, 0)
	if err != nil {
		return Why{}, err
	}
	w := Why{Customer: id, Decisions: []Decision{}, Holdouts: []Holdout{}}
	for _, c := range cs {
		switch c.Kind {
		case campaign.ContactArbitration:
			d := Decision{At: c.At, Campaign: c.Campaign}
			if err := json.Unmarshal([]byte(c.Detail), &d.Decision); err != nil {
				return Why{}, fmt.Errorf("read the arbitration decision %d of customer %d: %w", c.Seq, id, err)
			}
			w.Decisions = append(w.Decisions, d)
		case campaign.ContactHoldout:
			w.Holdouts = append(w.Holdouts, Holdout{At: c.At, Campaign: c.Campaign, Detail: c.Detail})
		}
	}
	return w, nil
}
