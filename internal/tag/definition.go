package tag

import (
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sagitta-dev/sagitta/internal/rule"
)

// Kind classifies a tag, as the source documents do.
type Kind string

// Tag kinds.
const (
	Attribute  Kind = "attribute"
	Event      Kind = "event"
	Behaviour  Kind = "behaviour"
	Preference Kind = "preference"
	Model      Kind = "model"
)

// Kinds lists the tag kinds.
func Kinds() []Kind { return []Kind{Attribute, Event, Behaviour, Preference, Model} }

// Definition is a tag as written by a person.
type Definition struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Kind        Kind   `json:"kind"`
	Rule        string `json:"rule"`

	Pos Pos `json:"-"` // where it was read from; zero when not from a file
}

// Pos is where a definition was read from, to point errors at the file.
type Pos struct {
	File      string
	Line      int // line of the tag's entry
	RuleLine  int // line where the rule's text starts
	RuleCol   int // column where the rule's text starts (plain or quoted one-line rules)
	RuleBlock bool
}

// Error is a problem with one tag definition, located in its file when it
// came from one.
type Error struct {
	File string
	Line int // 0 when unknown
	Col  int
	Tag  string
	Err  error // a *rule.Error for a rule problem
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, "%d:", e.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Tag != "" {
		fmt.Fprintf(&b, "tag %q: ", e.Tag)
	}
	var re *rule.Error
	if errors.As(e.Err, &re) {
		fmt.Fprintf(&b, "rule: %s", re.Error())
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ruleError places a rule error in the definition's file.
func (d Definition) ruleError(err error) *Error {
	e := &Error{File: d.Pos.File, Line: d.Pos.Line, Tag: d.Name, Err: err}
	var re *rule.Error
	if errors.As(err, &re) && d.Pos.RuleLine > 0 && re.Line > 0 {
		e.Line = d.Pos.RuleLine + re.Line - 1
		if d.Pos.RuleBlock {
			e.Line++ // the text starts below the | or > indicator
		} else if re.Line == 1 {
			e.Col = d.Pos.RuleCol + re.Column - 1
		}
	}
	return e
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// check validates a definition on its own (not its rule).
func (d Definition) check() error {
	switch {
	case !nameRE.MatchString(d.Name):
		return fmt.Errorf("name %q must be lower_snake_case: a letter, then letters, digits or _ (at most 63)", d.Name)
	case rule.Reserved(d.Name):
		return fmt.Errorf("name %q is a word of the rule language", d.Name)
	case strings.TrimSpace(d.Rule) == "":
		return errors.New("rule is missing")
	}
	for _, k := range Kinds() {
		if d.Kind == k {
			return nil
		}
	}
	return fmt.Errorf("kind %q must be one of attribute, event, behaviour, preference, model", d.Kind)
}

//go:embed builtin.yaml
var builtinYAML []byte

// Builtin returns the built-in tags (the embedded builtin.yaml).
func Builtin() []Definition {
	defs, err := Parse("builtin.yaml", builtinYAML)
	if err != nil {
		panic("tag: builtin.yaml: " + err.Error()) // a test guards it
	}
	return defs
}

// BuiltinFile returns the text of builtin.yaml, to be copied and edited.
func BuiltinFile() []byte { return append([]byte(nil), builtinYAML...) }

var fields = map[string]bool{"name": true, "description": true, "kind": true, "rule": true}

// Parse reads tag definitions from YAML or JSON (JSON is YAML): a list of
// tags, a mapping with a "tags" list, or one tag. Errors name the file and
// line; all problems found are returned together. Rules are compiled later,
// against the schema.
func Parse(file string, data []byte) ([]Definition, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Err: fmt.Errorf("cannot parse: %w", err)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: file, Err: errors.New("no tags")}
	}
	root := doc.Content[0]
	var items []*yaml.Node
	switch {
	case root.Kind == yaml.SequenceNode:
		items = root.Content
	case root.Kind == yaml.MappingNode && value(root, "tags") != nil:
		for i := 0; i < len(root.Content); i += 2 {
			if k := root.Content[i].Value; k != "tags" {
				return nil, &Error{File: file, Line: root.Content[i].Line, Err: fmt.Errorf("unknown field %q (expected tags)", k)}
			}
		}
		list := value(root, "tags")
		if list.Kind != yaml.SequenceNode {
			return nil, &Error{File: file, Line: list.Line, Err: errors.New("tags must be a list")}
		}
		items = list.Content
	case root.Kind == yaml.MappingNode:
		items = []*yaml.Node{root}
	default:
		return nil, &Error{File: file, Line: root.Line, Err: errors.New("expected a list of tags")}
	}
	var (
		defs []Definition
		errs []error
		seen = map[string]int{}
	)
	for _, it := range items {
		d, err := parseItem(file, it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if line, ok := seen[d.Name]; ok {
			errs = append(errs, &Error{File: file, Line: d.Pos.Line, Tag: d.Name, Err: fmt.Errorf("defined twice (first on line %d)", line)})
			continue
		}
		seen[d.Name] = d.Pos.Line
		defs = append(defs, d)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(defs) == 0 {
		return nil, &Error{File: file, Err: errors.New("no tags")}
	}
	return defs, nil
}

func value(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func parseItem(file string, it *yaml.Node) (Definition, error) {
	if it.Kind != yaml.MappingNode {
		return Definition{}, &Error{File: file, Line: it.Line, Err: errors.New("a tag must be a mapping with name, description, kind and rule")}
	}
	d := Definition{Pos: Pos{File: file, Line: it.Line}}
	for i := 0; i+1 < len(it.Content); i += 2 {
		k, v := it.Content[i], it.Content[i+1]
		if !fields[k.Value] {
			return d, &Error{File: file, Line: k.Line, Tag: d.Name, Err: fmt.Errorf("unknown field %q (fields: name, description, kind, rule)", k.Value)}
		}
		if v.Kind != yaml.ScalarNode {
			return d, &Error{File: file, Line: v.Line, Tag: d.Name, Err: fmt.Errorf("%s must be a text", k.Value)}
		}
		switch k.Value {
		case "name":
			d.Name = v.Value
		case "description":
			d.Description = v.Value
		case "kind":
			d.Kind = Kind(v.Value)
		case "rule":
			d.Rule = v.Value
			d.Pos.RuleLine, d.Pos.RuleCol = v.Line, v.Column
			switch v.Style {
			case yaml.LiteralStyle, yaml.FoldedStyle:
				d.Pos.RuleBlock = true
			case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
				d.Pos.RuleCol++
			}
		}
	}
	if err := d.check(); err != nil {
		return d, &Error{File: file, Line: d.Pos.Line, Tag: d.Name, Err: err}
	}
	return d, nil
}
