package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/feature"
	"github.com/sagitta-dev/sagitta/internal/store"
	"github.com/sagitta-dev/sagitta/internal/web"
)

// A segment export written in chunks of 7 ids (one read lock each) has
// every member once, ascending, whatever the chunk boundaries.
func TestExportInChunks(t *testing.T) {
	s, srv := server(t)
	c := loggedIn(t, srv, s, store.RoleAnalyst)
	big := 0 // segments of more than two chunks
	for _, chunk := range []int{7, 1 << 16} {
		restore := web.SetExportChunk(chunk)
		for _, sg := range s.in.Segs.List() {
			var want []int64
			s.in.Read(func(*feature.Table) {
				bm, tbl, err := s.in.Segs.Members(sg.Name)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range bm.ToArray() {
					want = append(want, tbl.IDs[row])
				}
			})
			code, csv := c.get("/segments/" + sg.Name + "/export.csv")
			lines := strings.Split(strings.TrimSuffix(csv, "\n"), "\n")
			if code != http.StatusOK || lines[0] != "customer_id" {
				t.Fatalf("export %s: %d %q", sg.Name, code, lines[0])
			}
			var got []int64
			for _, l := range lines[1:] {
				id, err := strconv.ParseInt(l, 10, 64)
				if err != nil {
					t.Fatalf("export %s: line %q", sg.Name, l)
				}
				got = append(got, id)
			}
			if !slices.Equal(got, want) {
				t.Errorf("export %s in chunks of %d: %d ids, want %d", sg.Name, chunk, len(got), len(want))
			}
			if chunk == 7 && len(want) > 14 {
				big++
			}
		}
		restore()
	}
	if big == 0 {
		t.Error("no segment of more than two chunks")
	}
	if code, _ := c.get("/segments/no_such/export.csv"); code != http.StatusNotFound {
		t.Errorf("export of a missing segment: %d", code)
	}
}
