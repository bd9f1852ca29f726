package identity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sagitta-dev/sagitta/internal/store"
)

// Rule names how a field's value is chosen among the sources' observations.
type Rule string

const (
	// RuleLatest takes the most recently observed valid value.
	RuleLatest Rule = "latest"
	// RulePriority takes the valid value of the highest-priority source;
	// sources not listed rank after the listed ones, by recency.
	RulePriority Rule = "priority"
)

// Validator checks a raw value and returns its normalized form, or a problem.
type Validator func(raw string, now time.Time) (value string, problem string)

// FieldPolicy decides one attribute.
type FieldPolicy struct {
	Rule     Rule
	Sources  []string // priority order, for RulePriority
	Validate Validator
}

// Policy holds the field policies; fields not listed use Default.
type Policy struct {
	Fields  map[string]FieldPolicy
	Default FieldPolicy
}

// For returns the policy of a field.
func (p Policy) For(field string) FieldPolicy {
	if fp, ok := p.Fields[field]; ok {
		return fp
	}
	return p.Default
}

// DefaultPolicy validates e-mail, phone, birth date, gender and consent-free
// attributes and lets the freshest valid value win.
func DefaultPolicy() Policy {
	return Policy{
		Default: FieldPolicy{Rule: RuleLatest},
		Fields: map[string]FieldPolicy{
			"email":      {Rule: RuleLatest, Validate: validateEmail},
			"phone":      {Rule: RuleLatest, Validate: validatePhone},
			"birth_date": {Rule: RuleLatest, Validate: validatePastDate},
			"gender":     {Rule: RuleLatest, Validate: validateGender},
			"country":    {Rule: RuleLatest, Validate: validateNotBlank},
		},
	}
}

// WithPriority returns p with field decided by source priority.
func (p Policy) WithPriority(field string, sources ...string) Policy {
	fields := make(map[string]FieldPolicy, len(p.Fields)+1)
	for k, v := range p.Fields {
		fields[k] = v
	}
	fp := p.For(field)
	fp.Rule = RulePriority
	fp.Sources = sources
	fields[field] = fp
	p.Fields = fields
	return p
}

func validateEmail(raw string, _ time.Time) (string, string) {
	v, err := NormalizeEmail(raw)
	if err != nil {
		return "", err.Error()
	}
	return v, ""
}

func validatePhone(raw string, _ time.Time) (string, string) {
	v, err := NormalizePhone(raw)
	if err != nil {
		return "", err.Error()
	}
	return v, ""
}

func validatePastDate(raw string, now time.Time) (string, string) {
	d, err := time.Parse("2006-01-02", strings.TrimSpace(raw))
	if err != nil {
		return "", "not a date of the form YYYY-MM-DD"
	}
	if d.After(now) {
		return "", "date is in the future"
	}
	if d.Year() < 1900 {
		return "", "date is before 1900"
	}
	return d.Format("2006-01-02"), ""
}

var genders = map[string]string{
	"f": "female", "female": "female", "w": "female", "woman": "female", "女": "female",
	"m": "male", "male": "male", "man": "male", "男": "male",
	"x": "other", "other": "other", "diverse": "other", "nonbinary": "other", "non-binary": "other",
}

func validateGender(raw string, _ time.Time) (string, string) {
	if v, ok := genders[strings.ToLower(strings.TrimSpace(raw))]; ok {
		return v, ""
	}
	return "", "not one of female, male, other"
}

func validateNotBlank(raw string, _ time.Time) (string, string) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return "", "blank"
	}
	return v, ""
}

// choose picks the winning observation of one field, or false when none is valid.
func (fp FieldPolicy) choose(obs []store.Observation) (store.Observation, bool) {
	var best store.Observation
	found := false
	rank := func(src string) int {
		if fp.Rule != RulePriority {
			return 0
		}
		if i := slices.Index(fp.Sources, src); i >= 0 {
			return i
		}
		return len(fp.Sources)
	}
	for _, o := range obs {
		if !o.Valid {
			continue
		}
		if !found {
			best, found = o, true
			continue
		}
		ro, rb := rank(o.Source), rank(best.Source)
		switch {
		case ro < rb:
			best = o
		case ro > rb:
		case o.ObservedAt.After(best.ObservedAt):
			best = o
		case o.ObservedAt.Equal(best.ObservedAt) && o.Source < best.Source:
			best = o
		}
	}
	return best, found
}

func (fp FieldPolicy) ruleName() string {
	if fp.Rule == RulePriority {
		return fmt.Sprintf("priority(%s)", strings.Join(fp.Sources, ">"))
	}
	return string(RuleLatest)
}
