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
	DocumentedSeverity string
	Explanation        string
	Action             string
	Product            string
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

// list returns the field names with the option name that sets each, in
// the order the fields are added to a record.
func (f FieldNames) list() [numFields]namedField {
	return [numFields]namedField{
		{"field_message_id", f.MessageID},
		{"field_severity", f.Severity},
		{"field_severity_name", f.SeverityName},
		{"field_documented_severity", f.DocumentedSeverity},
		{"field_explanation", f.Explanation},
		{"field_action", f.Action},
		{"field_product", f.Product},
		{"field_params", f.Params},
	}
}

type namedField struct{ option, name string }

// Indexes of the added fields, in the order they are appended.
const (
	fMessageID = iota
	fSeverity
	fSeverityName
	fDocumentedSeverity
	fExplanation
	fAction
	fProduct
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

// ErrInvalidOptions is wrapped by every error Validate returns.
var ErrInvalidOptions = errors.New("invalid enrich options")

// Validate reports the first unusable option, naming it.
func (o Options) Validate() error {
	if len(o.MessageKeys) == 0 {
		return fmt.Errorf("%w: message_key: at least one key is required", ErrInvalidOptions)
	}
	if len(o.MessageKeys) > MaxMessageKeys {
		return fmt.Errorf("%w: message_key: %d keys given, at most %d are supported", ErrInvalidOptions, len(o.MessageKeys), MaxMessageKeys)
	}
	seen := make(map[string]string, len(o.MessageKeys)+numFields+1)
	for _, k := range o.MessageKeys {
		if err := checkName("message_key", k); err != nil {
			return err
		}
		if _, dup := seen[k]; dup {
			return fmt.Errorf("%w: message_key: %q is listed twice", ErrInvalidOptions, k)
		}
		seen[k] = "message_key"
	}
	if o.NestUnder != "" {
		if err := checkName("nest_under", o.NestUnder); err != nil {
			return err
		}
		if prev, dup := seen[o.NestUnder]; dup {
			return fmt.Errorf("%w: nest_under: %q is also used by %s", ErrInvalidOptions, o.NestUnder, prev)
		}
	}
	// Field names share one namespace with each other; at the top level
	// they must also differ from the message keys, which they would
	// otherwise replace or shadow.
	fields := make(map[string]string, numFields)
	for _, f := range o.Fields.list() {
		if err := checkName(f.option, f.name); err != nil {
			return err
		}
		if prev, dup := fields[f.name]; dup {
			return fmt.Errorf("%w: %s: %q is also used by %s", ErrInvalidOptions, f.option, f.name, prev)
		}
		fields[f.name] = f.option
		if prev, dup := seen[f.name]; dup && o.NestUnder == "" {
			return fmt.Errorf("%w: %s: %q is also used by %s", ErrInvalidOptions, f.option, f.name, prev)
		}
	}
	return nil
}

func checkName(option, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: %s: empty name", ErrInvalidOptions, option)
	case len(name) > maxNameLen:
		return fmt.Errorf("%w: %s: name is %d bytes long, at most %d are supported", ErrInvalidOptions, option, len(name), maxNameLen)
	case strings.ContainsAny(name, "\x00\r\n"):
		return fmt.Errorf("%w: %s: %q contains a control character", ErrInvalidOptions, option, name)
	}
	return nil
}
