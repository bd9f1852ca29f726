package api

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// isJSONLines reports whether a Content-Type declares JSON Lines.
func isJSONLines(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return true
	}
	return false
}

// decodeRecords reads a JSON array of objects, or JSON Lines (one object per
// line) when lines is set or the body does not start with '['. It decodes
// record by record so that an error names the record (counted from 0) and
// the field, and stops after max records.
func decodeRecords[T any](body io.Reader, lines bool, max int) ([]T, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	first, err := firstByte(br)
	switch {
	case err == io.EOF:
		return nil, errorf(http.StatusBadRequest, "empty body; send a JSON array of records or JSON Lines")
	case err != nil:
		return nil, err
	case !lines && first != '[' && first != '{':
		return nil, errorf(http.StatusBadRequest, "body must be a JSON array of records or JSON Lines (one object per line)")
	}
	array := !lines && first == '['
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	if array {
		if _, err := dec.Token(); err != nil { // '['
			return nil, decodeError(-1, err)
		}
	}
	var recs []T
	for i := 0; dec.More(); i++ {
		if i == max {
			return nil, errorf(http.StatusRequestEntityTooLarge,
				"more than %d records in one request; send them in several requests", max)
		}
		recs = append(recs, *new(T))
		if err := dec.Decode(&recs[i]); err != nil {
			return nil, typeError[T](i, err)
		}
	}
	if array {
		if _, err := dec.Token(); err != nil { // ']'
			return nil, decodeError(len(recs), err)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		switch {
		case err != nil && !errors.As(err, new(*json.SyntaxError)):
			return nil, err
		case array:
			return nil, errorf(http.StatusBadRequest, "unexpected data after the array")
		}
		return nil, errorf(http.StatusBadRequest, "record %d: not a JSON object", len(recs))
	}
	return recs, nil
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// decodeError describes a syntax error or a truncated body at record i (-1:
// before the first). Errors of the body reader (too large) pass through.
func decodeError(i int, err error) error {
	at := "body"
	if i >= 0 {
		at = fmt.Sprintf("record %d", i)
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, "%s: invalid JSON at byte %d: %v", at, se.Offset, se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "%s: unexpected end of body (truncated JSON?)", at)
	}
	return err
}

// typeError describes why record i could not be decoded into a T, naming
// the field: "record 3: field quantity: expected number, got string".
func typeError[T any](i int, err error) error {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field == "":
		return errorf(http.StatusBadRequest, "record %d: expected object, got %s", i, te.Value)
	case errors.As(err, &te):
		return errorf(http.StatusBadRequest, "record %d: field %s: expected %s, got %s", i, te.Field, jsonType(te.Type), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "record %d: unknown field %s", i, strings.TrimPrefix(err.Error(), "json: unknown field "))
	case isTimeError(err):
		// time.Time decodes itself and its errors do not name the field;
		// the records have one time field each
		field := "time"
		if f := timeFields(reflect.TypeFor[T]()); len(f) == 1 {
			field = f[0]
		}
		return errorf(http.StatusBadRequest, "record %d: field %s: expected an RFC 3339 time such as \"2011-12-09T12:50:00Z\"", i, field)
	}
	return decodeError(i, err)
}

// timeFields lists the JSON names of the time.Time fields of a struct.
func timeFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if f.Type == reflect.TypeFor[time.Time]() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			names = append(names, cmp.Or(name, f.Name))
		}
	}
	return names
}

func isTimeError(err error) bool {
	var pe *time.ParseError
	return errors.As(err, &pe) || err != nil && strings.Contains(err.Error(), "Time.UnmarshalJSON")
}

func jsonType(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "non-negative integer"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return t.String()
}
