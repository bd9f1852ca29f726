package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Reasons a send is refused.
const (
	ReasonConsent    = "consent"
	ReasonCap        = "cap"
	ReasonQuiet      = "quiet_hours"
	ReasonSuppressed = "suppressed"
	ReasonBlack      = "admission_list"
	ReasonNoAddress  = "no_address"
)

// ErrInvalid marks bad rules.
var ErrInvalid = errors.New("invalid contact rules")

// Cap allows at most Max sends on Channel ("*": all channels together)
// within any Window.
type Cap struct {
	Channel string   `json:"channel" yaml:"channel"`
	Max     int      `json:"max" yaml:"max"`
	Window  Duration `json:"window" yaml:"window"`
}

// Duration is a time.Duration written as "24h", "168h" or "7d".
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	s := string(b)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || days <= 0 {
			return fmt.Errorf("duration %q: want e.g. 24h or 7d", s)
		}
		*d = Duration(time.Duration(days) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want e.g. 24h or 7d", s)
	}
	*d = Duration(v)
	return nil
}

// Rules are the contact rules every send obeys.
type Rules struct {
	Caps []Cap `json:"caps" yaml:"caps"`
	// Quiet hours, "HH:MM" in the customer's time zone (the attribute
	// "timezone", an IANA name, else Location); equal: none. A window may
	// wrap midnight (21:00 to 08:00).
	QuietStart string `json:"quiet_start" yaml:"quiet_start"`
	QuietEnd   string `json:"quiet_end" yaml:"quiet_end"`
	// OptOutOnly lists the channels where a customer without any recorded
	// decision may be contacted; every other channel needs an explicit opt-in.
	OptOutOnly []string `json:"opt_out_only,omitempty" yaml:"opt_out_only,omitempty"`
}

// DefaultRules: one message per channel a day, three a week across
// channels, quiet from 21:00 to 08:00, opt-in required everywhere.
func DefaultRules() Rules {
	return Rules{
		Caps: []Cap{{Channel: "*", Max: 3, Window: Duration(7 * 24 * time.Hour)},
			{Channel: "*", Max: 1, Window: Duration(24 * time.Hour)}},
		QuietStart: "21:00", QuietEnd: "08:00",
	}
}

func parseClock(s string) (int, error) {
	var h, m int
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(s) != 5 {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// Validate checks the rules.
func (r *Rules) Validate() error {
	for i, c := range r.Caps {
		if c.Channel == "" {
			return fmt.Errorf("cap %d: field \"channel\": name a channel or \"*\": %w", i+1, ErrInvalid)
		}
		if c.Max < 0 || c.Window <= 0 {
			return fmt.Errorf("cap %d: fields \"max\" and \"window\": need max >= 0 and a window > 0: %w", i+1, ErrInvalid)
		}
	}
	if (r.QuietStart == "") != (r.QuietEnd == "") {
		return fmt.Errorf("quiet hours: set both quiet_start and quiet_end, or neither: %w", ErrInvalid)
	}
	if r.QuietStart != "" {
		if _, err := parseClock(r.QuietStart); err != nil {
			return fmt.Errorf("field \"quiet_start\": %v: %w", err, ErrInvalid)
		}
		if _, err := parseClock(r.QuietEnd); err != nil {
			return fmt.Errorf("field \"quiet_end\": %v: %w", err, ErrInvalid)
		}
	}
	return nil
}

// window is the longest cap window.
func (r *Rules) window() time.Duration {
	var w time.Duration
	for _, c := range r.Caps {
		w = max(w, time.Duration(c.Window))
	}
	return w
}

// Reader is what a guard reads; store.MarketingReader implements it.
type Reader interface {
	Touches(ctx context.Context, customerIDs []int64, since time.Time) ([]store.Touch, error)
	ConsentsOf(ctx context.Context, channel string, customerIDs []int64) (map[int64]store.Consent, error)
	SuppressionsOf(ctx context.Context, customerIDs []int64) ([]store.Suppression, error)
	AttributeOf(ctx context.Context, name string, customerIDs []int64) (map[int64]string, error)
}

// Lists tells whether a customer is on the black list.
type Lists interface {
	Black(customerID int64) (reason string, ok bool)
}

// Guard applies the rules.
type Guard struct {
	rules    Rules
	loc      *time.Location
	lists    Lists
	qs, qe   int // quiet hours in minutes of the day
	zmu      sync.Mutex
	zones    map[string]*time.Location
	optional map[string]bool
}

// NewGuard returns a guard; loc is the time zone of customers without one (UTC when nil).
func NewGuard(r Rules, loc *time.Location, lists Lists) (*Guard, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if loc == nil {
		loc = time.UTC
	}
	g := &Guard{rules: r, loc: loc, lists: lists, zones: map[string]*time.Location{}, optional: map[string]bool{}}
	if r.QuietStart != "" {
		g.qs, _ = parseClock(r.QuietStart)
		g.qe, _ = parseClock(r.QuietEnd)
	}
	for _, c := range r.OptOutOnly {
		g.optional[c] = true
	}
	return g, nil
}

// Rules returns the guard's rules.
func (g *Guard) Rules() Rules { return g.rules }

// Verdict is the decision for one customer.
type Verdict struct {
	CustomerID int64
	Reason     string    // "" when the send may go now
	Detail     string    // which cap, which consent
	NotBefore  time.Time // quiet hours: when the send may go
}

// Check decides for each customer (in order) whether a message on channel
// may be sent at now.
//
// With consentOnly, only the black list, suppressions and consent are
// checked (for a message already reserved, whose own delivery the caps
// would count).
func (g *Guard) Check(ctx context.Context, r Reader, channel string, ids []int64, now time.Time, consentOnly bool) ([]Verdict, error) {
	out := make([]Verdict, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	consents, err := r.ConsentsOf(ctx, channel, ids)
	if err != nil {
		return nil, fmt.Errorf("check consent: %w", err)
	}
	sups, err := r.SuppressionsOf(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("check suppressions: %w", err)
	}
	suppressed := map[int64]string{}
	for _, s := range sups {
		if s.Channel == channel || s.Channel == "*" {
			suppressed[s.CustomerID] = s.Reason
		}
	}
	var touches map[int64][]store.Touch
	if w := g.rules.window(); w > 0 && !consentOnly {
		ts, err := r.Touches(ctx, ids, now.Add(-w))
		if err != nil {
			return nil, fmt.Errorf("check caps: %w", err)
		}
		touches = make(map[int64][]store.Touch, len(ts))
		for _, t := range ts {
			touches[t.CustomerID] = append(touches[t.CustomerID], t)
		}
	}
	var zones map[int64]string
	if g.qs != g.qe && !consentOnly {
		if zones, err = r.AttributeOf(ctx, "timezone", ids); err != nil {
			return nil, fmt.Errorf("check quiet hours: %w", err)
		}
	}
	for i, id := range ids {
		v := Verdict{CustomerID: id}
		out[i] = v
		if g.lists != nil {
			if reason, ok := g.lists.Black(id); ok {
				out[i].Reason, out[i].Detail = ReasonBlack, "on the black list: "+reason
				continue
			}
		}
		if reason, ok := suppressed[id]; ok {
			out[i].Reason, out[i].Detail = ReasonSuppressed, channel+" suppressed: "+reason
			continue
		}
		c, ok := consents[id]
		switch {
		case ok && c.Status == store.ConsentOptOut:
			out[i].Reason, out[i].Detail = ReasonConsent, "opted out of "+channel
			continue
		case !ok && !g.optional[channel]:
			out[i].Reason, out[i].Detail = ReasonConsent, "no opt-in for "+channel
			continue
		}
		if consentOnly {
			continue
		}
		if d := g.capped(touches[id], channel, now); d != "" {
			out[i].Reason, out[i].Detail = ReasonCap, d
			continue
		}
		if nb, quiet := g.quiet(zones[id], now); quiet {
			out[i].Reason, out[i].Detail, out[i].NotBefore = ReasonQuiet, "quiet hours until "+nb.Format(time.RFC3339), nb
		}
	}
	return out, nil
}

// capped names the cap one more send on channel would break, "" when none.
func (g *Guard) capped(ts []store.Touch, channel string, now time.Time) string {
	for _, c := range g.rules.Caps {
		if c.Channel != "*" && c.Channel != channel {
			continue
		}
		from := now.Add(-time.Duration(c.Window))
		n := 0
		for _, t := range ts {
			if (c.Channel == "*" || t.Channel == c.Channel) && !t.At.Before(from) && !t.At.After(now) {
				n++
			}
		}
		if n+1 > c.Max {
			return fmt.Sprintf("cap of %d on %s per %s reached (%d sent)", c.Max, c.Channel, time.Duration(c.Window), n)
		}
	}
	return ""
}

func (g *Guard) zone(name string) *time.Location {
	if name == "" {
		return g.loc
	}
	g.zmu.Lock()
	defer g.zmu.Unlock()
	if l, ok := g.zones[name]; ok {
		return l
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = g.loc
	}
	if len(g.zones) < 1024 {
		g.zones[name] = l
	}
	return l
}

// quiet tells whether now is within the quiet hours in the zone, and when they end.
func (g *Guard) quiet(zone string, now time.Time) (time.Time, bool) {
	if g.qs == g.qe {
		return time.Time{}, false
	}
	local := now.In(g.zone(zone))
	m := local.Hour()*60 + local.Minute()
	in := false
	if g.qs < g.qe {
		in = m >= g.qs && m < g.qe
	} else {
		in = m >= g.qs || m < g.qe
	}
	if !in {
		return time.Time{}, false
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), g.qe/60, g.qe%60, 0, 0, local.Location())
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end.UTC(), true
}

// Quiet reports whether now is within the quiet hours of a time zone.
func (g *Guard) Quiet(zone string, now time.Time) (until time.Time, quiet bool) {
	return g.quiet(zone, now)
}

// Writer is what Record writes through; store.MarketingTx implements it.
type Writer interface {
	AddContacts(ctx context.Context, contacts []store.Contact) error
	PutSuppressions(ctx context.Context, ss []store.Suppression) error
	PutConsent(ctx context.Context, c store.Consent) (changed bool, err error)
}

// Record appends contacts and responses to the shared history and applies
// what they imply: an unsubscribe is an opt-out of the channel (and a
// suppression), a bounce suppresses the channel.
func Record(ctx context.Context, w Writer, cs []store.Contact) error {
	for _, c := range cs {
		if !slices.Contains(store.ContactKinds, c.Kind) {
			return fmt.Errorf("record contact: kind %q is not one of %s: %w", c.Kind, strings.Join(store.ContactKinds, ", "), ErrInvalid)
		}
		if c.Channel == "" || c.CustomerID == 0 {
			return fmt.Errorf("record contact: a contact needs a customer and a channel: %w", ErrInvalid)
		}
	}
	if err := w.AddContacts(ctx, cs); err != nil {
		return fmt.Errorf("record %d contacts: %w", len(cs), err)
	}
	var ss []store.Suppression
	for _, c := range cs {
		switch c.Kind {
		case store.ContactUnsubscribed:
			if _, err := w.PutConsent(ctx, store.Consent{CustomerID: c.CustomerID, Channel: c.Channel, Status: store.ConsentOptOut,
				At: c.At, Source: "unsubscribe"}); err != nil {
				return fmt.Errorf("record an unsubscribe: %w", err)
			}
			ss = append(ss, store.Suppression{CustomerID: c.CustomerID, Channel: c.Channel, Reason: "unsubscribed", At: c.At})
		case store.ContactBounced:
			ss = append(ss, store.Suppression{CustomerID: c.CustomerID, Channel: c.Channel, Reason: "bounced: " + c.Detail, At: c.At})
		}
	}
	if len(ss) > 0 {
		if err := w.PutSuppressions(ctx, ss); err != nil {
			return fmt.Errorf("record suppressions: %w", err)
		}
	}
	return nil
}
