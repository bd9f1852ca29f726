package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/sagitta-dev/sagitta/internal/admission"
	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/identity"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/rule"
	"github.com/sagitta-dev/sagitta/internal/segment"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/tag"
)

// httpError is an error with the status and message the caller should see.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// errorBody is the body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// status maps an error to the response status and message. It is the only
// place where domain errors meet HTTP.
func status(err error) (int, string) {
	var he *httpError
	var mbe *http.MaxBytesError
	if code, msg, ok := marketingStatus(err); ok {
		return code, msg
	}
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, profile.ErrBadRef), errors.Is(err, identity.ErrInvalidEmail),
		errors.Is(err, identity.ErrInvalidPhone):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, tag.ErrNotFound), errors.Is(err, segment.ErrNotFound), errors.Is(err, admission.ErrNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, tag.ErrInUse), errors.Is(err, tag.ErrNoSchema), errors.Is(err, segment.ErrNoTable):
		return http.StatusConflict, err.Error()
	case isRuleError(err), errors.Is(err, segment.ErrInvalid), errors.Is(err, admission.ErrInvalid),
		errors.Is(err, feature.ErrSettings):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "request cancelled or timed out"
	}
	return http.StatusInternalServerError, "internal error; the server log has the details"
}

// isRuleError reports a mistake in a rule or a tag definition.
func isRuleError(err error) bool {
	var re *rule.Error
	var te *tag.Error
	var le *admission.LineError
	return errors.As(err, &re) || errors.As(err, &te) || errors.As(err, &le) ||
		errors.Is(err, rule.ErrInvalid) || errors.Is(err, rule.ErrDivisionByZero)
}

// writeError answers with err. Server errors are logged; client errors are
// not, as their messages may echo an e-mail or phone from the request.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, pattern string, err error) {
	code, msg := status(err)
	if code >= 500 {
		s.logError(r, pattern, "request failed", err)
	}
	writeJSON(w, code, errorBody{msg})
}

func (s *server) logError(r *http.Request, pattern, msg string, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, msg, slog.String("method", r.Method),
		slog.String("route", pattern), slog.String("error", redact(err.Error())))
}

var (
	quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	email  = regexp.MustCompile(`[^\s"'<>(),;:@]+@[^\s"'<>(),;:@]+`)
)

// redact removes what may be an e-mail address or a phone number from an
// error message before it is logged: bare addresses, and quoted values that
// hold an @ or seven digits or more. Lower layers quote the values they name.
func redact(msg string) string {
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		digits := 0
		for _, c := range q {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits >= 7 || strings.Contains(q, "@") {
			return `"[redacted]"`
		}
		return q
	})
	return email.ReplaceAllString(msg, "[redacted]")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only for values that cannot be encoded: a bug
		code, body = http.StatusInternalServerError, []byte(`{"error":"cannot encode the response"}`)
	}
	writeBody(w, code, append(body, '\n'))
}

func writeBody(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
