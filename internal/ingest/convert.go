package ingest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// boundField is a field bound to a column of one file.
type boundField struct {
	field
	col    int    // 0-based column, tabular formats
	key    string // object key, JSON Lines
	layout string
	last   string // time cache: the last text parsed and its value
	lastT  time.Time
}

// binding maps the columns of one file to the fields of a kind.
type binding struct {
	kind      Kind
	source    string
	format    Format
	header    []string // nil without a header
	bound     []*boundField
	byName    map[string]*boundField
	byID      [numFieldIDs]*boundField
	attrCols  []*boundField // customers: unmapped columns kept as attributes
	ignored   []string
	consts    map[string]string
	constByID [numFieldIDs]string
	floatIDs  bool
	cancel    string
	loc       *time.Location
	jsonKeys  map[string]*boundField // JSON Lines: key -> field, filled as keys appear
	// lastAttrs holds, per customer, the attribute values of its last order
	// line, joined
	lastAttrs map[string]string
	explicit  map[string]bool // JSON Lines: keys bound by --map
}

func (b *binding) add(f *boundField) {
	b.bound = append(b.bound, f)
	b.byName[f.name] = f
	if id := fieldIDOf(f.name); id != fNone && !f.attr {
		b.byID[id] = f
	}
}

// bind resolves the mappings against a file's header (nil for JSON Lines or
// a file without one) and binds the other header columns by name.
func bind(kind Kind, source string, format Format, header []string, maps []Mapping, p *Preset, loc *time.Location, file string) (*binding, error) {
	b := &binding{kind: kind, source: source, format: format, header: header, byName: map[string]*boundField{},
		loc: loc, jsonKeys: map[string]*boundField{}, explicit: map[string]bool{}}
	if p != nil {
		b.consts, b.floatIDs, b.cancel = p.Const, p.FloatIDs, p.CancelPrefix
		for name, v := range p.Const {
			b.constByID[fieldIDOf(name)] = v
		}
	}
	used := make([]bool, len(header))
	for _, m := range maps {
		f, _ := lookupField(kind, m.Field)
		bf := &boundField{field: f, layout: m.Layout}
		switch {
		case format == FormatJSONL && m.Column.Index > 0:
			return nil, fmt.Errorf("%s: --map %s=%d: JSON Lines columns are keys, not numbers", file, m.Field, m.Column.Index)
		case format == FormatJSONL:
			bf.key = m.Column.Name
			b.explicit[bf.key] = true
		case m.Column.Index > 0:
			if header != nil && m.Column.Index > len(header) {
				return nil, fmt.Errorf("%s: --map %s=%d: the file has only %d columns", file, m.Field, m.Column.Index, len(header))
			}
			bf.col = m.Column.Index - 1
		default:
			if header == nil {
				return nil, fmt.Errorf("%s: --map %s=%s: a file without a header needs column numbers", file, m.Field, m.Column.Name)
			}
			i := findColumn(header, m.Column.Name)
			if i < 0 {
				return nil, fmt.Errorf("%s: --map %s=%s: no column %q; the columns are: %s", file, m.Field, m.Column.Name,
					m.Column.Name, strings.Join(header, ", "))
			}
			bf.col = i
		}
		if bf.col < len(used) && format != FormatJSONL {
			used[bf.col] = true
		}
		b.add(bf)
	}
	for i, h := range header {
		if used[i] {
			continue
		}
		name := normHeader(h)
		if f, ok := b.auto(name); ok {
			f.col = i
			b.add(f)
			continue
		}
		b.ignored = append(b.ignored, h)
	}
	if format != FormatJSONL {
		if err := b.checkRequired(file); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// auto binds a header name (or JSON key) that no --map claimed.
func (b *binding) auto(name string) (*boundField, bool) {
	for _, f := range fields[b.kind] {
		if b.byName[f.name] != nil {
			continue
		}
		if f.name == name || contains(f.aliases, name) {
			return &boundField{field: f}, true
		}
	}
	if b.kind == KindCustomers && name != "" && b.byName[name] == nil {
		return &boundField{field: field{name: name, attr: true}}, true
	}
	return nil, false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func findColumn(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	for i, h := range header {
		if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(name)) {
			return i
		}
	}
	return -1
}

func (b *binding) has(name string) bool { return b.byName[name] != nil || b.consts[name] != "" }

func (b *binding) checkRequired(file string) error {
	missing := func(names ...string) error {
		return fmt.Errorf("%s: no column for %s; map one with --map %s=COLUMN (columns: %s)", file,
			strings.Join(names, " or "), names[0], strings.Join(b.header, ", "))
	}
	switch b.kind {
	case KindCustomers:
		if !b.has("customer") && !b.has("email") && !b.has("phone") {
			return missing("customer", "email", "phone")
		}
	case KindItems:
		if !b.has("item") {
			return missing("item")
		}
	case KindOrders:
		if !b.has("time") {
			return missing("time")
		}
		if !b.has("amount") && !b.has("unit_price") {
			return missing("amount", "unit_price")
		}
	case KindEvents:
		if !b.has("type") {
			return missing("type")
		}
		if !b.has("time") {
			return missing("time")
		}
	}
	return nil
}

// values reads the row into field name -> text.
type values struct {
	b   *binding
	r   *row
	obj map[*boundField]string
}

func (b *binding) values(r *row) (values, error) {
	v := values{b: b, r: r}
	if b.format == FormatJSONL {
		v.obj = make(map[*boundField]string, len(r.object))
		for k, raw := range r.object {
			s, err := jsonString(raw)
			if err != nil {
				return v, fmt.Errorf("key %q: %v", k, err)
			}
			bf, ok := b.jsonKeys[k]
			if !ok {
				bf = b.jsonField(k)
				b.jsonKeys[k] = bf
			}
			if bf != nil {
				v.obj[bf] = s
			}
		}
		return v, nil
	}
	if b.header != nil && len(r.fields) != len(b.header) {
		return v, fmt.Errorf("ragged row: %d fields where the header has %d", len(r.fields), len(b.header))
	}
	for _, bf := range b.bound {
		if bf.col >= len(r.fields) {
			return v, fmt.Errorf("row has %d fields, column %d is mapped to %s", len(r.fields), bf.col+1, bf.name)
		}
	}
	return v, nil
}

// jsonField binds a JSON key the first time it is seen.
func (b *binding) jsonField(k string) *boundField {
	for _, bf := range b.bound {
		if bf.key == k {
			return bf
		}
	}
	if f, ok := b.auto(normHeader(k)); ok {
		f.key = k
		b.add(f)
		return f
	}
	b.ignored = append(b.ignored, k)
	return nil
}

// text is the raw text of a bound field; false when the row lacks it.
func (v values) text(bf *boundField) (string, bool) {
	if bf == nil {
		return "", false
	}
	if v.obj != nil {
		s, ok := v.obj[bf]
		return s, ok
	}
	return v.r.fields[bf.col], true
}

func (v values) get(id fieldID) string {
	if s, ok := v.text(v.b.byID[id]); ok {
		return strings.TrimSpace(s)
	}
	return v.b.constByID[id]
}

func (v values) attr(bf *boundField) string {
	s, _ := v.text(bf)
	return strings.TrimSpace(s)
}

func (v values) id(id fieldID) string {
	s := v.get(id)
	if v.b.floatIDs && strings.HasSuffix(s, ".0") {
		if _, err := strconv.ParseUint(s[:len(s)-2], 10, 64); err == nil {
			return s[:len(s)-2]
		}
	}
	return s
}

func (v values) number(id fieldID) (float64, error) {
	s := v.get(id)
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", id, s)
	}
	return f, nil
}

func (v values) integer(id fieldID) (int, error) {
	s := v.get(id)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a whole number", id, s)
	}
	return n, nil
}

func (v values) boolean(id fieldID) (*bool, error) {
	s := strings.ToLower(v.get(id))
	var t bool
	switch s {
	case "":
		return nil, nil
	case "true", "t", "yes", "y", "1", "active":
		t = true
	case "false", "f", "no", "n", "0", "inactive":
	default:
		return nil, fmt.Errorf("%s: %q is not true or false", id, s)
	}
	return &t, nil
}

// timeLayouts are tried, in order, for time fields without a layout.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02",
}

func (v values) time(id fieldID) (time.Time, error) {
	s := v.get(id)
	if s == "" {
		return time.Time{}, nil
	}
	bf := v.b.byID[id]
	if bf != nil && bf.last == s && s != "" {
		return bf.lastT, nil
	}
	t, err := parseTime(s, layoutOf(bf), v.b.loc)
	if err != nil {
		return t, fmt.Errorf("%s: %w", id, err)
	}
	if bf != nil {
		bf.last, bf.lastT = s, t
	}
	return t, nil
}

func layoutOf(bf *boundField) string {
	if bf == nil {
		return ""
	}
	return bf.layout
}

func parseTime(s, layout string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if layout != "" {
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			return t, fmt.Errorf("%q does not match the layout %q", s, layout)
		}
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case len(s) <= 11:
			return time.Unix(n, 0).UTC(), nil
		case len(s) <= 14:
			return time.UnixMilli(n).UTC(), nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use RFC 3339, YYYY-MM-DD[ HH:MM[:SS]], unix seconds, or give a layout with --map FIELD=COLUMN:LAYOUT)", s)
}

func (b *binding) attrs(v values) map[string]string {
	var m map[string]string
	put := func(name, val string) {
		if val == "" {
			return
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[strings.TrimPrefix(name, attrPrefix)] = val
	}
	for _, bf := range b.bound {
		if bf.attr {
			put(bf.name, v.attr(bf))
		}
	}
	return m
}

// customer converts a row of a customers file.
func (b *binding) customer(v values, pos int64) (CustomerRecord, error) {
	r := CustomerRecord{Pos: pos, Source: b.source, ID: v.id(fCustomer), Email: v.get(fEmail), Phone: v.get(fPhone)}
	var err error
	if r.Updated, err = v.time(fUpdated); err != nil {
		return r, err
	}
	for _, c := range consentFields {
		if s := v.get(c.id); s != "" {
			if r.Consent == nil {
				r.Consent = map[string]string{}
			}
			r.Consent[c.channel] = s
		}
	}
	r.Attrs = b.attrs(v)
	return r, r.Validate()
}

func (b *binding) item(v values, pos int64) (ItemRecord, error) {
	r := ItemRecord{Pos: pos, Source: b.source, ID: v.id(fItem), Title: v.get(fTitle), Category: v.get(fCategory),
		Brand: v.get(fBrand)}
	var err error
	if r.Price, err = v.number(fPrice); err != nil {
		return r, err
	}
	if r.Active, err = v.boolean(fActive); err != nil {
		return r, err
	}
	return r, r.Validate()
}

func (b *binding) orderLine(v values, pos int64) (OrderLineRecord, error) {
	r := OrderLineRecord{Pos: pos, Source: b.source, Order: v.get(fOrder), Customer: v.id(fCustomer),
		Email: v.get(fEmail), Phone: v.get(fPhone), Item: v.id(fItem), ItemTitle: v.get(fItemTitle),
		Coupon: v.get(fCoupon), Channel: v.get(fChannel), Payment: v.get(fPayment), Currency: v.get(fCurrency),
		Kind: store.OrderKind(strings.ToLower(v.get(fKind))), RefOrder: v.get(fRefOrder)}
	var err error
	if r.Line, err = v.integer(fLine); err != nil {
		return r, err
	}
	if r.Time, err = v.time(fTime); err != nil {
		return r, err
	}
	for _, f := range []struct {
		id  fieldID
		dst *float64
	}{{fQuantity, &r.Quantity}, {fUnitPrice, &r.UnitPrice}, {fAmount, &r.Amount}, {fDiscount, &r.Discount}} {
		if *f.dst, err = v.number(f.id); err != nil {
			return r, err
		}
	}
	if b.cancel != "" && r.Kind == "" && strings.HasPrefix(r.Order, b.cancel) {
		r.Kind = store.OrderCancel
	}
	r.Attrs = b.lineAttrs(v, r.Customer)
	return r, r.Validate()
}

// lineAttrs returns the customer attributes an order line carries, or nil
// when they are what the same customer's previous line said: most lines
// repeat them, and only changes need writing.
func (b *binding) lineAttrs(v values, customer string) map[string]string {
	var sig strings.Builder
	for _, bf := range b.bound {
		if bf.attr {
			sig.WriteString(v.attr(bf))
			sig.WriteByte(0)
		}
	}
	if sig.Len() == 0 || customer == "" {
		return nil
	}
	if b.lastAttrs == nil || len(b.lastAttrs) > maxCache {
		b.lastAttrs = make(map[string]string)
	}
	if b.lastAttrs[customer] == sig.String() {
		return nil
	}
	b.lastAttrs[strings.Clone(customer)] = sig.String()
	return b.attrs(v)
}

func (b *binding) event(v values, pos int64) (EventRecord, error) {
	r := EventRecord{Pos: pos, Source: b.source, ID: v.get(fEvent), Customer: v.id(fCustomer), Email: v.get(fEmail),
		Phone: v.get(fPhone), Type: strings.ToLower(v.get(fType)), Item: v.id(fItem)}
	var err error
	if r.Time, err = v.time(fTime); err != nil {
		return r, err
	}
	if r.Value, err = v.number(fValue); err != nil {
		return r, err
	}
	if p := v.get(fProps); p != "" {
		r.Props = json.RawMessage(p)
	}
	return r, r.Validate()
}
