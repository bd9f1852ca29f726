package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/ingest"
)

// maxUpload bounds a file sent to the import page; bigger files go through
// `sagitta import`.
const maxUpload = 256 << 20

// sourceRE is the form of a source name.
var sourceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// importView is the import page: the form and what the last import did.
type importView struct {
	*form
	Kinds     []ingest.Kind
	Summary   *ingest.Summary
	Rejects   []string // the first rejected rows, with line and reason
	Computing bool     // the features are being recomputed
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	f.Values["kind"] = string(ingest.KindCustomers)
	return s.showImport(w, r, rq, &importView{form: f}, http.StatusOK)
}

func (s *Server) showImport(w http.ResponseWriter, r *http.Request, rq *request, iv *importView, code int) error {
	iv.Kinds = ingest.Kinds
	v := s.view(r, rq, "import.title")
	v.Data = iv
	s.render(w, "import", code, v)
	return nil
}

// importFile imports an uploaded CSV file of one kind, as `sagitta import`
// does, then recomputes the features in the background as of the current
// features' date, so that tags, segments and the overview include it.
func (s *Server) importFile(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.res == nil {
		return errPage(http.StatusServiceUnavailable, "error.no_import")
	}
	t := func(key string, args ...any) string { return s.cat.t(rq.lang, key, args...) }
	f := newForm()
	f.read(r, "kind", "source")
	iv := &importView{form: f}
	kind, err := ingest.ParseKind(f.V("kind"))
	if err != nil {
		f.Errors["kind"] = t("form.kind_invalid")
	}
	if src := f.V("source"); src != "" && !sourceRE.MatchString(src) {
		f.Errors["source"] = t("form.mk_name_invalid")
	}
	file, hdr, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile):
		f.Errors["file"] = t("import.file_missing")
	case err != nil:
		f.Errors["file"] = t("import.file_unreadable", err.Error())
	}
	if len(f.Errors) > 0 {
		if file != nil {
			file.Close()
		}
		return s.showImport(w, r, rq, iv, http.StatusUnprocessableEntity)
	}
	defer file.Close()
	dir, err := os.MkdirTemp("", "sagitta-console-import")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// keep the extension, which tells the delimiter; never the user's path
	name := "upload" + strings.ToLower(filepath.Ext(filepath.Base(hdr.Filename)))
	path := filepath.Join(dir, name)
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, io.LimitReader(file, maxUpload+1)); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > maxUpload {
		f.Errors["file"] = t("import.file_too_big", maxUpload>>20)
		return s.showImport(w, r, rq, iv, http.StatusUnprocessableEntity)
	}
	rejects := filepath.Join(dir, "rejects.csv")
	sum, err := ingest.Import(r.Context(), s.st, s.res, []string{path}, ingest.Options{Kind: kind, Source: f.V("source"), Rejects: rejects, Logger: s.log})
	if err != nil {
		f.Errors["file"] = t("import.failed", strings.ReplaceAll(err.Error(), path, hdr.Filename))
		return s.showImport(w, r, rq, iv, http.StatusUnprocessableEntity)
	}
	sum.Files, sum.RejectsFile = []string{hdr.Filename}, ""
	iv.Summary = &sum
	if b, err := os.ReadFile(rejects); err == nil {
		lines := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(b), path, hdr.Filename)), "\n")
		iv.Rejects = lines[:min(len(lines), 21)]
	}
	if s.in != nil && sum.Imported+sum.Updated > 0 {
		iv.Computing = true
		s.recomputeAfterImport()
	}
	s.log.Info("console import", "kind", string(kind), "imported", sum.Imported, "rejected", sum.Rejected, "key_id", rq.sess.keyID)
	return s.showImport(w, r, rq, iv, http.StatusOK)
}

// recomputeAfterImport recomputes the features in the background as of the
// date of the current ones (now when there are none), then the overview.
func (s *Server) recomputeAfterImport() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		asOf := s.in.Table().AsOf
		if asOf.IsZero() {
			asOf = s.now()
		}
		if _, err := s.in.Recompute(ctx, asOf, true); err != nil {
			s.log.Warn("console: cannot recompute the features after an import", "error", err)
			return
		}
		s.overview.refreshNow(ctx)
	}()
}
