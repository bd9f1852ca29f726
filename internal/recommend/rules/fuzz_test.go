package rules

import (
	"context"
	"strings"
	"testing"
)

// FuzzReadBaskets: any input either fails with a line-numbered error or
// gives baskets of distinct, sorted, known ids that mine without error.
func FuzzReadBaskets(f *testing.F) {
	f.Add("a,b,c\nb,c\n\nc,,a , a\n")
	f.Add("\"x,y\"\n")
	f.Add("\r\n,,,\n")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ReadBaskets(context.Background(), strings.NewReader(in), "f")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f:") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		for _, s := range b.Sets {
			for k, it := range s {
				if int(it) >= len(b.Items) || (k > 0 && s[k-1] >= it) {
					t.Fatalf("bad basket %v", s)
				}
			}
		}
		if _, err := Mine(context.Background(), b, Options{MinSupport: Rat{1, 2}, MinConfidence: Rat{1, 2}}); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"0.5", "1", "0", "1e-3", "1/3", "-1", "abc", "NaN", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseThreshold("x", s)
		if err != nil {
			return
		}
		if r.Num <= 0 || r.Den <= 0 || r.Num > r.Den {
			t.Fatalf("%q → %v outside (0, 1]", s, r)
		}
	})
}
