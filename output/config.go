// Package output is the plugin's logic without the cgo boundary: it parses
// and validates the configuration Fluent Bit passes to an instance, builds
// the engine and the sink, and turns each flushed chunk into enriched
// records delivered to the sink. The plugin package only translates between
// Fluent Bit's C calls and this package.
package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/forward"
)

// Getter reads one configuration property of an instance. It returns ""
// for a property that is not set, as Fluent Bit's output_get_property does,
// so an unset key and an empty value cannot be told apart.
type Getter interface {
	Get(key string) string
}

// Sink says where the enriched records go.
type Sink string

// The sinks. SinkForward hands the records back to Fluent Bit's in_forward;
// SinkStdout writes them as JSON lines for trying a configuration out.
const (
	SinkForward Sink = "forward"
	SinkStdout  Sink = "stdout"
)

// The configuration keys, spelled as the documentation spells them. Fluent
// Bit matches keys case-insensitively, so users may write them in any case.
const (
	KeyMessageKey       = "Message_Key"
	KeyCatalogFile      = "Catalog_File"
	KeyParams           = "Params"
	KeyNestUnder        = "Nest_Under"
	KeyOverwrite        = "Overwrite"
	KeySink             = "Sink"
	KeyForwardAddress   = "Forward_Address"
	KeyForwardTagPrefix = "Forward_Tag_Prefix"
	KeyForwardSharedKey = "Forward_Shared_Key"
	KeyForwardTLS       = "Forward_TLS"
	KeyForwardTLSCAFile = "Forward_TLS_CA_File"
	KeyForwardTLSVerify = "Forward_TLS_Verify"
	KeyAckTimeout       = "Ack_Timeout"
	KeyMaxPayloadSize   = "Max_Payload_Size"
	KeyForwardConns     = "Forward_Connections"
	KeyStallTimeout     = "Stall_Timeout"
	KeyCatalogRefresh   = "Catalog_Refresh_Interval"
	KeyReportInterval   = "Report_Interval"
	KeyReportTop        = "Report_Top"
	KeyReportFile       = "Report_File"
	KeyFieldPreset      = "Field_Preset"

	KeyFieldMessageID          = "Field_Message_ID"
	KeyFieldSeverity           = "Field_Severity"
	KeyFieldSeverityName       = "Field_Severity_Name"
	KeyFieldDocumentedSeverity = "Field_Documented_Severity"
	KeyFieldExplanation        = "Field_Explanation"
	KeyFieldAction             = "Field_Action"
	KeyFieldProduct            = "Field_Product"
	KeyFieldParams             = "Field_Params"
	KeyFieldLevel              = "Field_Level"
	KeyFieldCatalogID          = "Field_Catalog_ID"
)

// Defaults and bounds of the numeric options.
const (
	DefaultTagPrefix  = "enriched."
	DefaultAckTimeout = 10 * time.Second
	// DefaultStallTimeout: a running in_forward reads a payload within
	// milliseconds, so one that reads nothing for a second is paused
	// (Fluent Bit stopping or reloading) and the chunk is better retried.
	DefaultStallTimeout   = time.Second
	DefaultMaxPayloadSize = 256 << 10
	// DefaultForwardConns matches up to 4 Workers: each flush in progress
	// holds one connection while it waits for its acknowledgements.
	DefaultForwardConns = 4
	// MaxForwardConns bounds Forward_Connections to what a receiver can be
	// expected to accept from one output.
	MaxForwardConns = 64
	// MaxReportTop bounds Report_Top, the message IDs a report tracks.
	MaxReportTop = 10000

	// MinMaxPayloadSize and MaxMaxPayloadSize bound Max_Payload_Size: below
	// 1 KiB nearly every record would travel alone, and in_forward drops
	// payloads larger than its buffer_max_size (6 MB unless raised).
	MinMaxPayloadSize = 1 << 10
	MaxMaxPayloadSize = 64 << 20

	// MaxAckTimeout bounds Ack_Timeout so that a flush, and the exit that
	// waits for it, cannot hang a pipeline for longer than an hour.
	MaxAckTimeout = time.Hour
	// MinAckTimeout keeps Ack_Timeout above what a loaded receiver needs
	// to answer at all: a smaller value would turn every flush into a
	// retry without any error at start.
	MinAckTimeout = 100 * time.Millisecond
)

// The ranges of the numeric options, as errors state them.
var (
	durationRange = "from " + MinAckTimeout.String() + " to " + strings.TrimSuffix(MaxAckTimeout.String(), "0m0s")
	sizeRange     = fmt.Sprintf("from %dk to %dM", MinMaxPayloadSize>>10, MaxMaxPayloadSize>>20)
	connsRange    = fmt.Sprintf("from 1 to %d", MaxForwardConns)
	topRange      = fmt.Sprintf("from 1 to %d", MaxReportTop)
)

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// KeyError reports a configuration value that cannot be used, naming the key,
// the value and what is accepted.
type KeyError struct {
	Key    string
	Value  string
	Reason string
}

// Error names the key, the value given and what is accepted, on one line.
func (e *KeyError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("configuration key %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("configuration key %s: invalid value %q: %s", e.Key, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidConfig) true for every KeyError.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidConfig }

// Config is the validated configuration of one plugin instance.
type Config struct {
	// Engine holds the recogniser and record-field options: Message_Key,
	// Params, Nest_Under, Overwrite and the Field_* names.
	Engine enrich.Options
	// CatalogFiles are user catalogs loaded after the embedded one; their
	// entries override built-in entries with the same ID.
	CatalogFiles []string

	Sink Sink
	// ForwardAddress is "unix:///absolute/path" or "tcp://host:port".
	ForwardAddress string
	// TagPrefix is put in front of the chunk's tag when the records are
	// handed back; a chunk whose tag already starts with it is a loop.
	TagPrefix      string
	SharedKey      string
	TLS            bool
	TLSCAFile      string
	TLSVerify      bool
	AckTimeout     time.Duration
	MaxPayloadSize int
	// ForwardConns is the most connections the forward sink opens: one per
	// flush in progress, so it should be at least the output's Workers.
	ForwardConns int
	// StallTimeout ends a delivery early, to be retried, when the receiver
	// reads none of what waits for it for this long; 0 is off.
	StallTimeout time.Duration
	// FieldPreset is "default" or "ecs", the field names Engine starts from.
	FieldPreset string
	// CatalogRefresh is how often the CatalogFiles are checked for changes;
	// 0 is never.
	CatalogRefresh time.Duration
	// ReportInterval is how often the unknown message IDs are reported (0:
	// only at Close), ReportTop how many are tracked, ReportFile where they
	// are also written as a user-catalog CSV ("": nowhere).
	ReportInterval time.Duration
	ReportTop      int
	ReportFile     string
}

// DefaultConfig returns the configuration used for every key that is not set.
// ForwardAddress has no default: a guessed socket path that does not match
// the in_forward listener would retry forever instead of failing at start.
func DefaultConfig() Config {
	return Config{
		Engine:         enrich.DefaultOptions(),
		Sink:           SinkForward,
		TagPrefix:      DefaultTagPrefix,
		TLSVerify:      true,
		AckTimeout:     DefaultAckTimeout,
		MaxPayloadSize: DefaultMaxPayloadSize,
		ForwardConns:   DefaultForwardConns,
		StallTimeout:   DefaultStallTimeout,
		FieldPreset:    "default",
		CatalogRefresh: time.Minute,
		ReportInterval: 10 * time.Minute,
		ReportTop:      20,
	}
}

// ParseConfig reads every key through g, applies the defaults for the keys
// that are not set and validates the result. The error names the first key
// whose value cannot be used and what it accepts. Keys the plugin does not
// know cannot be detected, because Fluent Bit offers no way to list an
// instance's properties.
func ParseConfig(g Getter) (Config, error) {
	c := DefaultConfig()
	p := parser{g: g}

	// The preset goes first: Message_Key and the Field_* keys change it.
	if v, ok := p.str(KeyFieldPreset); ok {
		switch c.FieldPreset = strings.ToLower(v); c.FieldPreset {
		case "default":
		case "ecs":
			c.Engine.Fields = enrich.ECSFieldNames()
			// ECS keeps the line in message; log is an object there.
			c.Engine.MessageKeys = []string{"message", "msg", "raw"}
		default:
			p.fail(&KeyError{Key: KeyFieldPreset, Value: v, Reason: "want default or ecs"})
		}
	}

	if v, ok := p.str(KeyMessageKey); ok {
		keys := splitList(v)
		if len(keys) == 0 {
			return c, &KeyError{Key: KeyMessageKey, Value: v, Reason: "want a comma-separated list of record keys, such as log,message"}
		}
		c.Engine.MessageKeys = keys
	}
	if v, ok := p.str(KeyCatalogFile); ok {
		c.CatalogFiles = splitList(v)
		if len(c.CatalogFiles) == 0 {
			p.fail(&KeyError{Key: KeyCatalogFile, Value: v, Reason: "want a comma-separated list of catalog files (.json or .csv)"})
		}
	}
	p.boolean(KeyParams, &c.Engine.Params)
	p.boolean(KeyOverwrite, &c.Engine.Overwrite)
	// Any text is a valid value of these keys; Validate checks them.
	text := map[string]*string{KeyNestUnder: &c.Engine.NestUnder, KeyForwardAddress: &c.ForwardAddress,
		KeyForwardTagPrefix: &c.TagPrefix, KeyForwardSharedKey: &c.SharedKey, KeyForwardTLSCAFile: &c.TLSCAFile,
		KeyReportFile: &c.ReportFile}
	for _, f := range c.Engine.Fields.ByOption() {
		text[configKey(f.Option)] = f.Name
	}
	for key, dst := range text {
		if v, ok := p.str(key); ok {
			*dst = v
		}
	}
	if v, ok := p.str(KeySink); ok {
		switch s := Sink(strings.ToLower(v)); s {
		case SinkForward, SinkStdout:
			c.Sink = s
		default:
			p.fail(&KeyError{Key: KeySink, Value: v, Reason: "want forward or stdout"})
		}
	}
	p.boolean(KeyForwardTLS, &c.TLS)
	p.boolean(KeyForwardTLSVerify, &c.TLSVerify)
	if v, ok := p.str(KeyAckTimeout); ok {
		d, err := parseDuration(v)
		if err != nil {
			p.fail(&KeyError{Key: KeyAckTimeout, Value: v, Reason: err.Error()})
		}
		c.AckTimeout = d
	}
	for key, dst := range map[string]*time.Duration{KeyStallTimeout: &c.StallTimeout,
		KeyCatalogRefresh: &c.CatalogRefresh, KeyReportInterval: &c.ReportInterval} {
		if v, ok := p.str(key); ok {
			if strings.EqualFold(v, "off") {
				*dst = 0
			} else if d, err := parseDuration(v); err != nil {
				p.fail(&KeyError{Key: key, Value: v, Reason: err.Error() + ", or off"})
			} else {
				*dst = d
			}
		}
	}
	if v, ok := p.str(KeyReportTop); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail(&KeyError{Key: KeyReportTop, Value: v, Reason: "want a whole number " + topRange})
		}
		c.ReportTop = n
	}
	if v, ok := p.str(KeyMaxPayloadSize); ok {
		n, err := parseSize(v)
		if err != nil {
			p.fail(&KeyError{Key: KeyMaxPayloadSize, Value: v, Reason: err.Error()})
		}
		c.MaxPayloadSize = n
	}
	if v, ok := p.str(KeyForwardConns); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			p.fail(&KeyError{Key: KeyForwardConns, Value: v, Reason: "want a whole number " + connsRange})
		}
		c.ForwardConns = n
	}
	if p.err != nil {
		return c, p.err
	}
	return c, c.Validate()
}

// Validate reports the first option whose value cannot be used, naming its
// key. ParseConfig calls it; callers that build a Config in code should too.
func (c *Config) Validate() error {
	var oe *enrich.OptionError
	if errors.As(c.Engine.Validate(), &oe) {
		// Of two clashing names either may be the one the user set (the
		// other keeping its default), so both keys are named.
		keys := make([]string, len(oe.Options))
		for i, o := range oe.Options {
			keys[i] = configKey(o)
		}
		return &KeyError{Key: strings.Join(keys, " and "), Value: oe.Value, Reason: oe.Reason}
	}
	if c.FieldPreset == "ecs" && c.Engine.NestUnder != "" {
		return &KeyError{Key: KeyNestUnder, Value: c.Engine.NestUnder, Reason: "set with Field_Preset ecs, whose fields have their own places"}
	}
	for key, d := range map[string]time.Duration{KeyCatalogRefresh: c.CatalogRefresh, KeyReportInterval: c.ReportInterval} {
		if d != 0 && (d < MinAckTimeout || d > 24*time.Hour) {
			return &KeyError{Key: key, Value: d.String(), Reason: "want 0 (off) or a duration from 100ms to 24h"}
		}
	}
	if c.ReportTop < 1 || c.ReportTop > MaxReportTop {
		return &KeyError{Key: KeyReportTop, Value: strconv.Itoa(c.ReportTop), Reason: "want a whole number " + topRange}
	}
	if c.ReportFile != "" {
		if st, err := os.Stat(filepath.Dir(c.ReportFile)); err != nil || !st.IsDir() {
			return &KeyError{Key: KeyReportFile, Value: c.ReportFile, Reason: "its directory does not exist"}
		}
	}
	switch c.Sink {
	case SinkForward, SinkStdout:
	default:
		return &KeyError{Key: KeySink, Value: string(c.Sink), Reason: "want forward or stdout"}
	}
	if c.TagPrefix == "" || strings.ContainsAny(c.TagPrefix, " \t\r\n") {
		return &KeyError{Key: KeyForwardTagPrefix, Value: c.TagPrefix, Reason: "want a non-empty tag prefix without spaces, such as enriched."}
	}
	if c.Sink == SinkForward && c.ForwardAddress == "" {
		return &KeyError{Key: KeyForwardAddress, Reason: "required with Sink forward: the in_forward listener, such as unix:///run/fluent-bit/enrich.sock or tcp://127.0.0.1:24224"}
	}
	var addr forward.Address
	if c.ForwardAddress != "" {
		// The forward client's own parser: what Init accepts is what the
		// client can dial.
		var err error
		if addr, err = forward.ParseAddress(c.ForwardAddress); err != nil {
			return &KeyError{Key: KeyForwardAddress, Value: c.ForwardAddress, Reason: err.Error()}
		}
	}
	if c.TLS && addr.Network == "unix" {
		return &KeyError{Key: KeyForwardTLS, Value: "on", Reason: "TLS needs a tcp:// " + KeyForwardAddress}
	}
	if c.TLSCAFile != "" && !c.TLS {
		return &KeyError{Key: KeyForwardTLSCAFile, Value: c.TLSCAFile, Reason: "set while " + KeyForwardTLS + " is off"}
	}
	if c.AckTimeout < MinAckTimeout || c.AckTimeout > MaxAckTimeout {
		return &KeyError{Key: KeyAckTimeout, Value: c.AckTimeout.String(), Reason: "want a duration " + durationRange}
	}
	if c.StallTimeout != 0 && (c.StallTimeout < MinAckTimeout || c.StallTimeout > MaxAckTimeout) {
		return &KeyError{Key: KeyStallTimeout, Value: c.StallTimeout.String(), Reason: "want off or a duration " + durationRange}
	}
	if c.ForwardConns < 1 || c.ForwardConns > MaxForwardConns {
		return &KeyError{Key: KeyForwardConns, Value: strconv.Itoa(c.ForwardConns), Reason: "want a whole number " + connsRange}
	}
	if c.MaxPayloadSize < MinMaxPayloadSize || c.MaxPayloadSize > MaxMaxPayloadSize {
		return &KeyError{Key: KeyMaxPayloadSize, Value: strconv.Itoa(c.MaxPayloadSize), Reason: "want a size " + sizeRange}
	}
	return nil
}

// String gives the effective configuration as one log line. The shared key
// is never printed, only whether one is set.
func (c *Config) String() string {
	var b strings.Builder
	kv := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		if v == "" || strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		b.WriteString(v)
	}
	sharedKey, stall := "(none)", "off"
	if c.SharedKey != "" {
		sharedKey = "(redacted)"
	}
	if c.StallTimeout != 0 {
		stall = c.StallTimeout.String()
	}
	kv(KeySink, string(c.Sink))
	kv(KeyForwardAddress, c.ForwardAddress)
	kv(KeyForwardTagPrefix, c.TagPrefix)
	kv(KeyForwardSharedKey, sharedKey)
	kv(KeyForwardTLS, onOff(c.TLS))
	kv(KeyForwardTLSCAFile, c.TLSCAFile)
	kv(KeyForwardTLSVerify, onOff(c.TLSVerify))
	kv(KeyAckTimeout, c.AckTimeout.String())
	kv(KeyStallTimeout, stall)
	kv(KeyMaxPayloadSize, strconv.Itoa(c.MaxPayloadSize))
	kv(KeyForwardConns, strconv.Itoa(c.ForwardConns))
	kv(KeyMessageKey, strings.Join(c.Engine.MessageKeys, ","))
	kv(KeyCatalogFile, strings.Join(c.CatalogFiles, ","))
	kv(KeyParams, onOff(c.Engine.Params))
	kv(KeyNestUnder, c.Engine.NestUnder)
	kv(KeyOverwrite, onOff(c.Engine.Overwrite))
	kv(KeyFieldPreset, c.FieldPreset)
	for _, f := range c.Engine.Fields.ByOption() {
		kv(f.Option, *f.Name)
	}
	kv(KeyCatalogRefresh, c.CatalogRefresh.String())
	kv(KeyReportInterval, c.ReportInterval.String())
	kv(KeyReportTop, strconv.Itoa(c.ReportTop))
	kv(KeyReportFile, c.ReportFile)
	return b.String()
}

// configKey is the key, as documented, of an engine option named in lower
// case (field_message_id is Field_Message_ID).
func configKey(option string) string {
	for _, k := range []string{KeyMessageKey, KeyNestUnder, KeyFieldMessageID, KeyFieldSeverity, KeyFieldSeverityName,
		KeyFieldDocumentedSeverity, KeyFieldExplanation, KeyFieldAction, KeyFieldProduct, KeyFieldParams,
		KeyFieldLevel, KeyFieldCatalogID} {
		if strings.EqualFold(k, option) {
			return k
		}
	}
	return option
}

// parser keeps the first error so that ParseConfig reads as a list of keys.
type parser struct {
	g   Getter
	err error
}

func (p *parser) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// str returns the trimmed value of key and whether it is set.
func (p *parser) str(key string) (string, bool) {
	v := strings.TrimSpace(p.g.Get(key))
	return v, v != ""
}

func (p *parser) boolean(key string, dst *bool) {
	v, ok := p.str(key)
	if !ok {
		return
	}
	switch strings.ToLower(v) {
	case "on", "true", "yes":
		*dst = true
	case "off", "false", "no":
		*dst = false
	default:
		p.fail(&KeyError{Key: key, Value: v, Reason: "want on, off, true, false, yes or no"})
	}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// parseDuration accepts a Go duration ("10s", "1m30s", "500ms") or a whole
// number of seconds, as Fluent Bit's own time options do.
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errors.New("want a duration such as 10s, 500ms or a whole number of seconds, " + durationRange)
	}
	return d, nil
}

// parseSize accepts a number of bytes with an optional k, kb, m, mb, g or gb
// suffix in any case, in units of 1024 as Fluent Bit's size options do.
func parseSize(v string) (int, error) {
	want := "want a size such as 256k, 1M or a number of bytes, " + sizeRange
	num, unit := v, int64(1)
	lower := strings.ToLower(v)
	for _, s := range []struct {
		suffix string
		unit   int64
	}{{"kb", 1 << 10}, {"k", 1 << 10}, {"mb", 1 << 20}, {"m", 1 << 20}, {"gb", 1 << 30}, {"g", 1 << 30}} {
		if strings.HasSuffix(lower, s.suffix) {
			num, unit = strings.TrimSpace(v[:len(v)-len(s.suffix)]), s.unit
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > MaxMaxPayloadSize/unit {
		return 0, errors.New(want)
	}
	return int(n * unit), nil
}
