package campaign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/sagitta-dev/sagitta/internal/contact"
)

// Errors.
var (
	ErrNotFound = errors.New("campaign not found")
	ErrInvalid  = errors.New("invalid campaign")
	ErrState    = errors.New("campaign is not in a state that allows this")
)

// Channels a campaign may use.
const (
	Email = "email"
	SMS   = "sms"
	Push  = "push"
	Call  = "call"
)

// Channels lists the channels.
var Channels = []string{Email, SMS, Push, Call}

// DefaultStep is the step of a one-off campaign.
const DefaultStep = "main"

// Campaign is what to send to whom, how and when.
type Campaign struct {
	Name        string `json:"name" yaml:"name"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Audience: a saved segment, a rule, or both (both must hold).
	Segment string `json:"segment,omitempty" yaml:"segment,omitempty"`
	Rule    string `json:"rule,omitempty" yaml:"rule,omitempty"`
	// Offer, when set, narrows the audience to its eligible customers and
	// gives each one its code, within the offer's budget and limits.
	Offer string `json:"offer,omitempty" yaml:"offer,omitempty"`
	// Channels in order of preference: a customer gets the first one with
	// consent, an address, no suppression.
	Channels []string `json:"channels" yaml:"channels"`
	// Templates (Go text/template) of the subject (e-mail), the body and
	// the call script; see Data for the fields.
	Subject string `json:"subject,omitempty" yaml:"subject,omitempty"`
	Body    string `json:"body" yaml:"body"`
	Script  string `json:"script,omitempty" yaml:"script,omitempty"`
	// IncludeGrey sends to customers on the grey list too (default: they
	// are held for review).
	IncludeGrey bool `json:"include_grey,omitempty" yaml:"include_grey,omitempty"`
	// StartAt delays the first send (one-off schedule); zero: at launch. A
	// journey counts trigger events from StartAt on. It is compared with the
	// service's clock (Options.Clock), never the wall clock.
	StartAt time.Time `json:"start_at,omitzero" yaml:"start_at,omitempty"`
	// Trigger, when set, makes the campaign an event-triggered journey.
	Trigger *Trigger `json:"trigger,omitempty" yaml:"trigger,omitempty"`
	// Every, when set, repeats the campaign: each period (from the launch,
	// or StartAt) the audience is evaluated again and messaged once; a
	// customer gets at most one message per period. Zero: one-off.
	Every contact.Duration `json:"every,omitempty" yaml:"every,omitempty"`
	// Measurement (holdout.go, docs/measure.md): the share of the audience
	// held out (nil: the configured default, 10%); an uplift model file
	// scored on the feature table; the value of one conversion.
	HoldoutPercent  *float64 `json:"holdout_percent,omitempty" yaml:"holdout_percent,omitempty"`
	UpliftModel     string   `json:"uplift_model,omitempty" yaml:"uplift_model,omitempty"`
	ConversionValue float64  `json:"conversion_value,omitempty" yaml:"conversion_value,omitempty"`
}

// Item is a recommended item as templates see it.
type Item struct {
	ID    string  `json:"id"`
	Title string  `json:"title"`
	Price float64 `json:"price"`
	URL   string  `json:"url,omitempty"`
}

// OfferData is the offer as templates see it.
type OfferData struct {
	Name       string
	Summary    string
	ValidUntil string // YYYY-MM-DD, the last day it may be used (offer.Offer.LastDay)
}

// Data is what templates see: {{.Name}}, {{.Code}}, {{.Offer.Summary}},
// {{.Unsubscribe}}, {{range .Recommendations}}{{.Title}}{{end}}, ...
type Data struct {
	CustomerID      int64
	Name            string // the customer's "name" attribute, else "first_name", else "customer"
	Email           string
	Code            string
	Offer           OfferData
	Unsubscribe     string // the one-click unsubscribe link
	Recommendations []Item
	Campaign        string
}

// FieldError is a problem with one field of a campaign.
type FieldError struct {
	Campaign, Field, Problem string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("campaign %q: field %q: %s", e.Campaign, e.Field, e.Problem)
}

func (e *FieldError) Unwrap() error { return ErrInvalid }

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Validate checks the campaign; templates are parsed and executed once
// against sample data, so that a field that does not exist is reported
// by name before launch.
func (c *Campaign) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &FieldError{Campaign: c.Name, Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	if !nameRE.MatchString(c.Name) {
		return bad("name", "must be 1-64 of a-z, 0-9, '_', '.', '-', starting with a letter or digit")
	}
	if c.Every != 0 && (c.Every < contact.Duration(time.Minute) || c.Trigger != nil) {
		return bad("every", "a recurring campaign repeats at most every minute, and a journey cannot also recur")
	}
	if c.Trigger != nil {
		if err := c.Trigger.validate(c); err != nil {
			return err
		}
	} else if strings.TrimSpace(c.Segment) == "" && strings.TrimSpace(c.Rule) == "" {
		return bad("segment", "a campaign needs an audience: a segment, a rule or both (or a trigger)")
	}
	if len(c.Channels) == 0 {
		return bad("channels", "name at least one of %s", strings.Join(Channels, ", "))
	}
	seen := map[string]bool{}
	for _, ch := range c.Channels {
		if !slices.Contains(Channels, ch) {
			return bad("channels", "%q is not one of %s", ch, strings.Join(Channels, ", "))
		}
		if seen[ch] {
			return bad("channels", "%q is named twice", ch)
		}
		seen[ch] = true
	}
	if strings.TrimSpace(c.Body) == "" && !(len(c.Channels) == 1 && c.Channels[0] == Call) {
		return bad("body", "a message needs a body")
	}
	if seen[Email] && strings.TrimSpace(c.Subject) == "" {
		return bad("subject", "an e-mail needs a subject")
	}
	if seen[Call] && strings.TrimSpace(c.Script) == "" {
		return bad("script", "a call needs a script")
	}
	if _, err := c.templates(); err != nil {
		return err
	}
	return c.validateMeasurement()
}

// templates parses and test-executes the templates.
type templates struct {
	subject, body, script *template.Template
}

var missingField = regexp.MustCompile(`can't evaluate field (\w+)`)

func (c *Campaign) templates() (templates, error) {
	var t templates
	sample := Data{CustomerID: 1, Name: "Ada", Email: "ada@example.org", Code: "CODE", Offer: OfferData{Name: "o", Summary: "10 off", ValidUntil: "2030-01-01"},
		Unsubscribe: "https://example.org/u", Recommendations: []Item{{ID: "i", Title: "Mug", Price: 5}}, Campaign: c.Name}
	for _, f := range []struct {
		field string
		src   string
		dst   **template.Template
	}{{"subject", c.Subject, &t.subject}, {"body", c.Body, &t.body}, {"script", c.Script, &t.script}} {
		if f.src == "" {
			continue
		}
		tp, err := template.New(f.field).Option("missingkey=error").Parse(f.src)
		if err != nil {
			return t, &FieldError{Campaign: c.Name, Field: f.field, Problem: "template: " + strings.TrimPrefix(err.Error(), "template: ")}
		}
		if err := tp.Execute(&bytes.Buffer{}, sample); err != nil {
			msg := err.Error()
			if m := missingField.FindStringSubmatch(msg); m != nil {
				msg = fmt.Sprintf("the template refers to the field %q, which messages do not have (fields: %s); %s",
					m[1], strings.Join(dataFields, ", "), msg)
			}
			return t, &FieldError{Campaign: c.Name, Field: f.field, Problem: msg}
		}
		*f.dst = tp
	}
	return t, nil
}

var dataFields = []string{"CustomerID", "Name", "Email", "Code", "Offer.Name", "Offer.Summary", "Offer.ValidUntil",
	"Unsubscribe", "Recommendations (ID, Title, Price, URL)", "Campaign"}

// render renders one message's subject, body and script.
func (t templates) render(d *Data, buf *bytes.Buffer) (subject, body, script string, err error) {
	run := func(tp *template.Template) (string, error) {
		if tp == nil {
			return "", nil
		}
		buf.Reset()
		if err := tp.Execute(buf, d); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	if subject, err = run(t.subject); err != nil {
		return
	}
	if body, err = run(t.body); err != nil {
		return
	}
	script, err = run(t.script)
	return
}

// Message is one rendered message to send.
type Message struct {
	Key         string // the idempotency key: campaign/customer/step
	Campaign    string
	Step        string
	CustomerID  int64
	Channel     string
	To          string // e-mail address or phone number; "" for calls
	Subject     string
	Body        string
	Script      string
	Offer       string
	Code        string
	Unsubscribe string // the one-click unsubscribe URL
}

// Sender sends messages of one channel. Send returns one error per
// message (nil: sent; accepted by the next hop). It must honour the
// message Key as an idempotency key where the channel allows. An error
// wrapping ErrPermanent is not retried.
type Sender interface {
	Send(ctx context.Context, msgs []Message) []error
}

// ErrPermanent marks a send that must not be retried (a hard bounce, a
// rejected address).
var ErrPermanent = errors.New("permanent failure")

// Holdout keeps part of an audience out of a campaign, for measurement;
// another package implements it. Nil: no holdout.
type Holdout interface {
	InHoldout(campaign string, customer int64) bool
}

// Recommender fills the recommendations of a message; nil: none.
type Recommender interface {
	Recommend(ctx context.Context, customer int64, n int) ([]Item, error)
}

// Key returns the idempotency key of a delivery.
func Key(campaign string, customer int64, step string) string {
	return fmt.Sprintf("%s/%d/%s", campaign, customer, step)
}
