package offer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A validity given as a date only (valid_until: 2026-12-31) names whole days
// of the shop's calendar: valid_from is the start of its day and valid_until
// the end of its day, both in the shop's time zone (Options.Location), so an
// offer "valid until 2026-12-31" may still be used all of the 31st. A full
// timestamp is kept exactly. The decoders below remember which dates were
// date-only; Engine.Save resolves them.

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ResolveDays turns a date-only valid_from and valid_until into instants in
// loc (UTC when nil): the start of valid_from's day and the start of the day
// after valid_until's (the end bound is exclusive). Engine.Save calls it;
// an offer built in code has nothing to resolve.
func (o *Offer) ResolveDays(loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	if o.fromDay != "" {
		d, err := time.ParseInLocation(time.DateOnly, o.fromDay, loc)
		if err != nil {
			return &FieldError{Offer: o.Name, Field: "valid_from", Problem: fmt.Sprintf("%q is not a date", o.fromDay)}
		}
		o.ValidFrom = d
	}
	if o.untilDay != "" {
		d, err := time.ParseInLocation(time.DateOnly, o.untilDay, loc)
		if err != nil {
			return &FieldError{Offer: o.Name, Field: "valid_until", Problem: fmt.Sprintf("%q is not a date", o.untilDay)}
		}
		o.ValidUntil = d.AddDate(0, 0, 1)
	}
	o.fromDay, o.untilDay = "", ""
	return nil
}

// UnmarshalYAML decodes an offer, noting a date-only valid_from or
// valid_until. Unknown fields are refused as a strict decoder would.
func (o *Offer) UnmarshalYAML(n *yaml.Node) error {
	type plain Offer
	var from, until string
	if n.Kind == yaml.MappingNode {
		known := yamlFields()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !known[k.Value] {
				return fmt.Errorf("line %d: field %s not found in type offer.Offer", k.Line, k.Value)
			}
			if v.Kind == yaml.ScalarNode && dateOnly.MatchString(v.Value) {
				switch k.Value {
				case "valid_from":
					from = v.Value
				case "valid_until":
					until = v.Value
				}
			}
		}
	}
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*o = Offer(p)
	o.fromDay, o.untilDay = from, until
	return nil
}

// UnmarshalJSON decodes an offer, accepting a date-only valid_from or
// valid_until (YYYY-MM-DD) besides RFC 3339. Unknown fields are refused.
func (o *Offer) UnmarshalJSON(b []byte) error {
	type plain Offer
	var from, until string
	if bytes.Contains(b, []byte(`"valid_`)) {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err == nil {
			changed := false
			for key, day := range map[string]*string{"valid_from": &from, "valid_until": &until} {
				var s string
				if v, ok := raw[key]; ok && json.Unmarshal(v, &s) == nil && dateOnly.MatchString(s) {
					*day = s
					raw[key], _ = json.Marshal(s + "T00:00:00Z")
					changed = true
				}
			}
			if changed {
				b, _ = json.Marshal(raw)
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return err
	}
	*o = Offer(p)
	o.fromDay, o.untilDay = from, until
	return nil
}

// yamlFields are the YAML keys of Offer.
func yamlFields() map[string]bool {
	t := reflect.TypeFor[Offer]()
	m := make(map[string]bool, t.NumField())
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			m[name] = true
		}
	}
	return m
}

// LastDay is the last calendar day in loc (UTC when nil) on which the offer
// may be used, YYYY-MM-DD: the day of the instant just before ValidUntil,
// so an offer valid until the end of 2026-12-31 says 2026-12-31.
func (o *Offer) LastDay(loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return o.ValidUntil.Add(-time.Nanosecond).In(loc).Format(time.DateOnly)
}
