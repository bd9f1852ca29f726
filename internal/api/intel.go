package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

var errNoInsight = errorf(http.StatusServiceUnavailable, "customer intelligence is not loaded on this server")

// tags lists the tag definitions with their coverage.
func (s *server) tags(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	writeJSON(w, http.StatusOK, s.insight.Tags.List())
	return nil
}

// segments lists the saved segments with their sizes.
func (s *server) segments(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	writeJSON(w, http.StatusOK, s.insight.Segs.List())
	return nil
}

// countSegment counts the customers a rule selects: {"rule":"..."} ->
// {"count":N}. A wrong rule is a 400 naming the position of the mistake.
func (s *server) countSegment(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var body struct {
		Rule string `json:"rule"`
	}
	data, err := readBody(r, 64<<10)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return errorf(http.StatusBadRequest, "body: want {\"rule\": \"...\"}: %v", err)
	}
	if body.Rule == "" {
		return errorf(http.StatusBadRequest, "rule: empty")
	}
	n, err := s.insight.Count(r.Context(), body.Rule)
	if err != nil {
		return fmt.Errorf("rule: %w", err)
	}
	writeJSON(w, http.StatusOK, map[string]uint64{"count": n})
	return nil
}

// maxSmallBody bounds the bodies of definition routes (tags, segments,
// lists, settings, policy): larger ones are refused whole, never cut.
const maxSmallBody = 1 << 20

// decodeBody reads a small JSON body into v, refusing unknown fields.
func decodeBody(r *http.Request, v any) error {
	data, err := readBody(r, maxSmallBody)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "body: %v", err)
	}
	return nil
}

// readBody reads a whole body of at most limit bytes; a larger one is a 413
// and nothing of it is used.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "body: %v", err)
	}
	if int64(len(data)) > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", limit)
	}
	return data, nil
}

// tagOne answers one tag with its coverage and version history.
func (s *server) tagOne(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	info, err := s.insight.Tags.Get(r.PathValue("name"))
	if err != nil {
		return err
	}
	hist, err := s.insight.Tags.History(r.Context(), info.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		tag.Info
		History []tag.Version `json:"history"`
	}{info, hist})
	return nil
}

// putTags applies a batch of tag definitions (YAML or JSON, as in a tag
// file): all or nothing; each changed tag gets a new version.
func (s *server) putTags(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	data, err := readBody(r, maxSmallBody)
	if err != nil {
		return err
	}
	defs, err := tag.Parse("body", data)
	if err != nil {
		return err
	}
	applied, err := s.insight.ApplyTags(r.Context(), defs, key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, applied)
	return nil
}

// deleteTag deletes a tag; refused with its dependents while a segment uses it.
func (s *server) deleteTag(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	if err := s.insight.Tags.Delete(r.Context(), r.PathValue("name"), key.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// segmentOne answers one saved segment.
func (s *server) segmentOne(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	info, err := s.insight.Segs.Get(r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// saveSegment saves a segment (a new version when it exists).
func (s *server) saveSegment(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var sg segment.Segment
	if err := decodeBody(r, &sg); err != nil {
		return err
	}
	if err := s.insight.SaveSegment(r.Context(), sg, key.ID); err != nil {
		return err
	}
	info, err := s.insight.Segs.Get(sg.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

func (s *server) deleteSegment(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	if err := s.insight.Segs.Delete(r.Context(), r.PathValue("name"), key.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// admissionList answers the live entries of one list (?list=black) or of
// all three, by list and customer id, a page at a time: ?limit=N (default
// 1000, at most 10000) and ?after=CURSOR from the previous page's
// Next-After header (absent on the last page).
func (s *server) admissionList(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	q := r.URL.Query()
	lists := admission.Lists
	if l := q.Get("list"); l != "" {
		if !admission.ValidList(l) {
			return errorf(http.StatusBadRequest, "list %q is not black, white or grey", l)
		}
		lists = []string{l}
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return errorf(http.StatusBadRequest, "limit %q is not a number from 1 to 10000", v)
		}
		limit = n
	}
	start, after := lists[0], int64(0)
	if v := q.Get("after"); v != "" {
		l, id, ok := strings.Cut(v, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || !slices.Contains(lists, l) {
			return errorf(http.StatusBadRequest, "after %q is not a cursor from the Next-After header (LIST:ID)", v)
		}
		start, after = l, n
	}
	entries := []store.AdmissionEntry{}
	for _, l := range lists[slices.Index(lists, start):] {
		page, next := s.insight.Lists.Page(l, after, limit-len(entries))
		entries = append(entries, page...)
		after = 0
		if next != 0 {
			w.Header().Set("Next-After", fmt.Sprintf("%s:%d", l, next))
			break
		}
		if len(entries) == limit {
			if i := slices.Index(lists, l); i+1 < len(lists) {
				w.Header().Set("Next-After", lists[i+1]+":0")
			}
			break
		}
	}
	writeJSON(w, http.StatusOK, entries)
	return nil
}

// addAdmission puts customers on a list: [{"list","customer","reason","expires_at"}].
// customer is any reference customer lookups accept.
func (s *server) addAdmission(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var body []struct {
		List      string    `json:"list"`
		Customer  string    `json:"customer"`
		Reason    string    `json:"reason"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	entries := make([]store.AdmissionEntry, 0, len(body))
	for i, e := range body {
		if !admission.ValidList(e.List) {
			return errorf(http.StatusBadRequest, "entry %d: list %q is not black, white or grey", i, e.List)
		}
		id, err := profile.Lookup(r.Context(), s.store, e.Customer)
		if err != nil {
			return errorf(http.StatusBadRequest, "entry %d: customer: %v", i, err)
		}
		entries = append(entries, store.AdmissionEntry{List: e.List, CustomerID: id, Reason: e.Reason,
			Source: "api:" + key.ID, AddedAt: s.now().UTC(), ExpiresAt: e.ExpiresAt})
	}
	if err := s.insight.AddAdmission(r.Context(), entries); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"added": len(entries)})
	return nil
}

// admissionRules answers the rule-based admission lists.
func (s *server) admissionRules(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	out := []ruleListJSON{}
	for _, rl := range s.insight.Lists.Rules() {
		j := ruleListJSON{Name: rl.Name, List: rl.List, Rule: rl.Rule, Reason: rl.Reason}
		if rl.ExpiresAfter > 0 {
			j.ExpiresAfter = rl.ExpiresAfter.String()
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ruleListJSON is a rule-based admission list on the wire: expires_after
// is a Go duration ("720h").
type ruleListJSON struct {
	Name         string `json:"name"`
	List         string `json:"list"`
	Rule         string `json:"rule"`
	Reason       string `json:"reason"`
	ExpiresAfter string `json:"expires_after,omitempty"`
}

// applyAdmissionRule stores and runs a rule-based admission list: every
// customer the rule selects is put on the list, and taken off when the
// rule no longer selects them.
func (s *server) applyAdmissionRule(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	var body ruleListJSON
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	rl := admission.RuleList{Name: body.Name, List: body.List, Rule: body.Rule, Reason: body.Reason}
	if body.ExpiresAfter != "" {
		d, err := time.ParseDuration(body.ExpiresAfter)
		if err != nil {
			return errorf(http.StatusBadRequest, "expires_after: %q is not a duration such as 720h", body.ExpiresAfter)
		}
		rl.ExpiresAfter = d
	}
	if s.insight.Table().Len() == 0 {
		return errorf(http.StatusConflict, "no features computed yet: run 'sagitta features compute' first")
	}
	rep, err := s.insight.ApplyAdmissionRule(r.Context(), rl, "api:"+key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": rep.Name, "members": rep.Members,
		"added": len(rep.Added), "removed": len(rep.Removed)})
	return nil
}

// removeAdmission takes a customer off a list.
func (s *server) removeAdmission(w http.ResponseWriter, r *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	list := r.PathValue("list")
	if !admission.ValidList(list) {
		return errorf(http.StatusBadRequest, "list %q is not black, white or grey", list)
	}
	id, err := profile.Lookup(r.Context(), s.store, r.PathValue("customer"))
	if err != nil {
		return err
	}
	if err := s.insight.RemoveAdmission(r.Context(), list, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// featureSettings answers the feature settings in force and their version.
func (s *server) featureSettings(w http.ResponseWriter, _ *http.Request, _ store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	writeJSON(w, http.StatusOK, s.insight.Settings())
	return nil
}

// putFeatureSettings stores new feature settings (YAML or JSON); they apply
// from the next recompute.
func (s *server) putFeatureSettings(w http.ResponseWriter, r *http.Request, key store.APIKey) error {
	if s.insight == nil {
		return errNoInsight
	}
	data, err := readBody(r, feature.MaxSettingsSize)
	if err != nil {
		return err
	}
	set, err := feature.ParseSettings(data)
	if err != nil {
		return err
	}
	v, err := s.insight.PutSettings(r.Context(), set, "api:"+key.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
