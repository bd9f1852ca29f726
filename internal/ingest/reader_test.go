package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

type readResult struct {
	line   int64
	fields []string
	reject string
}

func readAll(t *testing.T, in []byte, format Format, delim byte) []readResult {
	t.Helper()
	rr, err := openRows(bytes.NewReader(in), format, delim)
	if err != nil {
		t.Fatal(err)
	}
	var out []readResult
	for {
		r, err := rr.next()
		if err == io.EOF {
			return out
		}
		var re *rowError
		if errors.As(err, &re) {
			out = append(out, readResult{line: re.line, reject: re.reason})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, readResult{line: r.line, fields: append([]string(nil), r.fields...)})
	}
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []readResult
	}{
		{"plain", "a,b,c\n1,2,3\n", []readResult{{1, []string{"a", "b", "c"}, ""}, {2, []string{"1", "2", "3"}, ""}}},
		{"crlf and no final newline", "a,b\r\n1,2", []readResult{{1, []string{"a", "b"}, ""}, {2, []string{"1", "2"}, ""}}},
		{"quoted comma and escaped quote", "x,\"a, \"\"b\"\"\",y\n", []readResult{{1, []string{"x", `a, "b"`, "y"}, ""}}},
		{"empty fields", ",,\n", []readResult{{1, []string{"", "", ""}, ""}}},
		{"trailing quoted empty", "a,\"\"\n", []readResult{{1, []string{"a", ""}, ""}}},
		{"quoted then empty last", "\"a\",\n", []readResult{{1, []string{"a", ""}, ""}}},
		{"embedded newline", "a,\"l1\nl2\",c\nd,e,f\n", []readResult{{1, []string{"a", "l1\nl2", "c"}, ""}, {3, []string{"d", "e", "f"}, ""}}},
		{"blank lines skipped", "a\n\n\nb\n", []readResult{{1, []string{"a"}, ""}, {4, []string{"b"}, ""}}},
		{"bare quote rejected, rest read", "a,b\"c,d\ne,f\n", []readResult{{1, nil, "field 2: bare \" in an unquoted field"}, {2, []string{"e", "f"}, ""}}},
		{"junk after closing quote", "\"a\"x,b\nc,d\n", []readResult{{1, nil, "field 1: unexpected 'x' after closing quote"}, {2, []string{"c", "d"}, ""}}},
		{"unclosed quote costs one row", "1,\"open\n2,ok\n3,ok\n", []readResult{{1, nil, "quoted field not closed (missing \")"}, {2, []string{"2", "ok"}, ""}, {3, []string{"3", "ok"}, ""}}},
		{"invalid utf-8", "ok,1\nbad\xff,2\nok,3\n", []readResult{{1, []string{"ok", "1"}, ""}, {2, nil, "invalid UTF-8"}, {3, []string{"ok", "3"}, ""}}},
		{"bom", "\xEF\xBB\xBFa,b\n", []readResult{{1, []string{"a", "b"}, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, []byte(tt.in), FormatCSV, ',')
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadOtherFormats(t *testing.T) {
	got := readAll(t, []byte("1\t2\t\"3\"\n"), FormatTSV, '\t')
	if want := []string{"1", "2", `"3"`}; !reflect.DeepEqual(got[0].fields, want) {
		t.Errorf("tsv: got %q want %q", got[0].fields, want)
	}
	got = readAll(t, []byte("196\t242  3\t881250949\n"), FormatWhitespace, ' ')
	if want := []string{"196", "242", "3", "881250949"}; !reflect.DeepEqual(got[0].fields, want) {
		t.Errorf("whitespace: got %q want %q", got[0].fields, want)
	}
	got = readAll(t, []byte("{\"a\":1}\n[1]\n{bad\n"), FormatJSONL, 0)
	if len(got) != 3 || got[0].reject != "" || got[1].reject != "not a JSON object" || !strings.HasPrefix(got[2].reject, "invalid JSON") {
		t.Errorf("jsonl: got %+v", got)
	}
}

func TestReadGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("a,b\n1,2\n"))
	zw.Close()
	got := readAll(t, buf.Bytes(), FormatCSV, ',')
	if len(got) != 2 || got[1].fields[1] != "2" {
		t.Errorf("gzip: got %+v", got)
	}
}

func TestLongLineRejected(t *testing.T) {
	in := "a\n" + strings.Repeat("x", maxLineBytes+10) + "\nb\n"
	got := readAll(t, []byte(in), FormatCSV, ',')
	if len(got) != 3 || got[1].reject != errLineTooLong.Error() || got[1].line != 2 || got[2].fields[0] != "b" || got[2].line != 3 {
		t.Errorf("got %d rows; second: line %d reject %q", len(got), got[1].line, got[1].reject)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"a\nb\",c\n", "x\"y\n", "\"\"\"\n", "a,\"b\"\"c\",d\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rr, err := openRows(bytes.NewReader(in), FormatCSV, ',')
		if err != nil {
			return
		}
		lines := int64(bytes.Count(in, []byte("\n")) + 1)
		for n := 0; n < 1_000_000; n++ {
			r, err := rr.next()
			if err == io.EOF {
				return
			}
			var re *rowError
			if errors.As(err, &re) {
				if re.line < 1 || re.line > lines {
					t.Fatalf("reject line %d outside 1..%d", re.line, lines)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.line < 1 || r.line > lines {
				t.Fatalf("row line %d outside 1..%d", r.line, lines)
			}
		}
		t.Fatal("reader did not terminate")
	})
}

func TestParseMap(t *testing.T) {
	m, err := ParseMap(KindOrders, []string{"time=Date:Jan 2, 2006 15:04,order=3", "quantity=Qty"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{{Field: "time", Column: ColumnRef{Name: "Date"}, Layout: "Jan 2, 2006 15:04"},
		{Field: "order", Column: ColumnRef{Index: 3}}, {Field: "quantity", Column: ColumnRef{Name: "Qty"}}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	for _, bad := range []struct{ spec, want string }{
		{"colour=x", `unknown field "colour" for orders; valid fields: order, line, customer`},
		{"quantity=Qty:2006", "a layout is only allowed on time fields"},
		{"order=0", "column index must be 1 or more"},
		{"order", "want FIELD=COLUMN"},
		{"order=a,order=b", `field "order" mapped twice`},
	} {
		_, err := ParseMap(KindOrders, []string{bad.spec})
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseMap(%q) = %v, want error containing %q", bad.spec, err, bad.want)
		}
	}
}
