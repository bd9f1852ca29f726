package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/rule"
)

var timeZero time.Time

// nameRE is the form of tag, segment and rule-list names (as in their engines).
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ruleProblem is a rule error for a form and for the live count: the
// message, its position and the rule cut around it for highlighting.
type ruleProblem struct {
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`   // 1-based
	Column  int    `json:"column,omitempty"` // 1-based, in characters
	Before  string `json:"-"`
	At      string `json:"-"`
	After   string `json:"-"`
}

// problemOf turns an error into a rule problem; ok is false when err is not
// about the rule.
func problemOf(src string, err error) (ruleProblem, bool) {
	var re *rule.Error
	if !errors.As(err, &re) {
		return ruleProblem{}, false
	}
	p := ruleProblem{Message: re.Message, Line: re.Line, Column: re.Column}
	if p.Message == "" {
		p.Message = re.Error()
	}
	p.Before, p.At, p.After = cutAt(src, re.Line, re.Column)
	return p, true
}

// cutAt splits src at the character of a 1-based line and column; a
// position past the end marks a space after the text.
func cutAt(src string, line, col int) (before, at, after string) {
	if line <= 0 || col <= 0 {
		return src, "", ""
	}
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(src[off:], '\n')
		if i < 0 {
			return src, " ", ""
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(src); c++ {
		_, size := utf8.DecodeRuneInString(src[off:])
		off += size
	}
	if off >= len(src) {
		return src, " ", ""
	}
	_, size := utf8.DecodeRuneInString(src[off:])
	return src[:off], src[off : off+size], src[off+size:]
}

// sampleRow is one customer of a live sample.
type sampleRow struct {
	ID        int64   `json:"id"`
	Class     string  `json:"class"`
	Stage     string  `json:"stage"`
	Monetary  float64 `json:"monetary"`
	Frequency float64 `json:"frequency"`
}

// countRule answers the live count and sample of the rule builder:
// {"rule": "..."} -> {"count", "total", "sample"}, or 422 with the rule's
// error and its position.
func (s *Server) countRule(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.in == nil {
		return errNoInsight
	}
	var body struct {
		Rule string `json:"rule"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": ruleProblem{Message: s.cat.t(rq.lang, "rule.bad_request")}})
		return nil
	}
	if strings.TrimSpace(body.Rule) == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": ruleProblem{Message: s.cat.t(rq.lang, "rule.empty")}})
		return nil
	}
	var sample []sampleRow
	var total int
	n, err := s.in.Sample(r.Context(), body.Rule, 10, func(t *feature.Table, rows []uint32) {
		total = t.Len()
		for _, row := range rows {
			c := rowOf(t, int(row))
			sample = append(sample, sampleRow{ID: c.ID, Class: c.Class, Stage: c.Stage, Monetary: nanZero(c.Monetary), Frequency: nanZero(c.Frequency)})
		}
	})
	if err != nil {
		if p, ok := problemOf(body.Rule, err); ok {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": p})
			return nil
		}
		return err
	}
	if sample == nil {
		sample = []sampleRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": n, "total": total, "sample": sample})
	return nil
}

func nanZero(f float64) float64 {
	if f != f {
		return 0
	}
	return f
}

// ruleForm is the tag and segment builder's form.
type ruleForm struct {
	Kind        string // "tag" or "segment"
	New         bool
	Name        string
	Description string
	TagKind     string
	Rule        string
	Errors      map[string]string // field -> message
	RuleProblem *ruleProblem
	Version     int
	Author      string
	Count       int64
	Problem     string
	History     any
	Columns     []feature.Column
	Tags        []string
	TagKinds    []string
}
