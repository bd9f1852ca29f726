package web

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/segment"
)

type segInfo = segment.Info

// segmentsPage lists the saved segments with their live sizes.
func (s *Server) segmentsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	v := s.view(r, rq, "segments.title")
	v.Data = s.in.Segs.List()
	s.render(w, "segments", http.StatusOK, v)
	return nil
}

func (s *Server) builderContext(f *ruleForm) {
	f.Columns = s.in.Tags.Schema()
	f.Tags = s.in.Tags.Names()
}

// segmentEditor shows the builder for a new or a saved segment.
func (s *Server) segmentEditor(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := &ruleForm{Kind: "segment", New: true}
	if name := r.PathValue("name"); name != "" {
		info, err := s.in.Segs.Get(name)
		if errors.Is(err, segment.ErrNotFound) {
			return errPage(http.StatusNotFound, "error.no_segment", name)
		}
		if err != nil {
			return err
		}
		f.New, f.Name, f.Description, f.Rule = false, info.Name, info.Description, info.Rule
		f.Version, f.Author, f.Count, f.Problem = info.Version, info.Author, info.Count, info.Problem
		if f.History, err = s.in.Segs.History(r.Context(), name); err != nil {
			return err
		}
	} else if q := r.URL.Query().Get("rule"); q != "" {
		f.Rule = q
	}
	return s.showBuilder(w, r, rq, f, http.StatusOK)
}

func (s *Server) showBuilder(w http.ResponseWriter, r *http.Request, rq *request, f *ruleForm, code int) error {
	s.builderContext(f)
	key := "segment.title"
	if f.Kind == "tag" {
		key = "tag.title"
	}
	v := s.view(r, rq, key)
	v.Data = f
	s.render(w, "builder", code, v)
	return nil
}

// readRuleForm reads and checks the builder's fields; the engines check the
// rule itself.
func (s *Server) readRuleForm(r *http.Request, rq *request, kind string) *ruleForm {
	f := &ruleForm{Kind: kind, New: r.PostFormValue("new") == "1", Errors: map[string]string{},
		Name:        strings.TrimSpace(r.PostFormValue("name")),
		Description: strings.TrimSpace(r.PostFormValue("description")),
		TagKind:     r.PostFormValue("kind"),
		Rule:        r.PostFormValue("rule")}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	if !nameRE.MatchString(f.Name) {
		f.Errors["name"] = t("form.name_invalid")
	}
	if len(f.Description) > 500 {
		f.Errors["description"] = t("form.too_long", 500)
	}
	if strings.TrimSpace(f.Rule) == "" {
		f.Errors["rule"] = t("rule.empty")
	} else if len(f.Rule) > 8000 {
		f.Errors["rule"] = t("form.too_long", 8000)
	}
	return f
}

// ruleFailed puts a save error on the form: at the rule when it is about the
// rule, else at the name.
func (s *Server) ruleFailed(f *ruleForm, rq *request, err error) {
	if p, ok := problemOf(f.Rule, err); ok {
		f.RuleProblem = &p
		f.Errors["rule"] = p.Message
		return
	}
	f.Errors["name"] = s.cat.t(rq.lang, "form.save_failed", err.Error())
}

// saveSegment saves the builder's segment, a new version when it exists.
func (s *Server) saveSegment(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	f := s.readRuleForm(r, rq, "segment")
	exists := func(name string) bool { _, err := s.in.Segs.Get(name); return err == nil }
	return s.finishSave(w, r, rq, f, exists, func() error {
		return s.in.SaveSegment(r.Context(), segment.Segment{Name: f.Name, Description: f.Description, Rule: f.Rule}, rq.sess.keyID)
	})
}

// finishSave refuses a new tag or segment whose name is taken, runs save
// (which reads the feature table under the insight service's lock) and
// goes to the saved item; or it shows the builder again with each error
// next to its field.
func (s *Server) finishSave(w http.ResponseWriter, r *http.Request, rq *request, f *ruleForm, exists func(string) bool, save func() error) error {
	if f.New && len(f.Errors) == 0 && exists(f.Name) {
		f.Errors["name"] = s.cat.t(rq.lang, "form.name_taken")
	}
	if len(f.Errors) == 0 {
		err := save()
		if err == nil {
			http.Redirect(w, r, "/"+f.Kind+"s/"+f.Name+"?done="+f.Kind+"_saved", http.StatusSeeOther)
			return nil
		}
		s.ruleFailed(f, rq, err)
	}
	return s.showBuilder(w, r, rq, f, http.StatusUnprocessableEntity)
}

func (s *Server) deleteSegment(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	name := r.PathValue("name")
	err := s.in.Segs.Delete(r.Context(), name, rq.sess.keyID)
	if errors.Is(err, segment.ErrNotFound) {
		return errPage(http.StatusNotFound, "error.no_segment", name)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/segments?done=segment_deleted", http.StatusSeeOther)
	return nil
}

// exportChunk is how many customer ids an export copies per read lock.
var exportChunk = 64 << 10

// exportSegment streams the members' customer ids as CSV, ascending, a
// chunk at a time: each chunk is copied under the read lock and written
// after it, so an export of millions neither buffers them all nor holds off
// ingestion while a slow client reads. A change made during the download
// shows in the chunks after it; the ids stay ascending and unique.
func (s *Server) exportSegment(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	name := r.PathValue("name")
	ids := make([]int64, 0, exportChunk)
	var bw *bufio.Writer
	var line []byte
	for after := int64(0); ; {
		var err error
		ids, err = s.memberChunk(name, after, ids[:0])
		if bw == nil { // nothing sent yet: a plain error page
			if errors.Is(err, segment.ErrNotFound) {
				return errPage(http.StatusNotFound, "error.no_segment", name)
			}
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
			bw = bufio.NewWriterSize(w, 64<<10)
			bw.WriteString("customer_id\n")
		} else if err != nil {
			return fmt.Errorf("export segment %s after customer %d: %w", name, after, err)
		}
		for _, id := range ids {
			line = strconv.AppendInt(line[:0], id, 10)
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
		if len(ids) < exportChunk {
			return bw.Flush()
		}
		if err := r.Context().Err(); err != nil {
			return err
		}
		after = ids[len(ids)-1]
	}
}

// memberChunk appends to ids up to exportChunk customer ids of a segment's
// members above after, ascending (the table's ids ascend with its rows).
func (s *Server) memberChunk(name string, after int64, ids []int64) ([]int64, error) {
	var err error
	s.in.Read(func(*feature.Table) {
		bm, tbl, e := s.in.Segs.Members(name)
		if e != nil {
			err = e
			return
		}
		start, _ := slices.BinarySearch(tbl.IDs, after+1)
		it := bm.Iterator()
		it.AdvanceIfNeeded(uint32(start))
		for it.HasNext() && len(ids) < exportChunk {
			if row := int(it.Next()); row < len(tbl.IDs) {
				ids = append(ids, tbl.IDs[row])
			}
		}
	})
	return ids, err
}
