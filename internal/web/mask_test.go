package web

import (
	"math"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct{ field, in, want string }{
		{"email", "ann.lee@example.com", "a•••@e•••.com"},
		{"email", "张三@例子.中国", "张•••@例•••.中国"},
		{"email", "no-at-sign", "n•••"},
		{"phone", "8613800138000", "•••••••••••00"},
		{"phone", "+49 160 575", "••••••75"},
		{"phone", "123", "•••"},
		{"name", "Ann Lee", "A•••"},
		{"last_name", "李", "李•••"},
		{"birth_date", "1982-08-04", "1982-••-••"},
		{"postcode", "75011", "7•••"},
		{"email", "", ""},
	}
	for _, tt := range tests {
		if got := mask(tt.field, tt.in); got != tt.want {
			t.Errorf("mask(%s, %q) = %q, want %q", tt.field, tt.in, got, tt.want)
		}
	}
	if got := maskFor("admin", "email", "a@b.c"); got != "a@b.c" {
		t.Errorf("admin sees %q", got)
	}
	if got := maskFor("operator", "city", "Lyon"); got != "Lyon" {
		t.Errorf("a city is not personal data: %q", got)
	}
}

func TestCutAt(t *testing.T) {
	tests := []struct {
		src               string
		line, col         int
		before, at, after string
	}{
		{"class_a and monetry > 5", 1, 13, "class_a and ", "m", "onetry > 5"},
		{"a and\n  b >", 2, 5, "a and\n  b ", ">", ""},
		{"a and", 1, 6, "a and", " ", ""},
		{"价值 and x", 1, 8, "价值 and ", "x", ""},
		{"abc", 0, 0, "abc", "", ""},
	}
	for _, tt := range tests {
		b, a, f := cutAt(tt.src, tt.line, tt.col)
		if b != tt.before || a != tt.at || f != tt.after {
			t.Errorf("cutAt(%q, %d, %d) = %q %q %q, want %q %q %q", tt.src, tt.line, tt.col, b, a, f, tt.before, tt.at, tt.after)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{formatInt(1234567), "1,234,567"},
		{formatInt(int64(-1234)), "-1,234"},
		{formatInt(0), "0"},
		{formatFloat(251767.104, 2), "251,767.10"},
		{formatFloat(-0.5, 2), "-0.50"},
		{formatFloat(9.999, 2), "10.00"},
		{formatFloat(math.NaN(), 2), "—"},
		{formatValue(106.46000000000001), "106.46"},
		{formatValue(0.4976479570070902), "0.4976"},
		{formatValue(3.0), "3"},
		{formatValue(nil), "—"},
		{formatValue("web"), "web"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: %q, want %q", i, tt.got, tt.want)
		}
	}
}

// FuzzCutAt: any rule and position (the engine's, or a forged one) cuts
// without a panic and loses nothing.
func FuzzCutAt(f *testing.F) {
	f.Add("class_a and monetry > 5", 1, 13)
	f.Add("a\nb\n", 3, 1)
	f.Add("价值", 1, 9)
	f.Fuzz(func(t *testing.T, src string, line, col int) {
		b, a, r := cutAt(src, line, col)
		if a != " " && b+a+r != src {
			t.Fatalf("cutAt(%q, %d, %d) = %q %q %q", src, line, col, b, a, r)
		}
	})
}
