package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

const pageSize = 50

// customerRow is one line of a customer list: features only, no personal data.
type customerRow struct {
	ID                           int64
	Class, Stage, Segment        string
	Recency, Frequency, Monetary float64
}

func rowOf(t *feature.Table, row int) customerRow {
	num := func(c string) float64 {
		if col := t.Num[c]; col != nil {
			return col[row]
		}
		return math.NaN()
	}
	txt := func(c string) string {
		if col := t.Text[c]; col != nil {
			return col[row]
		}
		return ""
	}
	return customerRow{ID: t.IDs[row], Class: txt(feature.ColClass), Stage: txt("lifecycle_stage"), Segment: txt("rfm_segment"),
		Recency: num("recency_days"), Frequency: num(feature.ColFrequency), Monetary: num(feature.ColMonetary)}
}

// pager is the position in a paginated list.
type pager struct {
	Page, Pages int
	Total       uint64
	Prev, Next  string // addresses; "" at the ends
}

func newPager(r *http.Request, total uint64) pager {
	p := pager{Total: total, Pages: int((total + pageSize - 1) / pageSize)}
	p.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	p.Page = max(1, min(p.Page, max(p.Pages, 1)))
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p
}

func (p pager) offset() uint64 { return uint64(p.Page-1) * pageSize }

// customersPage finds a customer by reference, or lists the customers of a
// segment (or all), a page at a time, in id order.
func (s *Server) customersPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	data := map[string]any{"Q": q}
	v := s.view(r, rq, "customers.title")
	if q != "" {
		id, err := profile.Lookup(r.Context(), s.st, q)
		switch {
		case err == nil:
			http.Redirect(w, r, "/customers/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return nil
		case errors.Is(err, store.ErrNotFound):
			data["Problem"] = v.T("customers.not_found")
		case errors.Is(err, profile.ErrBadRef):
			data["Problem"] = v.T("customers.bad_ref")
		default:
			return err
		}
	}
	if s.in == nil {
		v.Data = data
		s.render(w, "customers", http.StatusOK, v)
		return nil
	}
	segName := r.URL.Query().Get("segment")
	data["Segment"] = segName
	data["Segments"] = s.in.Segs.List()
	var rows []customerRow
	var pg pager
	var failed error
	s.in.Read(func(t *feature.Table) {
		var bm *roaring.Bitmap
		if segName != "" {
			var err error
			if bm, _, err = s.in.Segs.Members(segName); err != nil {
				failed = errPage(http.StatusNotFound, "error.no_segment", segName)
				return
			}
		}
		total := uint64(t.Len())
		if bm != nil {
			total = bm.GetCardinality()
		}
		pg = newPager(r, total)
		off := pg.offset()
		if bm == nil {
			for i := int(off); i < t.Len() && len(rows) < pageSize; i++ {
				rows = append(rows, rowOf(t, i))
			}
			return
		}
		if off >= total {
			return
		}
		start, err := bm.Select(uint32(off))
		if err != nil {
			return
		}
		it := bm.Iterator()
		it.AdvanceIfNeeded(start)
		for it.HasNext() && len(rows) < pageSize {
			if row := int(it.Next()); row < t.Len() {
				rows = append(rows, rowOf(t, row))
			}
		}
	})
	if failed != nil {
		return failed
	}
	data["Rows"], data["Pager"] = rows, pg
	v.Data = data
	s.render(w, "customers", http.StatusOK, v)
	return nil
}

// customer360 is the customer page's content, personal data masked by role.
type customer360 struct {
	P         profile.Profile
	Found     bool // the feature table has the customer
	Class     string
	Stage     string
	Segment   string
	R, F, M   any
	Recency   any
	Frequency any
	Monetary  any
	Price     any
	Features  []featureValue
	Tags      []tag.Why
	Admission *admission.Decision
	AsOf      time.Time
	customerMore
}

type featureValue struct {
	Name, Description string
	Value             any
}

// customerPage is the customer 360: identities and merges, attributes with
// provenance, consent, orders and events, features, classes and tags.
func (s *Server) customerPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errPage(http.StatusNotFound, "error.no_customer", r.PathValue("id"))
	}
	p, err := profile.Build(r.Context(), s.st, id, timeZero)
	if errors.Is(err, store.ErrNotFound) {
		return errPage(http.StatusNotFound, "error.no_customer", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	if p.ID != id { // merged into another: show the live one
		http.Redirect(w, r, "/customers/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
		return nil
	}
	maskProfile(&p, rq.role())
	c := customer360{P: p}
	if s.in != nil {
		intel, err := s.in.Customer(r.Context(), p.ID)
		if err != nil {
			return err
		}
		if intel != nil {
			c.fill(intel, s.in.Table())
		}
	}
	if err := s.fillMore(r.Context(), &c); err != nil {
		return err
	}
	v := s.view(r, rq, "customer.title")
	v.Data = &c
	s.render(w, "customer", http.StatusOK, v)
	return nil
}

func (c *customer360) fill(intel map[string]any, t *feature.Table) {
	c.Found = true
	c.AsOf, _ = intel["features_as_of"].(time.Time)
	c.Class, _ = intel["value_loyalty_class"].(string)
	c.Stage, _ = intel["lifecycle_stage"].(string)
	c.Price = intel["price_sensitivity"]
	if rfm, ok := intel["rfm"].(map[string]any); ok {
		c.R, c.F, c.M = rfm["r"], rfm["f"], rfm["m"]
		c.Recency, c.Frequency, c.Monetary = rfm["recency_days"], rfm["frequency"], rfm["monetary"]
		c.Segment, _ = rfm["segment"].(string)
	}
	feats, _ := intel["features"].(map[string]any)
	for _, col := range t.Cols {
		c.Features = append(c.Features, featureValue{Name: col.Name, Description: col.Description, Value: feats[col.Name]})
	}
	c.Tags, _ = intel["tags"].([]tag.Why)
	if d, ok := intel["admission"].(admission.Decision); ok {
		c.Admission = &d
	}
}

// maskProfile masks the personal data of a profile for a role.
func maskProfile(p *profile.Profile, role string) {
	for i := range p.Identities {
		p.Identities[i].Value = maskFor(role, p.Identities[i].Kind, p.Identities[i].Value)
	}
	for i := range p.MergedFrom {
		p.MergedFrom[i].Value = maskFor(role, p.MergedFrom[i].Kind, p.MergedFrom[i].Value)
	}
	for i := range p.Attributes {
		p.Attributes[i].Value = maskFor(role, p.Attributes[i].Name, p.Attributes[i].Value)
	}
	for i := range p.InvalidValues {
		p.InvalidValues[i].Value = maskFor(role, p.InvalidValues[i].Name, p.InvalidValues[i].Value)
	}
}

// CustomerLink is the address of a customer page.
func customerLink(id int64) string { return "/customers/" + url.PathEscape(strconv.FormatInt(id, 10)) }
