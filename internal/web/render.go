package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"github.com/sagitta-dev/sagitta/internal/measure"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// view is what every page template gets.
type view struct {
	cat      catalogues
	Lang     string
	TitleKey string
	Path     string
	Nav      []navItem
	Role     string
	KeyName  string
	CSRF     string
	CanEdit  bool // admin and operator
	CanCall  bool // may take calls and record results: admin, operator, agent
	CanRead  bool // may open the pages beyond the call workbench: every role but agent
	SeesPII  bool
	Charts   bool // the ECharts bundle is embedded
	Assets   *assets
	Status   int
	Flash    string
	Data     any
}

// T translates a message key into the page's language.
func (v *view) T(key string, args ...any) string { return v.cat.t(v.Lang, key, args...) }

// Current tells whether a navigation entry is the page shown.
func (v *view) Current(p string) bool {
	path, _, _ := strings.Cut(v.Path, "?")
	if p == "/" {
		return path == "/"
	}
	return path == p || strings.HasPrefix(path, p+"/")
}

// Labels are the translated names of the values the scripts show
// (lifecycle stages, classes), for app.js.
func (v *view) Labels() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"stage.prospect", "stage.new", "stage.active", "stage.won_back", "stage.silent", "stage.churned",
		"stage.high_churn_risk", "overview.customers", "overview.revenue", "form.required", "models.actual", "models.predicted",
		"models.observed", "models.x", "delivery.pending", "delivery.sent", "delivery.failed", "delivery.dropped",
		"contact.intent", "contact.not_interested", "contact.call_back", "calls.pending", "campaigns.uplift_axis",
		"models.recall", "models.precision", "models.coverage", "models.popularity"} {
		out[k] = v.T(k)
	}
	return out
}

// Other is the language the switch offers.
func (v *view) Other() string {
	if v.Lang == "zh" {
		return "en"
	}
	return "zh"
}

func (s *Server) view(r *http.Request, rq *request, titleKey string) *view {
	v := &view{cat: s.cat, Lang: rq.lang, TitleKey: titleKey, Path: r.URL.RequestURI(), Nav: nav,
		Charts: s.assets.has(ChartsFile), Assets: s.assets, Flash: s.cat.t(rq.lang, flashKey(r))}
	if v.Flash == "" || v.Flash == flashKey(r) {
		v.Flash = ""
	}
	if rq.sess != nil && rq.sess.role != store.RoleAdmin {
		v.Nav = make([]navItem, 0, len(nav))
		for _, n := range nav {
			if !n.AdminOnly {
				v.Nav = append(v.Nav, n)
			}
		}
	}
	if rq.sess != nil && !read.allows(rq.sess.role) { // an agent: the sections it may open
		v.Nav = nil
		for _, n := range nav {
			if n.Path == "/calls" {
				v.Nav = append(v.Nav, n)
			}
		}
	}
	if rq.sess != nil {
		v.Role, v.KeyName, v.CSRF = rq.sess.role, rq.sess.keyName, rq.sess.csrf
		v.CanEdit = operate.allows(rq.sess.role)
		v.CanCall = callWork.allows(rq.sess.role)
		v.CanRead = read.allows(rq.sess.role)
		v.SeesPII = seesPII(rq.sess.role)
	}
	return v
}

// flashKey is the message a redirect after a change asks to show (?done=KEY),
// limited to the catalogue's "done." keys.
func flashKey(r *http.Request) string {
	k := r.URL.Query().Get("done")
	if k == "" || strings.ContainsAny(k, " %") {
		return ""
	}
	return "done." + k
}

var funcs = template.FuncMap{
	"num":   formatInt,
	"money": func(f float64) string { return formatFloat(f, 2) },
	"float": formatFloat,
	"pct":   func(f float64) string { return formatFloat(100*f, 1) + "%" },
	"fl":    func(f measure.Float) float64 { return float64(f) }, // report figures (NaN when unknown)
	"pval": func(f measure.Float) string { // a p-value, "—" when unknown
		if math.IsNaN(float64(f)) {
			return "—"
		}
		return strconv.FormatFloat(float64(f), 'g', 3, 64)
	},
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02")
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"value": formatValue,
	// opt and optPct show a prediction that may be missing
	"opt": func(p *float64, prec int) string {
		if p == nil {
			return "—"
		}
		return formatFloat(*p, prec)
	},
	"optPct": func(p *float64) string {
		if p == nil {
			return "—"
		}
		return formatFloat(100**p, 1) + "%"
	},
	"add":       func(a, b int) int { return a + b },
	"hasPrefix": strings.HasPrefix,
	"has":       func(xs []string, x string) bool { return slices.Contains(xs, x) },
	"ruleArgs": func(v *view, rule, err string, p *ruleProblem) map[string]any {
		return map[string]any{"V": v, "Rule": rule, "Err": err, "Problem": p}
	},
	"field": fieldOf,
	// pair hands a partial the page's view V and a datum D
	"pair": func(v *view, d any) map[string]any { return map[string]any{"V": v, "D": d} },
	"json": func(v any) (template.JS, error) {
		b, err := json.Marshal(v)
		return template.JS(b), err
	},
}

// parseTemplates parses every page with the layout and the partials.
func parseTemplates(a *assets) (map[string]*template.Template, error) {
	base := template.New("").Funcs(funcs)
	base, err := base.ParseFS(embedded, "templates/*.partial.html")
	if err != nil {
		return nil, fmt.Errorf("cannot parse the layout: %w", err)
	}
	names, err := fs.Glob(embedded, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if strings.HasSuffix(page, ".partial") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(embedded, n); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %w", n, err)
		}
		pages[page] = t
	}
	return pages, nil
}

// render executes a page into a buffer, so that a template error becomes a
// clean 500, and sends it gzip-compressed when the browser takes it.
func (s *Server) render(w http.ResponseWriter, page string, code int, v *view) {
	t := s.pages[page]
	var buf bytes.Buffer
	if t == nil {
		http.Error(w, "no template "+page, http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("render console page", "page", page, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang)
	h.Add("Vary", "Accept-Encoding")
	if buf.Len() > 1024 && accepts(w) {
		h.Set("Content-Encoding", "gzip")
		w.WriteHeader(code)
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		zw.Write(buf.Bytes())
		zw.Close()
		return
	}
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// accepts is set per request by gzipMark; see wrap.
func accepts(w http.ResponseWriter) bool {
	if sw, ok := w.(*statusWriter); ok {
		return sw.gzip
	}
	return false
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || r.Header.Get(csrfHeader) != ""
}

// formatInt writes n with thousands separators.
func formatInt(n any) string {
	var v int64
	switch x := n.(type) {
	case int:
		v = int64(x)
	case int64:
		v = x
	case uint64:
		v = int64(x)
	case float64:
		v = int64(math.Round(x))
	default:
		return fmt.Sprint(n)
	}
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func formatFloat(f float64, prec int) string {
	if math.IsNaN(f) {
		return "—"
	}
	whole := math.Trunc(f)
	frac := strconv.FormatFloat(math.Abs(f-whole), 'f', prec, 64)
	if strings.HasPrefix(frac, "1") { // rounding carried
		whole += math.Copysign(1, f)
		frac = strconv.FormatFloat(0, 'f', prec, 64)
	}
	s := formatInt(int64(whole))
	if f < 0 && whole == 0 {
		s = "-0"
	}
	if prec > 0 {
		s += frac[1:]
	}
	return s
}

// formatValue shows a feature or rule value.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case float64:
		if math.IsNaN(x) {
			return "—"
		}
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return formatInt(int64(x))
		}
		// at most four decimals, trailing zeros dropped: 106.46, 0.4976
		t := strings.TrimRight(strconv.FormatFloat(x, 'f', 4, 64), "0")
		return strings.TrimSuffix(t, ".")
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return fmt.Sprint(v)
}

// fieldForm is a form a field partial reads.
type fieldForm interface {
	V(name string) string
	Err(name string) string
}

// formField is what the "field" partial draws: a label, an input or a
// text area with its browser checks, a hint and the server's error.
type formField struct {
	Name, Kind, Label, Hint, Value, Err string
	Required                            bool
	Pattern, Step, Min, Max             string
}

// fieldOf describes a field of f; opts are space-separated browser checks:
// required, pattern=RE, step=N, min=N, max=N. Its label is the message
// field.NAME, its hint hint.NAME when the catalogue has one.
func fieldOf(v *view, f fieldForm, name, kind, opts string) formField {
	ff := formField{Name: name, Kind: kind, Label: v.T("field." + name), Value: f.V(name), Err: f.Err(name)}
	if h := v.T("hint." + name); h != "hint."+name {
		ff.Hint = h
	}
	for _, o := range strings.Fields(opts) {
		k, val, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			ff.Required = true
		case "pattern":
			ff.Pattern = val
		case "step":
			ff.Step = val
		case "min":
			ff.Min = val
		case "max":
			ff.Max = val
		}
	}
	return ff
}
