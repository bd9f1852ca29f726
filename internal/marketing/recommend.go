package marketing

import (
	"context"
	"errors"
	"strconv"

	"github.com/sagitta-dev/sagitta/internal/campaign"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// Recommender fills the templates' recommendations from the
// recommendation service; before a model is trained it gives none.
func Recommender(svc *recommend.Service, st store.Reader) campaign.Recommender {
	if svc == nil {
		return nil
	}
	return recommender{svc, st}
}

type recommender struct {
	svc *recommend.Service
	st  store.Reader
}

func (r recommender) Recommend(ctx context.Context, customer int64, n int) ([]campaign.Item, error) {
	recs, err := r.svc.TopN(ctx, strconv.FormatInt(customer, 10), n, recommend.Filters{})
	if errors.Is(err, recommend.ErrNoModel) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]campaign.Item, 0, len(recs))
	for _, rc := range recs {
		it := campaign.Item{ID: rc.Item}
		if item, err := r.st.Item(ctx, rc.Item); err == nil {
			it.Title, it.Price = item.Title, item.Price
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if it.Title == "" {
			it.Title = rc.Item
		}
		out = append(out, it)
	}
	return out, nil
}
