package api

import "testing"

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		`find identity email "ann@example.com": database is locked`: `find identity email "[redacted]": database is locked`,
		`find identity phone "447700900123": busy`:                  `find identity phone "[redacted]": busy`,
		`item "85123A" at 3: locked`:                                `item "85123A" at 3: locked`,
		`load customer 1234567: not found`:                          `load customer 1234567: not found`,
		`bad value ann@example.com here`:                            `bad value [redacted] here`,
		`quoted "a \"b\" ann@x.io" end`:                             `quoted "[redacted]" end`,
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%s) = %s, want %s", in, got, want)
		}
	}
}
