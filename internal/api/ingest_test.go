package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/api"
	"github.com/sagitta-dev/sagitta/internal/store"
)

func TestIngest(t *testing.T) {
	e := newEnv(t, api.Options{})
	counts := func(received int, imported, duplicates, rejected int64) func(*testing.T, resp) {
		return func(t *testing.T, r resp) {
			t.Helper()
			var res ingestResult
			if err := unmarshal(r.body, &res); err != nil {
				t.Fatal(err)
			}
			if res.Received != received || res.Imported != imported || res.Duplicates != duplicates || res.Rejected != rejected {
				t.Errorf("received/imported/duplicates/rejected = %d/%d/%d/%d, want %d/%d/%d/%d; %s", res.Received,
					res.Imported, res.Duplicates, res.Rejected, received, imported, duplicates, rejected, r.body)
			}
		}
	}
	events := `[
		{"event":"e1","type":"view","time":"2011-01-01T10:00:00Z","customer":"c1","item":"85123A"},
		{"event":"e2","type":"cart_add","time":"2011-01-01T10:01:00Z","customer":"c1","item":"85123A","props":{"qty":2}},
		{"type":"search","time":"2011-01-01T10:02:00Z","email":"ann@example.com","props":{"q":"mug"}}
	]`
	jsonl := `{"type":"view","time":"2011-01-02T10:00:00Z","customer":"c2","item":"22423"}
{"type":"view","time":"2011-01-02T10:05:00Z","customer":"c2","item":"22423"}

{"type":"view","time":"2011-01-02T10:05:00Z","customer":"c2","item":"22423"}
`
	orders := `[
		{"order":"536365","time":"2010-12-01T08:26:00Z","customer":"17850","item":"85123A","item_title":"WHITE HANGING HEART T-LIGHT HOLDER","quantity":6,"unit_price":2.55,"customer_attributes":{"country":"United Kingdom"}},
		{"order":"536365","time":"2010-12-01T08:26:00Z","customer":"17850","item":"71053","quantity":6,"unit_price":3.39},
		{"order":"C536379","kind":"cancel","time":"2010-12-01T09:41:00Z","customer":"17850","item":"85123A","quantity":-1,"unit_price":2.55},
		{"order":"536366","time":"2010-12-01T08:28:00Z","item":"22633","quantity":6,"unit_price":1.85}
	]`
	run(t, e, []scenario{
		{name: "events array", req: req{method: "POST", path: "/v1/events", role: "admin", body: events}, status: 200,
			check: counts(3, 3, 0, 0)},
		{name: "same events again add nothing", req: req{method: "POST", path: "/v1/events", role: "admin", body: events}, status: 200,
			check: counts(3, 0, 3, 0)},
		{name: "events JSON Lines detected", req: req{method: "POST", path: "/v1/events", role: "admin", body: jsonl}, status: 200,
			check: counts(3, 3, 0, 0)}, // identical lines are distinct events (their occurrence counts)
		{name: "events JSON Lines declared, again", req: req{method: "POST", path: "/v1/events", role: "admin", body: jsonl,
			header: map[string]string{"Content-Type": "application/x-ndjson"}}, status: 200, check: counts(3, 0, 3, 0)},
		{name: "order lines", req: req{method: "POST", path: "/v1/orders?source=online-retail", role: "admin", body: orders}, status: 200,
			check: counts(4, 4, 0, 0)},
		{name: "order lines again", req: req{method: "POST", path: "/v1/orders?source=online-retail", role: "admin", body: orders}, status: 200,
			check: counts(4, 0, 4, 0)},
		{name: "items", req: req{method: "POST", path: "/v1/items", role: "admin",
			body: `[{"item":"85123A","title":"WHITE HANGING HEART T-LIGHT HOLDER","category":"home/lights","price":2.55},{"item":"x","price":-1}]`},
			// 85123A is known from the order lines: the catalogue row updates it
			status: 200, check: counts(2, 0, 0, 1), want: []string{`"updated":1`, `{"index":1,"error":"price: negative (-1)"}`}},
		{name: "customers with a refused value", req: req{method: "POST", path: "/v1/customers?source=crm", role: "admin",
			body: `[{"customer":"c9","email":"not-an-address","phone":"+44 7700 900999"},{"email":"  "},{"email":"bad"}]`},
			status: 200, check: counts(3, 1, 0, 2),
			want: []string{`"customers_created":1`, `{"index":0,"error":"email: not a valid e-mail address"}`,
				`{"index":1,"error":"customer: no identifier`, `{"index":2,"error":"record has no usable identifier`}},
		{name: "per-record errors keep their index", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[
			{"type":"view","time":"2011-02-01T10:00:00Z"},
			{"time":"2011-02-01T10:00:00Z"},
			{"type":"view"},
			{"type":"view","time":"2011-02-01T10:00:00Z","props":[1]},
			{"type":"view","time":"2011-02-01T10:00:00Z","source":"a:b"}]`}, status: 200, check: counts(5, 1, 0, 4),
			want: []string{`{"index":1,"error":"type: missing"}`, `{"index":2,"error":"time: missing"}`,
				`{"index":3,"error":"props: not a JSON object"}`, `{"index":4,"error":"source: must not contain ':' (it separates source and id in SOURCE:ID)"}`}},
		{name: "wrong type names record and field", req: req{method: "POST", path: "/v1/orders", role: "admin", body: `[
			{"order":"1","time":"2011-01-01T00:00:00Z","quantity":1},{"order":"1","time":"2011-01-01T00:00:00Z","quantity":1},
			{"order":"1","time":"2011-01-01T00:00:00Z","quantity":1},{"order":"1","time":"2011-01-01T00:00:00Z","quantity":"2"}]`},
			status: 400, want: []string{`{"error":"record 3: field quantity: expected number, got string"}`}},
		{name: "wrong type in a map", req: req{method: "POST", path: "/v1/customers", role: "admin",
			body: `[{"customer":"1","attributes":{"age":42}}]`}, status: 400,
			want: []string{`record 0: field attributes: expected string, got number`}},
		{name: "wrong type in JSON Lines", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: "{\"type\":\"view\",\"time\":\"2011-01-01T00:00:00Z\"}\n{\"type\":7}\n"}, status: 400,
			want: []string{`record 1: field type: expected string, got number`}},
		{name: "bad time names the field", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: `[{"type":"view","time":"yesterday","value":1}]`}, status: 400,
			want: []string{`record 0: field time: expected an RFC 3339 time`}},
		{name: "unknown field", req: req{method: "POST", path: "/v1/orders", role: "admin",
			body: `[{"order":"1","time":"2011-01-01T00:00:00Z","qty":1}]`}, status: 400, want: []string{`record 0: unknown field \"qty\"`}},
		{name: "not an object", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[{"type":"view","time":"2011-01-01T00:00:00Z"}, 5]`},
			status: 400, want: []string{"record 1: expected object, got number"}},
		{name: "syntax error", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[{"type":"view",}]`},
			status: 400, want: []string{"record 0: invalid JSON at byte"}},
		{name: "truncated", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[{"type":"view","time":"2011-01-01T00:00:00Z"}`},
			status: 400, want: []string{"unexpected end of body"}},
		{name: "trailing data", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[] []`},
			status: 400, want: []string{"unexpected data after the array"}},
		{name: "JSON Lines with a stray value", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: "{\"type\":\"view\",\"time\":\"2011-01-01T00:00:00Z\"}\n]\n"}, status: 400, want: []string{"record 1: not a JSON object"}},
		{name: "compressed", req: req{method: "POST", path: "/v1/events", role: "admin", body: "[]",
			header: map[string]string{"Content-Encoding": "gzip"}}, status: 415, want: []string{"send the body uncompressed"}},
		{name: "empty body", req: req{method: "POST", path: "/v1/events", role: "admin", body: " \n"},
			status: 400, want: []string{"empty body"}},
		{name: "not JSON", req: req{method: "POST", path: "/v1/events", role: "admin", body: "type,time\nview,2011"},
			status: 400, want: []string{"JSON array of records or JSON Lines"}},
		{name: "empty array", req: req{method: "POST", path: "/v1/events", role: "admin", body: "[]"},
			status: 200, check: counts(0, 0, 0, 0), want: []string{`"errors":[]`}},
		{name: "bad source parameter", req: req{method: "POST", path: "/v1/events?source=", role: "admin", body: "[]"},
			status: 400, want: []string{"source: empty"}},
		{name: "stats add up", req: req{method: "GET", path: "/v1/stats", role: "analyst"}, status: 200,
			want: []string{`"events":7`, `"orders":3`, `"order_lines":4`, `"anonymous_orders":1`}},
	})
}

func TestIngestLimits(t *testing.T) {
	e := newEnv(t, api.Options{MaxBodyBytes: 1024, MaxRecords: 3})
	event := func(i int) string {
		return fmt.Sprintf(`{"event":"%d","type":"view","time":"2011-01-01T00:00:00Z"}`, i)
	}
	var big []string
	for i := range 4 {
		big = append(big, event(i))
	}
	run(t, e, []scenario{
		{name: "body too large", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: `[{"type":"view","time":"2011-01-01T00:00:00Z","item":"` + strings.Repeat("x", 1100) + `"}]`},
			status: 413, want: []string{`{"error":"request body larger than 1024 bytes"}`}},
		{name: "too many records", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: "[" + strings.Join(big[:4], ",") + "]"}, status: 413, want: []string{"more than 3 records"}},
		{name: "as many as allowed", req: req{method: "POST", path: "/v1/events", role: "admin",
			body: strings.Join(big[:3], "\n")}, status: 200, want: []string{`"imported":3`}},
		{name: "nothing was kept from the refused requests", req: req{method: "GET", path: "/v1/stats", role: "admin"},
			status: 200, want: []string{`"events":3`}},
	})
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t, api.Options{})
	otherAdmin := e.addKey(t, store.RoleAdmin)
	body := `[{"event":"e1","type":"view","time":"2011-01-01T10:00:00Z"},{"event":"e2","type":"view","time":"2011-01-01T10:00:00Z"}]`
	other := `[{"event":"e3","type":"view","time":"2011-01-01T10:00:00Z"}]`
	key := func(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }
	replayed := func(want bool) func(*testing.T, resp) {
		return func(t *testing.T, r resp) {
			if got := r.header.Get("Idempotent-Replayed") == "true"; got != want {
				t.Errorf("Idempotent-Replayed = %v, want %v", got, want)
			}
		}
	}
	run(t, e, []scenario{
		{name: "first", req: req{method: "POST", path: "/v1/events", role: "admin", body: body, header: key("k1")},
			status: 200, want: []string{`"imported":2`, `"duplicates":0`}, check: replayed(false)},
		{name: "retry replays the first response", req: req{method: "POST", path: "/v1/events", role: "admin", body: body, header: key("k1")},
			status: 200, want: []string{`"imported":2`, `"duplicates":0`}, check: replayed(true)},
		{name: "same key, other body", req: req{method: "POST", path: "/v1/events", role: "admin", body: other, header: key("k1")},
			status: 409, want: []string{"already used with a different request"}},
		{name: "key for an empty batch of items", req: req{method: "POST", path: "/v1/items", role: "admin", body: `[]`, header: key("k3")},
			status: 200},
		{name: "same key and body, other route", req: req{method: "POST", path: "/v1/customers", role: "admin", body: `[]`, header: key("k3")},
			status: 409},
		{name: "same key, other source", req: req{method: "POST", path: "/v1/events?source=shop", role: "admin", body: body, header: key("k1")},
			status: 409},
		{name: "without a key, the records are still idempotent", req: req{method: "POST", path: "/v1/events", role: "admin", body: body},
			status: 200, want: []string{`"imported":0`, `"duplicates":2`}},
		{name: "a bad request does not take the key", req: req{method: "POST", path: "/v1/events", role: "admin", body: `[{"type":1}]`, header: key("k2")},
			status: 400},
		{name: "so the fixed request can use it", req: req{method: "POST", path: "/v1/events", role: "admin", body: other, header: key("k2")},
			status: 200, want: []string{`"imported":1`}, check: replayed(false)},
		{name: "keys are per API key", req: req{method: "POST", path: "/v1/events", role: otherAdmin, body: other, header: key("k1")},
			status: 200, want: []string{`"duplicates":1`}, check: replayed(false)},
		{name: "overlong key", req: req{method: "POST", path: "/v1/events", role: "admin", body: other, header: key(strings.Repeat("k", 256))},
			status: 400},
	})
}
