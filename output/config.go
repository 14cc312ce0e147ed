// Package output is the plugin without its cgo boundary: it parses an
// instance's configuration, builds the engine and the sink, and delivers each
// flushed chunk's records enriched to the sink.
package output

import (
	"cmp"
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

// Getter reads one configuration property of an instance; "" is unset, as
// with Fluent Bit's output_get_property.
type Getter interface {
	Get(key string) string
}

// Sink says where the enriched records go.
type Sink string

// The sinks: back to Fluent Bit's in_forward, or JSON lines for a trial run.
const (
	SinkForward Sink = "forward"
	SinkStdout  Sink = "stdout"
)

// The configuration keys as documented; Fluent Bit ignores their case.
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
	// An in_forward silent for a second is paused (stopping, reloading): retry.
	DefaultStallTimeout   = time.Second
	DefaultMaxPayloadSize = 256 << 10
	// One connection per flush in progress: enough for up to 4 Workers.
	DefaultForwardConns = 4
	MaxForwardConns     = 64
	MaxReportTop        = 10000
	// Below 1 KiB nearly every record would travel alone; in_forward drops
	// payloads above its buffer_max_size (6 MB unless raised).
	MinMaxPayloadSize = 1 << 10
	MaxMaxPayloadSize = 64 << 20
	// A flush, and the exit waiting for it, never hangs a pipeline for more
	// than an hour; below 100ms a loaded receiver could never answer.
	MaxAckTimeout = time.Hour
	MinAckTimeout = 100 * time.Millisecond
	// Catalog_Refresh_Interval and Report_Interval, when not off.
	MaxInterval = 24 * time.Hour
)

// The ranges of the numeric options, as errors state them, from the bounds.
var (
	durationRange = "from " + MinAckTimeout.String() + " to " + strings.TrimSuffix(MaxAckTimeout.String(), "0m0s")
	intervalRange = "from " + MinAckTimeout.String() + " to " + strings.TrimSuffix(MaxInterval.String(), "0m0s")
	sizeRange     = fmt.Sprintf("from %dk to %dM", MinMaxPayloadSize>>10, MaxMaxPayloadSize>>20)
	connsRange    = fmt.Sprintf("from 1 to %d", MaxForwardConns)
	topRange      = fmt.Sprintf("from 1 to %d", MaxReportTop)
)

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// KeyError reports a configuration value that cannot be used.
type KeyError struct {
	Key    string
	Value  string
	Reason string
}

// Error names the key, the value and what is accepted, on one line.
func (e *KeyError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("configuration key %s: %s", e.Key, e.Reason)
	}
	return fmt.Sprintf("configuration key %s: invalid value %q: %s", e.Key, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidConfig) true for every KeyError.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidConfig }

// Config is the validated configuration of one plugin instance: the keys of
// the same names, documented in the README. A zero StallTimeout,
// CatalogRefresh or ReportInterval is off.
type Config struct {
	Engine         enrich.Options // Message_Key, Params, Nest_Under, Overwrite, Field_*
	CatalogFiles   []string       // loaded after the embedded catalog, overriding its IDs
	Sink           Sink
	ForwardAddress string // "unix:///absolute/path" or "tcp://host:port"
	TagPrefix      string // a chunk whose tag already starts with it is a loop
	SharedKey      string
	TLS            bool
	TLSCAFile      string
	TLSVerify      bool
	AckTimeout     time.Duration
	MaxPayloadSize int
	ForwardConns   int           // one per flush in progress: at least the Workers
	StallTimeout   time.Duration // a receiver reading nothing this long ends the delivery
	FieldPreset    string        // "default" or "ecs", the names Engine starts from
	CatalogRefresh time.Duration
	ReportInterval time.Duration // 0: the unknown IDs are reported only at Close
	ReportTop      int
	ReportFile     string // the unknown IDs as a user-catalog CSV
}

// DefaultConfig returns the configuration of the keys not set. ForwardAddress
// has none: a wrong guess would retry forever instead of failing at start.
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

// ParseConfig reads every key through g over the defaults and validates the
// result; the error names the first bad key. Unknown keys go unnoticed:
// Fluent Bit cannot list an instance's properties.
func ParseConfig(g Getter) (Config, error) {
	c := DefaultConfig()
	get := func(key string) (string, bool) {
		v := strings.TrimSpace(g.Get(key))
		return v, v != ""
	}
	var first error
	bools := map[string]bool{"on": true, "true": true, "yes": true, "off": false, "false": false, "no": false}
	fail := func(key, v, reason string) {
		if first == nil {
			first = &KeyError{Key: key, Value: v, Reason: reason}
		}
	}
	// The preset goes first: Message_Key and the Field_* keys change it.
	if v, ok := get(KeyFieldPreset); ok {
		switch c.FieldPreset = strings.ToLower(v); c.FieldPreset {
		case "default":
		case "ecs":
			c.Engine.Fields = enrich.ECSFieldNames()
			// ECS keeps the line in message; log is an object there.
			c.Engine.MessageKeys = []string{"message", "msg", "raw"}
		default:
			fail(KeyFieldPreset, v, "want default or ecs")
		}
	}
	// The keys in the order they are checked. want is what a bad list or
	// number is told; for a duration, that off is accepted too.
	type option struct {
		key  string
		dst  any
		want string
	}
	keys := []option{
		{KeyMessageKey, &c.Engine.MessageKeys, "want a comma-separated list of record keys, such as log,message"},
		{KeyCatalogFile, &c.CatalogFiles, "want a comma-separated list of catalog files (.json or .csv)"},
		{KeyParams, &c.Engine.Params, ""},
		{KeyOverwrite, &c.Engine.Overwrite, ""},
		{KeyNestUnder, &c.Engine.NestUnder, ""},
		{KeyForwardAddress, &c.ForwardAddress, ""},
		{KeyForwardTagPrefix, &c.TagPrefix, ""},
		{KeyForwardSharedKey, &c.SharedKey, ""},
		{KeyForwardTLSCAFile, &c.TLSCAFile, ""},
		{KeyReportFile, &c.ReportFile, ""},
		{KeySink, &c.Sink, "want forward or stdout"},
		{KeyForwardTLS, &c.TLS, ""},
		{KeyForwardTLSVerify, &c.TLSVerify, ""},
		{KeyAckTimeout, &c.AckTimeout, ""},
		{KeyStallTimeout, &c.StallTimeout, ", or off"},
		{KeyCatalogRefresh, &c.CatalogRefresh, ", or off"},
		{KeyReportInterval, &c.ReportInterval, ", or off"},
		{KeyReportTop, &c.ReportTop, "want a whole number " + topRange},
		{KeyMaxPayloadSize, &c.MaxPayloadSize, ""},
		{KeyForwardConns, &c.ForwardConns, "want a whole number " + connsRange},
	}
	for _, f := range c.Engine.Fields.ByOption() {
		keys = append(keys, option{configKey(f.Option), f.Name, ""})
	}
	for _, k := range keys {
		v, ok := get(k.key)
		if !ok {
			continue
		}
		var err error
		switch dst := k.dst.(type) {
		case *string:
			*dst = v
		case *[]string:
			if *dst = splitList(v); len(*dst) == 0 {
				fail(k.key, v, k.want)
			}
		case *Sink:
			if *dst = Sink(strings.ToLower(v)); *dst != SinkForward && *dst != SinkStdout {
				fail(k.key, v, k.want)
			}
		case *bool:
			if *dst, ok = bools[strings.ToLower(v)]; !ok {
				fail(k.key, v, "want on, off, true, false, yes or no")
			}
		case *time.Duration: // a bad value is 0, which is what off means
			if *dst, err = parseDuration(v); err != nil && (k.want == "" || !strings.EqualFold(v, "off")) {
				fail(k.key, v, err.Error()+k.want)
			}
		case *int:
			parse := strconv.Atoi
			if k.key == KeyMaxPayloadSize {
				parse = parseSize
			}
			if *dst, err = parse(v); err != nil {
				fail(k.key, v, cmp.Or(k.want, err.Error()))
			}
		}
	}
	if first != nil {
		return c, first
	}
	return c, c.Validate()
}

// Validate reports the first option whose value cannot be used, naming its key.
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
	if c.ReportFile != "" {
		if st, err := os.Stat(filepath.Dir(c.ReportFile)); err != nil || !st.IsDir() {
			return &KeyError{Key: KeyReportFile, Value: c.ReportFile, Reason: "its directory does not exist"}
		}
	}
	if c.Sink != SinkForward && c.Sink != SinkStdout {
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
		var err error // the client's own parser: Init accepts what it can dial
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
	// The numeric ranges, durations in the first four rows; off is 0.
	day, ms100, hour := int64(MaxInterval), int64(MinAckTimeout), int64(MaxAckTimeout)
	for i, r := range []struct {
		key       string
		n, lo, hi int64
		off       bool
		want      string
	}{
		{KeyCatalogRefresh, int64(c.CatalogRefresh), ms100, day, true, "want 0 (off) or a duration " + intervalRange},
		{KeyReportInterval, int64(c.ReportInterval), ms100, day, true, "want 0 (off) or a duration " + intervalRange},
		{KeyAckTimeout, int64(c.AckTimeout), ms100, hour, false, "want a duration " + durationRange},
		{KeyStallTimeout, int64(c.StallTimeout), ms100, hour, true, "want off or a duration " + durationRange},
		{KeyReportTop, int64(c.ReportTop), 1, MaxReportTop, false, "want a whole number " + topRange},
		{KeyForwardConns, int64(c.ForwardConns), 1, MaxForwardConns, false, "want a whole number " + connsRange},
		{KeyMaxPayloadSize, int64(c.MaxPayloadSize), MinMaxPayloadSize, MaxMaxPayloadSize, false, "want a size " + sizeRange},
	} {
		if (r.n < r.lo || r.n > r.hi) && !(r.off && r.n == 0) {
			v := strconv.FormatInt(r.n, 10)
			if i < 4 {
				v = time.Duration(r.n).String()
			}
			return &KeyError{Key: r.key, Value: v, Reason: r.want}
		}
	}
	return nil
}

// String gives the effective configuration as one log line, the shared key
// redacted.
func (c *Config) String() string {
	sharedKey, stall := "(none)", "off"
	if c.SharedKey != "" {
		sharedKey = "(redacted)"
	}
	if c.StallTimeout != 0 {
		stall = c.StallTimeout.String()
	}
	kv := [][2]string{{KeySink, string(c.Sink)}, {KeyForwardAddress, c.ForwardAddress}, {KeyForwardTagPrefix, c.TagPrefix},
		{KeyForwardSharedKey, sharedKey}, {KeyForwardTLS, onOff(c.TLS)}, {KeyForwardTLSCAFile, c.TLSCAFile},
		{KeyForwardTLSVerify, onOff(c.TLSVerify)}, {KeyAckTimeout, c.AckTimeout.String()}, {KeyStallTimeout, stall},
		{KeyMaxPayloadSize, strconv.Itoa(c.MaxPayloadSize)}, {KeyForwardConns, strconv.Itoa(c.ForwardConns)},
		{KeyMessageKey, strings.Join(c.Engine.MessageKeys, ",")}, {KeyCatalogFile, strings.Join(c.CatalogFiles, ",")},
		{KeyParams, onOff(c.Engine.Params)}, {KeyNestUnder, c.Engine.NestUnder}, {KeyOverwrite, onOff(c.Engine.Overwrite)},
		{KeyFieldPreset, c.FieldPreset}}
	for _, f := range c.Engine.Fields.ByOption() {
		kv = append(kv, [2]string{f.Option, *f.Name})
	}
	kv = append(kv, [][2]string{{KeyCatalogRefresh, c.CatalogRefresh.String()}, {KeyReportInterval, c.ReportInterval.String()},
		{KeyReportTop, strconv.Itoa(c.ReportTop)}, {KeyReportFile, c.ReportFile}}...)
	var b strings.Builder
	for i, p := range kv {
		v := p[1]
		if v == "" || strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToLower(p[0]) + "=" + v)
	}
	return b.String()
}

// configKey is the documented key of an engine option (field_message_id).
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

// parseDuration accepts a Go duration or whole seconds, as Fluent Bit does.
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

// parseSize accepts bytes with an optional k, kb, m, mb, g or gb suffix in
// units of 1024, as Fluent Bit does.
func parseSize(v string) (int, error) {
	num, unit := strings.ToLower(v), int64(1)
	for i, s := range []string{"k", "m", "g"} {
		if t, ok := strings.CutSuffix(strings.TrimSuffix(num, "b"), s); ok {
			num, unit = strings.TrimSpace(t), 1<<(10*(i+1))
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > MaxMaxPayloadSize/unit {
		return 0, errors.New("want a size such as 256k, 1M or a number of bytes, " + sizeRange)
	}
	return int(n * unit), nil
}
