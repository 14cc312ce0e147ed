package enrich

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// FieldNames are the keys under which the engine adds its fields, in the order they are added.
// The tags give each field's default name (its option is field_ and that name) and ECS name.
type FieldNames struct {
	MessageID          string `field:"message_id" ecs:"event.code"`
	Severity           string `field:"severity" ecs:"log.syslog.severity.code"`
	SeverityName       string `field:"severity_name" ecs:"log.syslog.severity.name"`
	Level              string `field:"level" ecs:"log.level"` // the severity name again, "" for none
	DocumentedSeverity string `field:"documented_severity" ecs:"enrich.documented_severity"`
	Explanation        string `field:"explanation" ecs:"enrich.explanation"`
	Action             string `field:"action" ecs:"enrich.action"`
	Product            string `field:"product" ecs:"enrich.product"`
	CatalogID          string `field:"catalog_id" ecs:"enrich.catalog_id"` // the entry's own ID, "" for none
	Params             string `field:"params" ecs:"enrich.params"`
}

// ECSFieldNames returns the Elastic Common Schema preset: the ID and the line's severity
// in ECS fields, the rest under the namespace "enrich" (Elasticsearch reads dots as objects).
func ECSFieldNames() FieldNames { return tagNames("ecs") }

func tagNames(key string) (f FieldNames) {
	for i, o := range f.ByOption() {
		*o.Name = reflect.TypeFor[FieldNames]().Field(i).Tag.Get(key)
	}
	return f
}

// FieldOption is an added field's option and the name it sets.
type FieldOption struct {
	Option string // field_message_id, field_severity, …
	Name   *string
}

// ByOption returns each field name with the option that sets it, in the order fields are added.
func (f *FieldNames) ByOption() (l [numFields]FieldOption) {
	v := reflect.ValueOf(f).Elem()
	for i := range l {
		l[i] = FieldOption{"field_" + v.Type().Field(i).Tag.Get("field"), v.Field(i).Addr().Interface().(*string)}
	}
	return l
}

// Indexes of the added fields, in the order they are appended.
const (
	fMessageID = iota
	fSeverity
	fSeverityName
	fLevel
	fDocumentedSeverity
	fExplanation
	fAction
	fProduct
	fCatalogID
	fParams
	numFields
)

// MaxMessageKeys bounds Options.MessageKeys so that a record's values fit a fixed-size array.
const MaxMessageKeys = 16

// maxNameLen bounds key names so that they fit a str8 header and a table by length.
const maxNameLen = 255

// Options configure an Engine.
type Options struct {
	// MessageKeys are the keys whose values are searched for a message ID, in order of
	// preference; by default log, message, msg and raw (in_syslog's raw_message_key).
	MessageKeys []string
	Fields      FieldNames // the names of the added fields
	Params      bool       // add a map of the message's variables, read by the entry's documented format
	NestUnder   string     // when set, the key of a map that holds every added field
	// Overwrite replaces existing keys named as an added field (or NestUnder); without it those are not added.
	Overwrite bool
}

// DefaultOptions returns the options used when nothing is configured: the documented
// default field names, which add no level and no catalog ID.
func DefaultOptions() Options {
	o := Options{MessageKeys: []string{"log", "message", "msg", "raw"}, Fields: tagNames("field")}
	o.Fields.Level, o.Fields.CatalogID = "", ""
	return o
}

// ErrInvalidOptions matches, with errors.Is, every error Validate returns.
var ErrInvalidOptions = errors.New("invalid enrich options")

// OptionError is an option Validate refuses, and the option its value clashes with, if any.
type OptionError struct {
	Options []string // message_key, nest_under, field_*: one, or the two that clash
	Value   string
	Reason  string
}

func (e *OptionError) Error() string {
	s := fmt.Sprintf("%v: %s: ", ErrInvalidOptions, strings.Join(e.Options, " and "))
	if e.Value != "" {
		s += fmt.Sprintf("%q ", e.Value)
	}
	return s + e.Reason
}

// Is makes errors.Is(err, ErrInvalidOptions) true for every OptionError.
func (e *OptionError) Is(target error) bool { return target == ErrInvalidOptions }

// Validate reports the first unusable option as an *OptionError.
func (o Options) Validate() error {
	if len(o.MessageKeys) == 0 || len(o.MessageKeys) > MaxMessageKeys {
		return &OptionError{Options: []string{"message_key"}, Reason: fmt.Sprintf("%d keys given, want 1 to %d", len(o.MessageKeys), MaxMessageKeys)}
	}
	// Message keys and the nest key share the top level with the fields, unless those are nested.
	var claims []FieldOption
	for i := range o.MessageKeys {
		claims = append(claims, FieldOption{"message_key", &o.MessageKeys[i]})
	}
	if o.NestUnder != "" {
		claims = append(claims, FieldOption{"nest_under", &o.NestUnder}, FieldOption{}) // then a new level
	}
	for i, f := range o.Fields.ByOption() {
		if *f.Name != "" || i != fLevel && i != fCatalogID { // an optional field without a name is not added
			claims = append(claims, f)
		}
	}
	used := map[string]string{}
	for _, c := range claims {
		if c.Name == nil {
			used = map[string]string{}
			continue
		}
		reason := ""
		switch name, prev := *c.Name, used[*c.Name]; {
		case name == "":
			reason = "empty name"
		case len(name) > maxNameLen:
			reason = fmt.Sprintf("longer than %d bytes", maxNameLen)
		case strings.ContainsFunc(name, unicode.IsControl): // a tab or an ESC is a mistake too
			reason = "contains a control character"
		case c.Option == "message_key" && name[0] == '$': // as Fluent Bit's filters take it
			reason = "a key starting with $ is a record accessor: give the top-level key itself ($log is log)"
		case c.Option != "message_key" && (name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..")):
			// A record's own keys may be anything; Elasticsearch refuses such an added field.
			reason = "starts or ends with a dot, or has two dots in a row, which Elasticsearch refuses"
		case prev == c.Option:
			reason = "listed twice"
		case prev != "":
			return &OptionError{Options: []string{prev, c.Option}, Value: name, Reason: "cannot have the same name"}
		default:
			used[name] = c.Option
			continue
		}
		return &OptionError{Options: []string{c.Option}, Value: *c.Name, Reason: reason}
	}
	// Elasticsearch reads a dotted name as a path: a key that is a leading part of it
	// holds a value where the path needs an object, so the field could never be added.
	for _, f := range o.Fields.ByOption() {
		for _, p := range parents(*f.Name) {
			if prev, ok := used[p]; ok { // with NestUnder, used holds the nested fields only
				return &OptionError{Options: []string{prev, f.Option}, Value: p, Reason: "is a value in the record, so " + *f.Name + " cannot go inside it"}
			}
		}
	}
	for _, k := range o.MessageKeys {
		for _, p := range parents(k) {
			if prev := used[p]; o.NestUnder == "" && prev != "" && prev != "message_key" {
				return &OptionError{Options: []string{prev, "message_key"}, Value: p, Reason: "cannot be added beside " + k + ", which Elasticsearch reads as inside it"}
			}
		}
	}
	for _, k := range o.MessageKeys {
		// Elasticsearch merges a key inside the nest key into its map: it must not take a field's place there.
		rest, inside := strings.CutPrefix(k, o.NestUnder+".")
		for _, f := range o.Fields.ByOption() {
			if n := *f.Name; inside && o.NestUnder != "" && n != "" &&
				(rest == n || strings.HasPrefix(rest, n+".") || strings.HasPrefix(n, rest+".")) {
				return &OptionError{Options: []string{f.Option, "message_key"}, Value: k, Reason: "is inside " + o.NestUnder + ", where Elasticsearch would merge it with the added " + n}
			}
		}
	}
	for _, p := range parents(o.NestUnder) {
		if slices.Contains(o.MessageKeys, p) {
			return &OptionError{Options: []string{"message_key", "nest_under"}, Value: p, Reason: "is a value in the record, so " + o.NestUnder + " cannot go inside it"}
		}
	}
	return nil
}

// parents returns the leading parts of a dotted name (a and a.b of a.b.c).
func parents(name string) (ps []string) {
	for i := 1; i < len(name); i++ {
		if name[i] == '.' {
			ps = append(ps, name[:i])
		}
	}
	return ps
}
