package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/recommend"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// maxRecommendations bounds n.
const maxRecommendations = 100

// recommendFilters is the JSON form of recommend.Filters.
type recommendFilters struct {
	IncludeSeen       bool               `json:"include_seen"`
	Repurchase        []string           `json:"repurchase_categories"`
	IncludeCategories []string           `json:"categories"`
	ExcludeCategories []string           `json:"exclude_categories"`
	MinPrice          float64            `json:"min_price"`
	MaxPrice          float64            `json:"max_price"`
	MaxPerCategory    int                `json:"max_per_category"`
	ExcludeItems      []string           `json:"exclude_items"`
	Boost             map[string]float64 `json:"boost"`
	BoostCategories   map[string]float64 `json:"boost_categories"`
	IncludeInactive   bool               `json:"include_inactive"`
}

func (f recommendFilters) filters() recommend.Filters {
	return recommend.Filters{IncludeSeen: f.IncludeSeen, Repurchase: f.Repurchase, IncludeCategories: f.IncludeCategories,
		ExcludeCategories: f.ExcludeCategories, MinPrice: f.MinPrice, MaxPrice: f.MaxPrice, MaxPerCategory: f.MaxPerCategory,
		ExcludeItems: f.ExcludeItems, Boost: f.Boost, BoostCategories: f.BoostCategories, IncludeInactive: f.IncludeInactive}
}

type recommendationsBody struct {
	Customer  *int64                     `json:"customer"` // null when the reference matches no customer
	TrainedAt time.Time                  `json:"model_trained_at"`
	Items     []recommend.Recommendation `json:"items"`
}

func (s *server) recommender() (*recommend.Service, *recommend.Model, error) {
	if s.rec == nil {
		return nil, nil, errorf(http.StatusServiceUnavailable, "recommendations are not enabled on this server")
	}
	m := s.rec.Model()
	if m == nil {
		return nil, nil, errorf(http.StatusServiceUnavailable, "no recommendation model yet: run 'sagitta recommend train --from-store'")
	}
	return s.rec, m, nil
}

func parseN(v string) (int, error) {
	if v == "" {
		return 10, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxRecommendations {
		return 0, errorf(http.StatusBadRequest, "n: expected an integer from 1 to %d, got %q", maxRecommendations, v)
	}
	return n, nil
}

func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// queryFilters reads the filters of a GET from its query.
func queryFilters(r *http.Request) (recommend.Filters, error) {
	q := r.URL.Query()
	var f recommend.Filters
	var err error
	boolean := func(name string) bool {
		if err != nil || q.Get(name) == "" {
			return false
		}
		b, e := strconv.ParseBool(q.Get(name))
		if e != nil {
			err = errorf(http.StatusBadRequest, "%s: expected true or false, got %q", name, q.Get(name))
		}
		return b
	}
	number := func(name string) float64 {
		if err != nil || q.Get(name) == "" {
			return 0
		}
		v, e := strconv.ParseFloat(q.Get(name), 64)
		if e != nil || v < 0 {
			err = errorf(http.StatusBadRequest, "%s: expected a non-negative number, got %q", name, q.Get(name))
		}
		return v
	}
	f.IncludeSeen = boolean("include_seen")
	f.IncludeInactive = boolean("include_inactive")
	f.MinPrice, f.MaxPrice = number("min_price"), number("max_price")
	f.MaxPerCategory = int(number("max_per_category"))
	f.IncludeCategories = splitList(q.Get("categories"))
	f.ExcludeCategories = splitList(q.Get("exclude_categories"))
	f.Repurchase = splitList(q.Get("repurchase_categories"))
	f.ExcludeItems = splitList(q.Get("exclude_items"))
	return f, err
}

// customerRecommendations answers the top n items for a customer. A
// reference that matches no customer gets the cold-start answer.
func (s *server) customerRecommendations(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	rec, m, err := s.recommender()
	if err != nil {
		return err
	}
	n, err := parseN(r.URL.Query().Get("n"))
	if err != nil {
		return err
	}
	f, err := queryFilters(r)
	if err != nil {
		return err
	}
	body := recommendationsBody{TrainedAt: m.TrainedAt}
	name := ""
	id, err := profile.Lookup(r.Context(), s.store, r.PathValue("ref"))
	switch {
	case err == nil:
		body.Customer = &id
		name = recommend.CustomerName(id)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, profile.ErrBadRef):
	default:
		return err
	}
	if body.Items, err = rec.TopN(r.Context(), name, n, f); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// cartRecommendations completes a cart.
func (s *server) cartRecommendations(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	rec, m, err := s.recommender()
	if err != nil {
		return err
	}
	var req struct {
		Items   []string         `json:"items"`
		N       int              `json:"n"`
		Filters recommendFilters `json:"filters"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.N == 0 {
		req.N = 10
	}
	if req.N < 1 || req.N > maxRecommendations {
		return errorf(http.StatusBadRequest, "n: expected an integer from 1 to %d, got %d", maxRecommendations, req.N)
	}
	items, err := rec.CartCompletion(r.Context(), req.Items, req.N, req.Filters.filters())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recommendationsBody{TrainedAt: m.TrainedAt, Items: items})
	return nil
}
