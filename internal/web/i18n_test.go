package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestCataloguesCoverTemplates checks that both languages have the same
// keys and that every key a template or handler names exists.
func TestCataloguesCoverTemplates(t *testing.T) {
	cat, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for k := range cat["en"] {
		if _, ok := cat["zh"][k]; !ok {
			t.Errorf("zh.json lacks %q", k)
		}
	}
	for k, v := range cat["zh"] {
		en, ok := cat["en"][k]
		if !ok {
			t.Errorf("zh.json has %q, en.json does not", k)
		}
		if strings.Count(en, "%") != strings.Count(v, "%") {
			t.Errorf("%q: en and zh take different arguments: %q / %q", k, en, v)
		}
	}
	used := map[string]string{}
	keyRE := regexp.MustCompile(`\.T "([a-z_]+\.[a-z_]+)"|errPage\([^,]+, "([a-z_]+\.[a-z_]+)"|t\("([a-z_]+\.[a-z_]+)"`)
	collect := func(name string, b []byte) {
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]+m[3]] = name
		}
	}
	fs.WalkDir(embedded, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(embedded, p)
			collect(p, b)
		}
		return nil
	})
	for _, g := range []string{"*.go"} {
		files, _ := fs.Glob(osDir{}, g)
		for _, f := range files {
			if b, err := readFile(f); err == nil {
				collect(f, b)
			}
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d message keys in use; the pattern is broken", len(used))
	}
	// keys built from data: every value they can take
	for _, k := range []string{"class.A", "class.B", "class.C", "stage.prospect", "stage.new", "stage.active", "stage.won_back",
		"stage.silent", "stage.churned", "list.black", "list.grey", "list.white", "level.high", "level.medium", "level.low",
		"role.admin", "role.analyst", "role.operator", "segment.new", "segment.title", "tag.new", "tag.title"} {
		used[k] = "data"
	}
	for k, where := range used {
		if _, ok := cat["en"][k]; !ok {
			t.Errorf("%s uses %q, which en.json lacks", where, k)
		}
	}
	for _, d := range []string{"segment_saved", "segment_deleted", "tag_saved", "tag_deleted", "admission_added", "admission_removed", "admission_rule_saved"} {
		if _, ok := cat["en"]["done."+d]; !ok {
			t.Errorf("no message done.%s", d)
		}
	}
}
