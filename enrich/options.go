package enrich

import (
	"errors"
	"fmt"
	"strings"
)

// FieldNames are the keys under which the engine adds its fields.
type FieldNames struct {
	MessageID          string
	Severity           string
	SeverityName       string
	Level              string // the severity name again, "" for none (log.level in ECS)
	DocumentedSeverity string
	Explanation        string
	Action             string
	Product            string
	CatalogID          string // the catalog entry's own ID, "" for none
	Params             string
}

// DefaultFieldNames returns the documented default field names.
func DefaultFieldNames() FieldNames {
	return FieldNames{
		MessageID:          "message_id",
		Severity:           "severity",
		SeverityName:       "severity_name",
		DocumentedSeverity: "documented_severity",
		Explanation:        "explanation",
		Action:             "action",
		Product:            "product",
		Params:             "params",
	}
}

// ECSFieldNames returns the field names of the Elastic Common Schema
// preset: the ID and the line's severity in ECS fields, the rest under
// the custom namespace "enrich". Elasticsearch reads the dots as objects.
func ECSFieldNames() FieldNames {
	return FieldNames{
		MessageID:          "event.code",
		Severity:           "log.syslog.severity.code",
		SeverityName:       "log.syslog.severity.name",
		Level:              "log.level",
		DocumentedSeverity: "enrich.documented_severity",
		Explanation:        "enrich.explanation",
		Action:             "enrich.action",
		Product:            "enrich.product",
		CatalogID:          "enrich.catalog_id",
		Params:             "enrich.params",
	}
}

// FieldOption is an added field's option and the name it sets.
type FieldOption struct {
	Option string // field_message_id, field_severity, …
	Name   *string
}

// ByOption returns each field name with the option that sets it, in the
// order the fields are added to a record.
func (f *FieldNames) ByOption() [numFields]FieldOption {
	return [numFields]FieldOption{
		{"field_message_id", &f.MessageID},
		{"field_severity", &f.Severity},
		{"field_severity_name", &f.SeverityName},
		{"field_level", &f.Level},
		{"field_documented_severity", &f.DocumentedSeverity},
		{"field_explanation", &f.Explanation},
		{"field_action", &f.Action},
		{"field_product", &f.Product},
		{"field_catalog_id", &f.CatalogID},
		{"field_params", &f.Params},
	}
}

// list returns the field names with their options, in the order the
// fields are added to a record.
func (f FieldNames) list() (l [numFields]namedField) {
	for i, o := range f.ByOption() {
		l[i] = namedField{o.Option, *o.Name}
	}
	return l
}

type namedField struct{ option, name string }

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

// MaxMessageKeys bounds Options.MessageKeys so that a record's message
// values can be tracked in a fixed-size array without allocating.
const MaxMessageKeys = 16

// maxNameLen bounds key names so that they always fit a str8 header and a
// record's keys can be compared by length without allocating.
const maxNameLen = 255

// Options configure an Engine.
type Options struct {
	// MessageKeys are the record keys whose values are searched for a
	// message ID, in order of preference. The default is log, message, msg
	// and raw (the key suggested for in_syslog's raw_message_key).
	MessageKeys []string
	// Fields are the names of the added fields.
	Fields FieldNames
	// Params adds a map of the message's variables, extracted with a
	// matcher compiled once per catalog entry from its documented format.
	Params bool
	// NestUnder, when set, puts every added field in a map under this key
	// instead of at the top level of the record.
	NestUnder string
	// Overwrite replaces existing keys that have the same name as an added
	// field (or as NestUnder). Without it such fields are not added.
	Overwrite bool
}

// DefaultOptions returns the options used when nothing is configured.
func DefaultOptions() Options {
	return Options{
		MessageKeys: []string{"log", "message", "msg", "raw"},
		Fields:      DefaultFieldNames(),
	}
}

// ErrInvalidOptions matches, with errors.Is, every error Validate returns.
var ErrInvalidOptions = errors.New("invalid enrich options")

// OptionError is an option Validate refuses, naming it and the option its
// value clashes with, if any.
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
	// Message keys and the nest key share the top level of a record with
	// the fields, unless those are nested.
	used := map[string]string{}
	claim := func(option, name string) error {
		reason := ""
		switch prev, dup := used[name]; {
		case name == "":
			reason = "empty name"
		case len(name) > maxNameLen:
			reason = fmt.Sprintf("longer than %d bytes", maxNameLen)
		case strings.ContainsAny(name, "\x00\r\n"):
			reason = "contains a control character"
		case dup && prev == option:
			reason = "listed twice"
		case dup:
			return &OptionError{Options: []string{prev, option}, Value: name, Reason: "cannot have the same name"}
		default:
			used[name] = option
			return nil
		}
		return &OptionError{Options: []string{option}, Value: name, Reason: reason}
	}
	for _, k := range o.MessageKeys {
		if err := claim("message_key", k); err != nil {
			return err
		}
	}
	if o.NestUnder != "" {
		if err := claim("nest_under", o.NestUnder); err != nil {
			return err
		}
		used = map[string]string{}
	}
	for _, f := range o.Fields.list() {
		if f.name == "" && (f.option == "field_level" || f.option == "field_catalog_id") {
			continue // not added
		}
		if err := claim(f.option, f.name); err != nil {
			return err
		}
	}
	if o.NestUnder != "" {
		return nil
	}
	// Elasticsearch reads a dotted name as a path: a key of the record that
	// is one of its leading parts holds a value where the path needs an
	// object, so the field could never be added.
	for _, f := range o.Fields.list() {
		for i := strings.IndexByte(f.name, '.'); i > 0; i = next(f.name, i) {
			if prev, ok := used[f.name[:i]]; ok {
				return &OptionError{Options: []string{prev, f.option}, Value: f.name[:i], Reason: "is a value in the record, so " + f.name + " cannot go inside it"}
			}
		}
	}
	return nil
}

// next returns the index of the dot after the one at i, or -1.
func next(s string, i int) int {
	if j := strings.IndexByte(s[i+1:], '.'); j >= 0 {
		return i + 1 + j
	}
	return -1
}
