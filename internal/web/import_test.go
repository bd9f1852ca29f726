package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

// upload posts the import form with a file.
func (c *client) upload(kind, source, filename, content string) (int, string) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", c.csrf)
	mw.WriteField("kind", kind)
	mw.WriteField("source", source)
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write([]byte(content))
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, body, _ := c.do(req)
	return code, body
}

func TestImportPage(t *testing.T) {
	s, srv := server(t)
	op := loggedIn(t, srv, s, store.RoleOperator)
	if code, _ := op.get("/import"); code != http.StatusForbidden {
		t.Errorf("operator GET /import: %d, want 403 (importing is for admins, as in the API)", code)
	}
	c := loggedIn(t, srv, s, store.RoleAdmin)
	if code, body := c.get("/import"); code != 200 || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("GET /import: %d", code)
	}
	csv := "customer,email,name,city\n" +
		"imp-1,imp.one@example.com,Ivy One,Lyon\n" +
		"imp-2,not-an-email,<b>Ivo</b> Two,Lyon\n" +
		",,No Id,Lyon\n"
	tests := []struct {
		name, kind, source, file, content string
		field, want                       string
	}{
		{"no file", "customers", "console", "", "", "file", "Choose a file."},
		{"bad kind", "planets", "console", "c.csv", csv, "kind", "Choose one of the kinds."},
		{"bad source", "customers", "Con Sole", "c.csv", csv, "source", "1–64 of a-z"},
		{"orders without their columns", "orders", "console", "c.csv", csv, "file", "Not imported:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := c.upload(tt.kind, tt.source, tt.file, tt.content)
			if code != http.StatusUnprocessableEntity {
				t.Fatalf("POST /import: %d, want 422", code)
			}
			if !strings.Contains(body, `class="field-error" role="alert">`+tt.want) && !errAfter(body, tt.field, tt.want) {
				t.Errorf("no %q next to %s", tt.want, tt.field)
			}
		})
	}
	before := s.in.Table().Len()
	code, body := c.upload("customers", "console", "new-customers.csv", csv)
	if code != 200 {
		t.Fatalf("import: %d\n%s", code, body)
	}
	for id, want := range map[string]string{"im-read": "3", "im-imported": "2", "im-rejected": "1", "im-invalid": "1"} {
		if !strings.Contains(body, `id="`+id+`">`+want+"<") {
			t.Errorf("import summary %s: want %s", id, want)
		}
	}
	if !strings.Contains(body, `id="im-rejects"`) || !strings.Contains(body, "new-customers.csv") || strings.Contains(body, "sagitta-console-import") {
		t.Error("the rejects are not listed with the file's own name (or the server's temporary path shows)")
	}
	id, err := profile.Lookup(t.Context(), s.st, "console:imp-1")
	if err != nil {
		t.Fatalf("the imported customer: %v", err)
	}
	// the features are recomputed in the background with the new customers
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, ok := s.in.Table().Index(id); ok {
			break
		}
	}
	if _, ok := s.in.Table().Index(id); !ok || s.in.Table().Len() < before+2 {
		t.Errorf("the features do not hold the imported customers (%d rows, were %d)", s.in.Table().Len(), before)
	}
}

// errAfter tells whether the error want is shown after the field.
func errAfter(body, field, want string) bool {
	i := strings.Index(body, `id="`+field+`"`)
	return i >= 0 && strings.Contains(body[i:], `class="field-error" role="alert">`+want)
}
