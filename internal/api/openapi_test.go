package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sagitta-dev/sagitta/internal/ingest"
	"github.com/sagitta-dev/sagitta/internal/profile"
	"github.com/sagitta-dev/sagitta/internal/store"
)

type openAPIDocument struct {
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	Security *[]map[string][]string `json:"security"`
}

func loadOpenAPI(t *testing.T) openAPIDocument {
	t.Helper()
	var doc openAPIDocument
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// TestOpenAPICoversRoutes keeps openapi.json and the route table in step:
// every route is documented, every documented operation is routed, and
// exactly the public routes declare no security.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	routed := map[string]bool{}
	for _, rt := range (&server{}).routes() {
		routed[rt.pattern] = true
		op, ok := documented[rt.pattern]
		if !ok {
			t.Errorf("route %s is not in openapi.json", rt.pattern)
			continue
		}
		if open := op.Security != nil && len(*op.Security) == 0; open != (rt.access == public) {
			t.Errorf("%s: openapi.json says public=%v, route table says %v", rt.pattern, open, rt.access == public)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.json documents %s, which is not routed", op)
		}
	}
}

// TestOpenAPISchemas checks that the documented records and responses have
// exactly the JSON fields of the Go types.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"CustomerRecord": ingest.CustomerRecord{}, "ItemRecord": ingest.ItemRecord{},
		"OrderLineRecord": ingest.OrderLineRecord{}, "EventRecord": ingest.EventRecord{},
		"IngestResult": ingestResult{}, "RecordError": recordError{}, "Stats": store.Stats{}, "Error": errorBody{},
		"Profile": profile.Profile{}, "Merge": profile.Merge{}, "Identity": profile.Identity{},
		"Attribute": profile.Attribute{}, "InvalidValue": profile.InvalidValue{}, "Consent": profile.Consent{},
		"OrderSummary": profile.OrderSummary{}, "Order": profile.Order{}, "OrderLine": profile.OrderLine{},
		"Event": profile.Event{},
	} {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		var documented []string
		for p := range schema.Properties {
			documented = append(documented, p)
		}
		slices.Sort(documented)
		if got := jsonFields(reflect.TypeOf(v)); !slices.Equal(got, documented) {
			t.Errorf("schema %s has properties %v, the Go type has %v", name, documented, got)
		}
	}
}

func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
