package rule

import (
	"errors"
	"strings"
	"testing"
)

// Mistakes with numbers are told in the rule's terms, at the place of the
// mistake: % names what it needs, and a number that does not fit is pointed
// at where it starts.
func TestNumberMistakesInUserTerms(t *testing.T) {
	for _, tc := range []struct {
		src          string
		want         string
		line, column int
	}{
		{"n1 % 2 == 0", "% (remainder) is only allowed between whole-number constants, like 10 % 3", 1, 4},
		{"n2 > 1 and 7 % n1 == 1", "% (remainder) is only allowed between whole-number constants", 1, 14},
		{"t1 > 1", "> cannot compare a text with a number", 1, 4},
		{"t1 + 1 == 2", "+ cannot combine a text and a number", 1, 4},
		{"n1 > 99999999999999999999", "number 99999999999999999999 is out of range: whole numbers go up to 9223372036854775807", 1, 6},
		{"n1 > 1 and\n  n2 < 1e999 or x", "number 1e999 is out of range", 2, 8},
		{"n1 == 9_223_372_036_854_775_808 and x", "number 9223372036854775808 is out of range", 1, 7},
		{"n1 > 0x1ffffffffffffffffff", "number 0x1ffffffffffffffffff is out of range", 1, 6},
		{"n1 > 5 and n2 > -99999999999999999999", "out of range", 1, 18},
	} {
		_, err := Compile(tc.src, testSchema())
		var re *Error
		if !errors.As(err, &re) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: got %v, want an invalid-rule error", tc.src, err)
			continue
		}
		if !strings.Contains(re.Message, tc.want) || strings.Contains(re.Message, "mismatched") ||
			strings.Contains(re.Message, "strconv") {
			t.Errorf("%q: message %q, want it to say %q", tc.src, re.Message, tc.want)
		}
		if re.Line != tc.line || re.Column != tc.column {
			t.Errorf("%q: at line %d, column %d, want line %d, column %d%s", tc.src, re.Line, re.Column, tc.line, tc.column, re.Snippet)
		}
	}
	// the way out the message offers works
	for _, src := range []string{"n1 > 99999999999999999999.0", "n1 > 1e20", "n1 == 10 % 3"} {
		if _, err := Compile(src, testSchema()); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}
