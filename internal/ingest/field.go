package ingest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a file holds.
type Kind string

const (
	KindCustomers Kind = "customers"
	KindItems     Kind = "items"
	KindOrders    Kind = "orders"
	KindEvents    Kind = "events"
)

// Kinds lists the importable kinds.
var Kinds = []Kind{KindCustomers, KindItems, KindOrders, KindEvents}

// ParseKind reads a kind name.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(s))
	if slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown kind %q: valid kinds are customers, items, orders, events", s)
}

type fieldType int

const (
	typeText fieldType = iota
	typeInt
	typeNumber
	typeTime
	typeBool
	typeConsent
	typeJSON
)

// field is one importable field of a kind, with the header names that map to
// it without a --map.
type field struct {
	name    string
	typ     fieldType
	aliases []string
	attr    bool // a customer attribute (customers, or carried by order lines)
}

var fields = map[Kind][]field{
	KindCustomers: {
		{name: "customer", aliases: []string{"customer_id", "customerid", "user", "user_id", "userid", "client_id", "member_id", "household_id", "id"}},
		{name: "email", aliases: []string{"e-mail", "mail", "email_address"}},
		{name: "phone", aliases: []string{"mobile", "phone_number", "tel", "telephone", "cell"}},
		{name: "updated", typ: typeTime, aliases: []string{"updated_at", "modified", "modified_at", "last_modified"}},
		{name: "consent_email", typ: typeConsent},
		{name: "consent_sms", typ: typeConsent},
		{name: "consent_push", typ: typeConsent},
		{name: "consent_call", typ: typeConsent},
		{name: "consent_store", typ: typeConsent},
		{name: "name", attr: true, aliases: []string{"full_name"}},
		{name: "first_name", attr: true, aliases: []string{"firstname", "given_name"}},
		{name: "last_name", attr: true, aliases: []string{"lastname", "surname", "family_name"}},
		{name: "gender", attr: true, aliases: []string{"sex"}},
		{name: "birth_date", attr: true, aliases: []string{"birthdate", "date_of_birth", "dob", "birthday"}},
		{name: "city", attr: true},
		{name: "region", attr: true, aliases: []string{"state", "province"}},
		{name: "country", attr: true},
		{name: "postcode", attr: true, aliases: []string{"zip", "zipcode", "postal_code"}},
		{name: "language", attr: true, aliases: []string{"lang", "locale"}},
		{name: "timezone", attr: true, aliases: []string{"time_zone", "tz"}},
		{name: "signup_time", attr: true, aliases: []string{"signup", "registered", "registered_at", "created_at"}},
	},
	KindItems: {
		{name: "item", aliases: []string{"item_id", "sku", "product_id", "productid", "stockcode", "stock_code", "product", "id"}},
		{name: "title", aliases: []string{"name", "description", "product_name"}},
		{name: "category", aliases: []string{"category_path", "product_category", "department"}},
		{name: "brand", aliases: []string{"manufacturer"}},
		{name: "price", typ: typeNumber, aliases: []string{"unit_price", "unitprice", "list_price"}},
		{name: "active", typ: typeBool, aliases: []string{"is_active", "enabled", "in_stock"}},
	},
	KindOrders: {
		{name: "order", aliases: []string{"order_id", "orderid", "invoice", "invoiceno", "invoice_no", "basket_id", "transaction_id"}},
		{name: "line", typ: typeInt, aliases: []string{"line_no", "line_number", "position"}},
		{name: "customer", aliases: []string{"customer_id", "customerid", "user", "user_id", "userid", "client_id", "member_id", "household_id"}},
		{name: "email", aliases: []string{"e-mail", "mail", "email_address"}},
		{name: "phone", aliases: []string{"mobile", "phone_number", "tel", "telephone"}},
		{name: "time", typ: typeTime, aliases: []string{"timestamp", "date", "datetime", "order_date", "order_time", "invoicedate", "invoice_date", "created_at", "transaction_timestamp"}},
		{name: "item", aliases: []string{"item_id", "sku", "product_id", "productid", "stockcode", "stock_code", "product"}},
		{name: "item_title", aliases: []string{"description", "title", "product_name"}},
		{name: "quantity", typ: typeNumber, aliases: []string{"qty"}},
		{name: "unit_price", typ: typeNumber, aliases: []string{"price", "unitprice"}},
		{name: "amount", typ: typeNumber, aliases: []string{"total", "line_total", "sales_value", "revenue"}},
		{name: "discount", typ: typeNumber, aliases: []string{"discount_amount"}},
		{name: "coupon", aliases: []string{"coupon_code", "voucher"}},
		{name: "channel"},
		{name: "payment", aliases: []string{"payment_method"}},
		{name: "currency"},
		{name: "kind", aliases: []string{"order_kind"}},
		{name: "ref_order", aliases: []string{"original_order", "refers_to"}},
		{name: "country", attr: true},
		{name: "city", attr: true},
	},
	KindEvents: {
		{name: "event", aliases: []string{"event_id", "id"}},
		{name: "customer", aliases: []string{"customer_id", "customerid", "user", "user_id", "userid", "visitor_id"}},
		{name: "email", aliases: []string{"e-mail", "mail"}},
		{name: "phone", aliases: []string{"mobile"}},
		{name: "type", aliases: []string{"event_type", "action", "event_name"}},
		{name: "time", typ: typeTime, aliases: []string{"timestamp", "date", "datetime", "created_at", "event_time"}},
		{name: "item", aliases: []string{"item_id", "sku", "product_id", "product"}},
		{name: "value", typ: typeNumber, aliases: []string{"rating", "amount"}},
		{name: "props", typ: typeJSON, aliases: []string{"properties", "attributes"}},
	},
}

// attrPrefix maps any column of a customers file to an attribute: attr.NAME.
const attrPrefix = "attr."

func lookupField(k Kind, name string) (field, bool) {
	for _, f := range fields[k] {
		if f.name == name {
			return f, true
		}
	}
	if k == KindCustomers && strings.HasPrefix(name, attrPrefix) && len(name) > len(attrPrefix) {
		return field{name: name, attr: true}, true
	}
	return field{}, false
}

// FieldNames lists the fields of a kind, for help and error messages.
func FieldNames(k Kind) []string {
	var names []string
	for _, f := range fields[k] {
		names = append(names, f.name)
	}
	if k == KindCustomers {
		names = append(names, attrPrefix+"NAME")
	}
	return names
}

// normHeader turns a header into a comparable name: lower case, spaces and
// dashes as underscores.
func normHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(h)
}

// ColumnRef names a column by header or by 1-based index.
type ColumnRef struct {
	Name  string
	Index int // 1-based; 0 when named
}

func (c ColumnRef) String() string {
	if c.Index > 0 {
		return strconv.Itoa(c.Index)
	}
	return c.Name
}

// Mapping is one FIELD=COLUMN[:LAYOUT] entry.
type Mapping struct {
	Field  string
	Column ColumnRef
	Layout string // Go time layout, for time fields
}

// ParseMap reads --map values: FIELD=COLUMN[:LAYOUT] entries separated by
// commas. A comma inside a layout ("Jan 2, 2006") stays with its entry: a
// piece without "=" continues the entry before it.
func ParseMap(k Kind, specs []string) ([]Mapping, error) {
	var entries []string
	for _, spec := range specs {
		for _, piece := range strings.Split(spec, ",") {
			if !strings.Contains(piece, "=") && len(entries) > 0 {
				entries[len(entries)-1] += "," + piece
				continue
			}
			entries = append(entries, piece)
		}
	}
	var out []Mapping
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		name, rest, ok := strings.Cut(e, "=")
		if !ok || rest == "" {
			return nil, fmt.Errorf("--map %q: want FIELD=COLUMN[:LAYOUT]", e)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		f, ok := lookupField(k, name)
		if !ok {
			return nil, fmt.Errorf("--map %q: unknown field %q for %s; valid fields: %s", e, name, k,
				strings.Join(FieldNames(k), ", "))
		}
		col, layout, _ := strings.Cut(rest, ":")
		if layout != "" && f.typ != typeTime {
			return nil, fmt.Errorf("--map %q: a layout is only allowed on time fields", e)
		}
		m := Mapping{Field: name, Layout: layout}
		if n, err := strconv.Atoi(col); err == nil {
			if n < 1 {
				return nil, fmt.Errorf("--map %q: column index must be 1 or more", e)
			}
			m.Column.Index = n
		} else {
			m.Column.Name = col
		}
		out = append(out, m)
	}
	seen := map[string]bool{}
	for _, m := range out {
		if seen[m.Field] {
			return nil, fmt.Errorf("--map: field %q mapped twice", m.Field)
		}
		seen[m.Field] = true
	}
	return out, nil
}

// Preset is a ready mapping for a well-known dataset.
type Preset struct {
	Name         string
	Kind         Kind
	Source       string // default source name
	Description  string
	Format       Format
	Delim        byte
	NoHeader     bool
	Map          []string          // --map style entries
	Const        map[string]string // fields with a fixed value
	FloatIDs     bool              // ids written as floats: "17850.0" means "17850"
	CancelPrefix string            // an order id with this prefix is a cancellation
}

// Presets are the built-in presets, by name.
var Presets = map[string]Preset{
	"online-retail": {
		Name: "online-retail", Kind: KindOrders, Source: "online-retail",
		Description: "UCI Online Retail (InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country)",
		Map: []string{"order=InvoiceNo", "item=StockCode", "item_title=Description", "quantity=Quantity",
			"time=InvoiceDate:2006-01-02 15:04:05", "unit_price=UnitPrice", "customer=CustomerID", "country=Country"},
		FloatIDs: true, CancelPrefix: "C",
	},
	"completejourney-transactions": {
		Name: "completejourney-transactions", Kind: KindOrders, Source: "completejourney",
		Description: "Dunnhumby Complete Journey transactions (household_id, basket_id, product_id, quantity, sales_value, ...)",
		Map: []string{"customer=household_id", "order=basket_id", "item=product_id", "quantity=quantity",
			"amount=sales_value", "discount=retail_disc", "time=transaction_timestamp:2006-01-02 15:04:05"},
	},
	"completejourney-demographics": {
		Name: "completejourney-demographics", Kind: KindCustomers, Source: "completejourney",
		Description: "Dunnhumby Complete Journey demographics (household_id, age, income, ...)",
		Map:         []string{"customer=household_id"},
	},
	"movielens-ratings": {
		Name: "movielens-ratings", Kind: KindEvents, Source: "movielens",
		Description: "MovieLens u.data (user item rating unix-time, whitespace-separated, no header) as review events",
		Format:      FormatWhitespace, Delim: ' ', NoHeader: true,
		Map:   []string{"customer=1", "item=2", "value=3", "time=4"},
		Const: map[string]string{"type": "review"},
	},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	var names []string
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset finds a preset or says which exist.
func LookupPreset(name string) (Preset, error) {
	p, ok := Presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %q: valid presets are %s", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// fieldID numbers the fields records are built from, so that reading a row
// indexes an array instead of looking names up. Attribute fields have none.
type fieldID int

const (
	fNone fieldID = iota
	fCustomer
	fEmail
	fPhone
	fUpdated
	fConsentEmail
	fConsentSms
	fConsentPush
	fConsentCall
	fConsentStore
	fItem
	fTitle
	fCategory
	fBrand
	fPrice
	fActive
	fOrder
	fLine
	fTime
	fItemTitle
	fQuantity
	fUnitPrice
	fAmount
	fDiscount
	fCoupon
	fChannel
	fPayment
	fCurrency
	fKind
	fRefOrder
	fEvent
	fType
	fValue
	fProps
	numFieldIDs
)

var fieldIDNames = [numFieldIDs]string{
	fCustomer:     "customer",
	fEmail:        "email",
	fPhone:        "phone",
	fUpdated:      "updated",
	fConsentEmail: "consent_email",
	fConsentSms:   "consent_sms",
	fConsentPush:  "consent_push",
	fConsentCall:  "consent_call",
	fConsentStore: "consent_store",
	fItem:         "item",
	fTitle:        "title",
	fCategory:     "category",
	fBrand:        "brand",
	fPrice:        "price",
	fActive:       "active",
	fOrder:        "order",
	fLine:         "line",
	fTime:         "time",
	fItemTitle:    "item_title",
	fQuantity:     "quantity",
	fUnitPrice:    "unit_price",
	fAmount:       "amount",
	fDiscount:     "discount",
	fCoupon:       "coupon",
	fChannel:      "channel",
	fPayment:      "payment",
	fCurrency:     "currency",
	fKind:         "kind",
	fRefOrder:     "ref_order",
	fEvent:        "event",
	fType:         "type",
	fValue:        "value",
	fProps:        "props",
}

func (id fieldID) String() string { return fieldIDNames[id] }

func fieldIDOf(name string) fieldID {
	for id, n := range fieldIDNames {
		if n == name && n != "" {
			return fieldID(id)
		}
	}
	return fNone
}

// consentFields are the customer fields that carry a consent, by channel.
var consentFields = []struct {
	id      fieldID
	channel string
}{{fConsentEmail, "email"}, {fConsentSms, "sms"}, {fConsentPush, "push"}, {fConsentCall, "call"}, {fConsentStore, "store"}}
