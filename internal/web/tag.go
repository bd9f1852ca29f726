package web

import (
	"errors"
	"net/http"

	"github.com/sagitta-dev/sagitta/internal/tag"
)

// tagsPage lists the tags with their coverage.
func (s *Server) tagsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	v := s.view(r, rq, "tags.title")
	v.Data = s.in.Tags.List()
	s.render(w, "tags", http.StatusOK, v)
	return nil
}

func tagKinds() []string {
	var out []string
	for _, k := range tag.Kinds() {
		out = append(out, string(k))
	}
	return out
}

// tagEditor shows the builder for a new or an existing tag.
func (s *Server) tagEditor(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := &ruleForm{Kind: "tag", New: true, TagKind: string(tag.Behaviour), TagKinds: tagKinds()}
	if name := r.PathValue("name"); name != "" {
		info, err := s.in.Tags.Get(name)
		if errors.Is(err, tag.ErrNotFound) {
			return errPage(http.StatusNotFound, "error.no_tag", name)
		}
		if err != nil {
			return err
		}
		f.New, f.Name, f.Description, f.Rule, f.TagKind = false, info.Name, info.Description, info.Rule, string(info.Kind)
		f.Version, f.Author, f.Count, f.Problem = info.Version, info.Author, info.Count, info.Problem
		if f.History, err = s.in.Tags.History(r.Context(), name); err != nil {
			return err
		}
	}
	return s.showBuilder(w, r, rq, f, http.StatusOK)
}

// saveTag applies the builder's tag (a new version when it changed) and
// re-evaluates the segments.
func (s *Server) saveTag(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := s.readRuleForm(r, rq, "tag")
	f.TagKinds = tagKinds()
	valid := false
	for _, k := range f.TagKinds {
		valid = valid || k == f.TagKind
	}
	if !valid {
		f.Errors["kind"] = s.cat.t(rq.lang, "form.kind_invalid")
	}
	exists := func(name string) bool { _, err := s.in.Tags.Get(name); return err == nil }
	return s.finishSave(w, r, rq, f, exists, func() error {
		def := tag.Definition{Name: f.Name, Description: f.Description, Kind: tag.Kind(f.TagKind), Rule: f.Rule}
		_, err := s.in.ApplyTags(r.Context(), []tag.Definition{def}, rq.sess.keyID)
		return err
	})
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	name := r.PathValue("name")
	err := s.in.Tags.Delete(r.Context(), name, rq.sess.keyID)
	var inUse *tag.InUseError
	switch {
	case errors.Is(err, tag.ErrNotFound):
		return errPage(http.StatusNotFound, "error.no_tag", name)
	case errors.As(err, &inUse):
		return errPage(http.StatusConflict, "error.tag_in_use", name, err.Error())
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/tags?done=tag_deleted", http.StatusSeeOther)
	return nil
}
