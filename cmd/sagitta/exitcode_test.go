package main_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command follows one convention (README, "Exit codes"): help exits 0,
// a mistake in the command line 2, a failure while doing the work 1.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	list := mustRun(t, "help")
	names := regexp.MustCompile(`(?m)^  ([a-z]+) `).FindAllStringSubmatch(list, -1)
	if len(names) < 15 {
		t.Fatalf("help lists %d commands:\n%s", len(names), list)
	}
	var helps [][]string
	for _, m := range names {
		helps = append(helps, []string{m[1], "-h"}, []string{m[1], "--help"})
	}
	helps = append(helps, []string{"model", "clv", "-h"}, []string{"model", "churn", "-h"},
		[]string{"import", "-h"}, []string{"tag", "list", "-h"})
	for _, args := range helps {
		r := run(t, args...)
		if r.code != 0 || r.stdout+r.stderr == "" {
			t.Errorf("sagitta %s: exit %d, want 0 with the command's help\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
	}

	csv := writeFile(t, dir, "orders.csv", "order,customer,time,amount\no1,c1,2026-01-02,10\n")
	dd := "--data-dir=" + dir
	usage := [][]string{
		{"nosuchcommand"},
		{"import", "orders", "--preset", "nope", csv, dd},
		{"import", "orders", "--map", "nosuchfield=amount", csv, dd},
		{"import", "--preset", "online-retail", "--map", "customer=1", csv, dd},
		{"import", "orders", "--source", "a:b", csv, dd},
		{"import", "orders", "--bogus", csv, dd},
		{"tag", "bogus", dd},
		{"offer", dd},
		{"customer", "show", "1", "--as-of", "yesterday", dd},
	}
	for _, args := range usage {
		if r := run(t, args...); r.code != 2 {
			t.Errorf("sagitta %s: exit %d, want 2 (usage)\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	missing := filepath.Join(dir, "missing.yaml")
	failures := [][]string{
		{"import", "orders", filepath.Join(dir, "missing.csv"), dd},
		{"offer", "create", missing, dd},
		{"campaign", "create", missing, dd},
		{"policy", "apply", missing, dd},
		{"tag", "apply", missing, dd},
		{"customer", "show", "999", dd},
	}
	for _, args := range failures {
		if r := run(t, args...); r.code != 1 {
			t.Errorf("sagitta %s: exit %d, want 1 (failure)\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}
