package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is the layout of a data file.
type Format int

const (
	FormatCSV        Format = iota // delimiter-separated with RFC 4180 quoting
	FormatTSV                      // tab-separated, no quoting
	FormatWhitespace               // fields separated by runs of blanks, no quoting
	FormatJSONL                    // one JSON object per line
)

func (f Format) String() string {
	return [...]string{"csv", "tsv", "whitespace", "jsonl"}[f]
}

// Limits of the readers.
const (
	maxLineBytes   = 1 << 20 // one physical line
	maxRecordLines = 64      // physical lines one quoted CSV record may span
)

// row is one record of a file: its fields (tabular formats) or its object
// (JSON Lines), and the physical line it starts on.
type row struct {
	line   int64
	fields []string
	object map[string]json.RawMessage
	raw    string
}

// rowError is a record that could not be read; reading goes on after it.
type rowError struct {
	line   int64
	reason string
	raw    string
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// rowReader reads records one by one. next returns a *rowError for a record
// that cannot be read and io.EOF at the end.
type rowReader struct {
	br        *bufio.Reader
	format    Format
	delim     byte
	line      int64
	pushback  [][]byte // physical lines read ahead by an unclosed quote, to read again
	fieldsBuf []string
}

// openRows wraps r, decompressing gzip transparently (by its magic bytes).
func openRows(r io.Reader, format Format, delim byte) (*rowReader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read gzip header: %w", err)
		}
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	if delim == 0 {
		delim = ','
	}
	return &rowReader{br: br, format: format, delim: delim}, nil
}

var errLineTooLong = errors.New("line longer than 1 MiB")

// physical returns the next physical line without its line ending.
func (rr *rowReader) physical() ([]byte, error) {
	if n := len(rr.pushback); n > 0 {
		l := rr.pushback[0]
		rr.pushback = rr.pushback[1:]
		rr.line++
		return l, nil
	}
	var long []byte
	for {
		b, err := rr.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(b) > maxLineBytes {
				// skip the rest of this line
				for err == bufio.ErrBufferFull {
					_, err = rr.br.ReadSlice('\n')
				}
				rr.line++
				return nil, errLineTooLong
			}
			long = append(long, b...)
			continue
		}
		if long != nil {
			b = append(long, b...)
			if len(b) > maxLineBytes+2 {
				rr.line++
				return nil, errLineTooLong
			}
		}
		if err == io.EOF && len(b) == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		rr.line++
		b = bytes.TrimSuffix(b, []byte{'\n'})
		b = bytes.TrimSuffix(b, []byte{'\r'})
		return b, nil
	}
}

// next returns the next record, skipping blank lines.
func (rr *rowReader) next() (row, error) {
	for {
		b, err := rr.physical()
		if err == errLineTooLong {
			return row{}, &rowError{line: rr.line, reason: err.Error()}
		}
		if err != nil {
			return row{}, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		start := rr.line
		if !utf8.Valid(b) {
			return row{}, &rowError{line: start, reason: "invalid UTF-8", raw: strings.ToValidUTF8(string(b), "\uFFFD")}
		}
		switch rr.format {
		case FormatJSONL:
			var obj map[string]json.RawMessage
			if t := bytes.TrimSpace(b); t[0] != '{' {
				return row{}, &rowError{line: start, reason: "not a JSON object", raw: string(b)}
			}
			if err := json.Unmarshal(b, &obj); err != nil || obj == nil {
				reason := "not a JSON object"
				if err != nil {
					reason = "invalid JSON: " + err.Error()
				}
				return row{}, &rowError{line: start, reason: reason, raw: string(b)}
			}
			return row{line: start, object: obj, raw: string(b)}, nil
		case FormatTSV:
			s := string(b)
			return row{line: start, fields: strings.Split(s, "\t"), raw: s}, nil
		case FormatWhitespace:
			s := string(b)
			return row{line: start, fields: strings.Fields(s), raw: s}, nil
		}
		return rr.csvRecord(b, start)
	}
}

// csvRecord parses an RFC 4180 record starting with physical line b; a quoted
// field may continue on following lines. A broken record is reported and the
// lines after its first are read again, so one stray quote costs one row.
func (rr *rowReader) csvRecord(b []byte, start int64) (row, error) {
	if bytes.IndexByte(b, '"') < 0 {
		s := string(b)
		rr.fieldsBuf = splitPlain(s, rr.delim, rr.fieldsBuf[:0]) // valid until the next call
		return row{line: start, fields: rr.fieldsBuf, raw: s}, nil
	}
	rec := append([]byte(nil), b...)
	var extra [][]byte
	for {
		fields, complete, err := parseQuoted(rec, rr.delim)
		if err != nil {
			rr.pushback = append(extra, rr.pushback...)
			rr.line -= int64(len(extra))
			return row{}, &rowError{line: start, reason: err.Error(), raw: string(b)}
		}
		if complete {
			return row{line: start, fields: fields, raw: string(rec)}, nil
		}
		next, err := rr.physical()
		if err != nil || len(extra) >= maxRecordLines || len(rec) > maxLineBytes || !utf8.Valid(next) {
			if err == nil {
				extra = append(extra, next)
			}
			rr.pushback = append(extra, rr.pushback...)
			rr.line -= int64(len(extra))
			return row{}, &rowError{line: start, reason: "quoted field not closed (missing \")", raw: string(b)}
		}
		extra = append(extra, next)
		rec = append(append(rec, '\n'), next...)
	}
}

func splitPlain(s string, delim byte, buf []string) []string {
	out := buf
	for {
		i := strings.IndexByte(s, delim)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

// parseQuoted splits a record with quotes. complete is false when a quoted
// field is still open at the end of b.
func parseQuoted(b []byte, delim byte) (fields []string, complete bool, err error) {
	var f []byte
	col := 1
	i := 0
	for {
		if i < len(b) && b[i] == '"' {
			i++
			f = f[:0]
			for {
				j := bytes.IndexByte(b[i:], '"')
				if j < 0 {
					return nil, false, nil
				}
				f = append(f, b[i:i+j]...)
				i += j + 1
				if i < len(b) && b[i] == '"' {
					f = append(f, '"')
					i++
					continue
				}
				break
			}
			fields = append(fields, string(f))
			if i == len(b) {
				return fields, true, nil
			}
			if b[i] != delim {
				return nil, false, fmt.Errorf("field %d: unexpected %q after closing quote", col, b[i])
			}
			i++
		} else {
			j := bytes.IndexByte(b[i:], delim)
			end := len(b)
			if j >= 0 {
				end = i + j
			}
			if q := bytes.IndexByte(b[i:end], '"'); q >= 0 {
				return nil, false, fmt.Errorf("field %d: bare \" in an unquoted field", col)
			}
			fields = append(fields, string(b[i:end]))
			if j < 0 {
				return fields, true, nil
			}
			i = end + 1
		}
		col++
		if i == len(b) {
			return append(fields, ""), true, nil
		}
	}
}

// ParseDelimiter reads the --delimiter flag.
func ParseDelimiter(s string) (Format, byte, error) {
	switch strings.ToLower(s) {
	case "", ",", "comma", "csv":
		return FormatCSV, ',', nil
	case ";", "semicolon":
		return FormatCSV, ';', nil
	case "|", "pipe":
		return FormatCSV, '|', nil
	case "tab", "\\t", "\t", "tsv":
		return FormatTSV, '\t', nil
	case "whitespace", "space", "ws":
		return FormatWhitespace, ' ', nil
	}
	return 0, 0, fmt.Errorf("unknown delimiter %q: use , ; | tab or whitespace", s)
}

// FormatFromName guesses a file's format from its name, ignoring .gz.
func FormatFromName(name string) (Format, bool) {
	n := strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))
	switch {
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".ndjson"), strings.HasSuffix(n, ".json"):
		return FormatJSONL, true
	case strings.HasSuffix(n, ".tsv"), strings.HasSuffix(n, ".tab"):
		return FormatTSV, true
	case strings.HasSuffix(n, ".csv"):
		return FormatCSV, true
	}
	return FormatCSV, false
}

// jsonString reads a JSON scalar as text: strings as they are, numbers as
// written, booleans as true/false, null as "".
func jsonString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case '{', '[':
		return string(raw), nil // props and the like keep their JSON
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil || string(raw) == "true" || string(raw) == "false" {
		return string(raw), nil
	}
	return "", fmt.Errorf("not a JSON scalar")
}
