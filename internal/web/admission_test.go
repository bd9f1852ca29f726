package web_test

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// The admission page pages a list by customer id from the engine: the next
// links walk every live entry once, in order, 50 a page, the prev links walk
// back through the same pages, and the reasons are escaped.
func TestAdmissionPages(t *testing.T) {
	s, srv := server(t)
	ctx := context.Background()
	var es []store.AdmissionEntry
	for id := int64(5_000_001); id <= 5_000_120; id++ {
		es = append(es, store.AdmissionEntry{List: store.ListGrey, CustomerID: id, Reason: "<i>r" + strconv.FormatInt(id, 10) + "</i>", Source: "test"})
	}
	if err := s.in.Lists.Add(ctx, es); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, en := range es {
			s.in.Lists.Remove(ctx, en.List, en.CustomerID)
		}
	})
	var want []int64 // every live grey entry, by id
	for _, en := range s.in.Lists.Entries(store.ListGrey) {
		want = append(want, en.CustomerID)
	}
	c := loggedIn(t, srv, s, store.RoleAnalyst)
	rowRE := regexp.MustCompile(`<tr><td><a href="/customers/(\d+)">`)
	linkRE := func(rel string) *regexp.Regexp { return regexp.MustCompile(`<a href="([^"]+)" rel="` + rel + `">`) }
	read := func(path string) (ids []int64, prev, next string, body string) {
		t.Helper()
		code, body := c.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			ids = append(ids, id)
		}
		if m := linkRE("prev").FindStringSubmatch(body); m != nil {
			prev = html.UnescapeString(m[1])
		}
		if m := linkRE("next").FindStringSubmatch(body); m != nil {
			next = html.UnescapeString(m[1])
		}
		return ids, prev, next, body
	}
	var pages [][]int64
	var got []int64
	path := "/admission?list=grey"
	for {
		ids, prev, next, body := read(path)
		if len(ids) == 0 || len(ids) > 50 {
			t.Fatalf("%s: %d entries", path, len(ids))
		}
		if (prev == "") != (len(pages) == 0) {
			t.Errorf("%s: prev link %q on page %d", path, prev, len(pages)+1)
		}
		if slices.Contains(ids, 5_000_001) && (!strings.Contains(body, "&lt;i&gt;r5000001&lt;/i&gt;") || strings.Contains(body, "<i>r5000001")) {
			t.Errorf("%s: the reason is not escaped", path)
		}
		pages, got = append(pages, ids), append(got, ids...)
		if next == "" {
			break
		}
		path = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the pages gave %d entries %v..., want %d %v...", len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
	}
	if len(pages) < 3 {
		t.Fatalf("%d pages, want at least 3", len(pages))
	}
	for i := len(pages) - 1; i > 0; i-- {
		_, prev, _, _ := read(path)
		ids, _, next, _ := read(prev)
		if !slices.Equal(ids, pages[i-1]) {
			t.Errorf("back to page %d: %v, want %v", i, ids, pages[i-1])
		}
		if next == "" {
			t.Errorf("page %d has no next link", i)
		}
		path = prev
	}
	if _, body := c.get("/admission?list=grey&after=99999999999"); !strings.Contains(body, `rel="prev"`) {
		t.Error("a page past the end has no way back")
	}
}
