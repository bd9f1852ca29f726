package main_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// Importing a catalogue again stores nothing and says so; a changed row is
// an update, not an import, and neither grows the store.
func TestReimportCountsUnchangedAndUpdated(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	items := "item,title,category,price\ni1,Mug,home/kitchen,4.5\ni2,Plate,home/kitchen,6\ni3,Cup,home/kitchen,3\n"
	f := writeFile(t, dir, "items.csv", items)
	if s := importJSON(t, "items", "--source", "shop", "--data-dir", data, f); s.Imported != 3 || s.Updated != 0 || s.Duplicates != 0 {
		t.Fatalf("first import %+v, want 3 imported", s)
	}
	if s := importJSON(t, "items", "--source", "shop", "--data-dir", data, f); s.Imported != 0 || s.Updated != 0 || s.Duplicates != 3 {
		t.Errorf("same file again %+v, want 3 duplicates and nothing imported", s)
	}
	f = writeFile(t, dir, "items2.csv", strings.Replace(items, "Plate,home/kitchen,6", "Plate,home/kitchen,6.5", 1)+"i4,Bowl,home/kitchen,5\n")
	s := importJSON(t, "items", "--source", "shop", "--data-dir", data, f)
	if s.Read != 4 || s.Imported != 1 || s.Updated != 1 || s.Duplicates != 2 {
		t.Errorf("changed price and a new row %+v, want 1 imported, 1 updated, 2 duplicates", s)
	}
	if st := readStats(t, data); st.Items != 4 {
		t.Errorf("store holds %d items, want 4", st.Items)
	}
	if out := mustRun(t, "import", "items", "--source", "shop", "--data-dir", data, f); !strings.Contains(out, "duplicates") ||
		strings.Contains(out, "updated") {
		t.Errorf("text summary of an unchanged re-import:\n%s", out)
	}

	// Customers: a known customer with a new value is updated, not imported.
	c := writeFile(t, dir, "customers.csv", "customer,email,country\nc1,a@example.com,UK\nc2,b@example.com,FR\n")
	if s := importJSON(t, "customers", "--source", "crm", "--data-dir", data, c); s.Imported != 2 {
		t.Fatalf("customers %+v", s)
	}
	c = writeFile(t, dir, "customers2.csv", "customer,email,country\nc1,a@example.com,DE\nc2,b@example.com,FR\n")
	if s := importJSON(t, "customers", "--source", "crm", "--data-dir", data, c); s.Imported != 0 || s.Updated != 1 || s.Duplicates != 1 {
		t.Errorf("customers again, one changed %+v, want 1 updated and 1 duplicate", s)
	}
}
