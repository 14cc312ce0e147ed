// Package output is the plugin without its cgo boundary: it parses an
// instance's configuration, builds the engine and the sink, and delivers each
// flushed chunk's records enriched to the sink.
package output

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/forward"
	"github.com/enrich-plugin/enrich/report"
)

// Getter reads one configuration property of an instance, "" when unset, as output_get_property does.
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

// The configuration keys as documented; Fluent Bit ignores their case. configKey spells
// the other Field_* keys.
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
)

// Defaults and bounds of the options that callers name; options has the others.
const (
	DefaultMaxPayloadSize = 256_000
	// One connection per flush in progress: enough for up to 4 Workers.
	DefaultForwardConns = 4
	// Below 1 kB nearly every record would travel alone; in_forward drops
	// payloads above its buffer_max_size (6 MB unless raised).
	MinMaxPayloadSize = 1_000
	MaxMaxPayloadSize = 64_000_000
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

// Config is the validated configuration of one plugin instance: the keys of the same names, documented
// in the README. A zero StallTimeout, CatalogRefresh or ReportInterval is off.
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
	c := Config{Engine: enrich.DefaultOptions()}
	for _, o := range c.options() {
		if o.def != nil {
			reflect.ValueOf(o.dst).Elem().Set(reflect.ValueOf(o.def))
		}
	}
	return c
}

// option is a configuration key, the field it sets and the field's default (nil: the engine's, or
// the zero value). want is what a bad value is told; a number must lie in lo..hi, or be 0 (off)
// when off is set.
type option struct {
	key    string
	dst    any
	def    any
	want   string
	lo, hi int64
	off    bool
}

// options lists c's keys in the order they are read and logged. The preset
// goes before Message_Key and the Field_* keys, which change it.
func (c *Config) options() []option {
	// A flush, and the exit waiting for it, never hangs a pipeline for more than
	// an hour; below 100ms a loaded receiver could never answer.
	ms, hour, day := int64(100*time.Millisecond), int64(time.Hour), int64(24*time.Hour)
	dur := func(hi int64) string {
		return "want a duration such as 10s, 500ms or whole seconds, from 100ms to " +
			strings.TrimSuffix(time.Duration(hi).String(), "0m0s")
	}
	ack, every := dur(hour), dur(day)+", or off"
	whole := func(hi int64) string { return fmt.Sprintf("want a whole number from 1 to %d", hi) }
	size := fmt.Sprintf("want a size such as 256k, 1.5M or a number of bytes, from %dk to %dM",
		MinMaxPayloadSize/1_000, MaxMaxPayloadSize/1_000_000)
	opts := []option{
		{key: KeySink, dst: &c.Sink, def: SinkForward},
		{key: KeyForwardAddress, dst: &c.ForwardAddress},
		{key: KeyForwardTagPrefix, dst: &c.TagPrefix, def: "enriched."},
		{key: KeyForwardSharedKey, dst: &c.SharedKey},
		{key: KeyForwardTLS, dst: &c.TLS},
		{key: KeyForwardTLSCAFile, dst: &c.TLSCAFile},
		{key: KeyForwardTLSVerify, dst: &c.TLSVerify, def: true},
		{KeyAckTimeout, &c.AckTimeout, 10 * time.Second, ack, ms, hour, false},
		// An in_forward silent for a second is paused (stopping, reloading): retry.
		{KeyStallTimeout, &c.StallTimeout, time.Second, ack + ", or off", ms, hour, true},
		{KeyMaxPayloadSize, &c.MaxPayloadSize, DefaultMaxPayloadSize, size, MinMaxPayloadSize, MaxMaxPayloadSize, false},
		{KeyForwardConns, &c.ForwardConns, DefaultForwardConns, whole(64), 1, 64, false},
		{key: KeyFieldPreset, dst: &c.FieldPreset, def: "default", want: "want default or ecs"},
		{key: KeyMessageKey, dst: &c.Engine.MessageKeys,
			want: "want a comma-separated list of record keys, such as log,message"},
		{key: KeyCatalogFile, dst: &c.CatalogFiles,
			want: "want a comma-separated list of catalog files (.json or .csv)"},
		{key: KeyParams, dst: &c.Engine.Params},
		{key: KeyNestUnder, dst: &c.Engine.NestUnder},
		{key: KeyOverwrite, dst: &c.Engine.Overwrite},
	}
	for _, f := range c.Engine.Fields.ByOption() {
		opts = append(opts, option{key: configKey(f.Option), dst: f.Name})
	}
	return append(opts, option{KeyCatalogRefresh, &c.CatalogRefresh, time.Minute, every, ms, day, true},
		option{KeyReportInterval, &c.ReportInterval, 10 * time.Minute, every, ms, day, true},
		option{KeyReportTop, &c.ReportTop, 20, whole(10000), 1, 10000, false},
		option{key: KeyReportFile, dst: &c.ReportFile})
}

// ParseConfig reads every key through g over the defaults and validates the result; the error
// names the first bad key. Unknown keys go unnoticed: Fluent Bit cannot list an instance's properties.
func ParseConfig(g Getter) (Config, error) {
	c, raw := DefaultConfig(), map[string]string{}
	bools := map[string]bool{"on": true, "true": true, "yes": true, "off": false, "false": false, "no": false}
	for _, o := range c.options() {
		v := strings.TrimSpace(g.Get(o.key))
		if v == "" { // unset, or set empty: a ${VAR} left empty keeps the default
			continue
		}
		if o.key == KeyForwardSharedKey { // as in_forward takes its own: quotes, '#' and a ${VAR}'s ending newline too
			v = g.Get(o.key)
		} else if why := literalSyntax(v); why != "" {
			return c, &KeyError{Key: o.key, Value: v, Reason: why}
		}
		raw[o.key] = v
		ok, err := true, error(nil)
		switch dst := o.dst.(type) {
		case *string:
			*dst = v
			if o.key == KeyFieldPreset {
				c.FieldPreset = strings.ToLower(v)
				ok = Preset(&c.Engine, c.FieldPreset)
			}
		case *[]string:
			*dst = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					*dst = append(*dst, s)
				}
			}
			ok = len(*dst) > 0
		case *Sink: // Validate checks it: a bad Params or the like is reported first
			*dst = Sink(strings.ToLower(v))
		case *bool:
			if *dst, ok = bools[strings.ToLower(v)]; !ok {
				o.want = "want on, off, true, false, yes or no"
			}
		case *time.Duration: // a bad value is 0, which is what off means
			lv := v // one unit letter in either case, as Fluent Bit reads times: 10S, 5M, 1H and 1D
			if u := strings.TrimLeft(v, "0123456789."); len(u) == 1 {
				lv = strings.ToLower(v)
			}
			*dst, err = time.ParseDuration(lv)
			if days, ok := strings.CutSuffix(lv, "d"); ok {
				if n, e := strconv.ParseUint(days, 10, 16); e == nil {
					*dst, err = time.Duration(n)*24*time.Hour, nil
				}
			}
			if n, e := strconv.ParseUint(v, 10, 32); e == nil { // whole seconds, as Fluent Bit reads them
				*dst, err = time.Duration(n)*time.Second, nil
			}
			ok = err == nil || (o.off && strings.EqualFold(v, "off"))
		case *int:
			if o.key == KeyMaxPayloadSize {
				*dst, ok = parseSize(v)
			} else {
				*dst, err = strconv.Atoi(v)
				ok = err == nil
			}
		}
		if !ok {
			return c, &KeyError{Key: o.key, Value: v, Reason: o.want}
		}
	}
	err := c.Validate()
	if ke := (*KeyError)(nil); errors.As(err, &ke) && raw[ke.Key] != "" {
		ke.Value = raw[ke.Key] // as written, not as read: 0, not 0s
	}
	return c, err
}

// literalSyntax says why v, or an item of it, holds syntax that Fluent Bit passed on as text, ""
// when none does: a YAML null, which reaches the plugin as written, or a comment or quotes, which
// the classic format and -p keep. Items are checked so that the logged list reads back the same.
func literalSyntax(v string) string {
	for _, s := range append(strings.Split(v, ","), v) {
		switch s = strings.TrimSpace(s); {
		case s == "~" || strings.EqualFold(s, "null"):
			return "is a YAML null, which Fluent Bit passes on as this text: leave the key out for its default"
		case strings.HasPrefix(s, "#") || strings.Contains(s, " #") || strings.Contains(s, "\t#"):
			return "holds a comment, which the classic format keeps as part of the value: put comments on lines of their own"
		case len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0]:
			return "is in quotes, which the classic format keeps as part of the value: write it without them"
		}
	}
	return ""
}

// Preset applies a Field_Preset (default or ecs) to default options o, and reports whether name is one.
func Preset(o *enrich.Options, name string) bool {
	if name == "ecs" {
		o.Fields = enrich.ECSFieldNames()
		// ECS keeps the line in message; log is an object there.
		o.MessageKeys = []string{"message", "msg", "raw"}
	}
	return name == "default" || name == "ecs"
}

// ValidatePreset reports an option of o that the preset name leaves no place for, as an *enrich.OptionError.
func ValidatePreset(name string, o enrich.Options) error {
	if name == "ecs" && o.NestUnder != "" {
		return &enrich.OptionError{Options: []string{"nest_under", "field_preset"}, Value: o.NestUnder,
			Reason: "cannot go with the ecs preset, whose fields have their own places"}
	}
	return nil
}

// Validate reports the first option whose value cannot be used, naming its key.
func (c *Config) Validate() error {
	var oe *enrich.OptionError
	if errors.As(c.Engine.Validate(), &oe) || errors.As(ValidatePreset(c.FieldPreset, c.Engine), &oe) {
		// Of two clashing names either may be the one the user set, so both keys are named.
		keys := make([]string, len(oe.Options))
		for i, o := range oe.Options {
			keys[i] = configKey(o)
		}
		return &KeyError{Key: strings.Join(keys, " and "), Value: oe.Value, Reason: oe.Reason}
	}
	addr, aerr := forward.ParseAddress(c.ForwardAddress) // the client's parser: Init accepts what it dials
	report := ReportFileProblem(c.ReportFile, c.CatalogFiles)
	for _, e := range []struct {
		bad                bool
		key, value, reason string
	}{
		{report != "", KeyReportFile, c.ReportFile, report},
		{c.Sink != SinkForward && c.Sink != SinkStdout, KeySink, string(c.Sink), "want forward or stdout"},
		{c.TagPrefix == "" || len(c.TagPrefix) > 255 || strings.ContainsAny(c.TagPrefix, " \t\r\n"), KeyForwardTagPrefix, c.TagPrefix,
			"want a non-empty tag prefix of at most 255 bytes without spaces, such as enriched."},
		{c.Sink == SinkForward && c.ForwardAddress == "", KeyForwardAddress, "", "required with Sink forward: " +
			"the in_forward listener, such as unix:///run/fluent-bit/enrich.sock or tcp://127.0.0.1:24224"},
		{aerr != nil && c.ForwardAddress != "", KeyForwardAddress, c.ForwardAddress, fmt.Sprint(aerr)},
		{c.TLS && addr.Network != "tcp", KeyForwardTLS, "on", "TLS needs a tcp:// " + KeyForwardAddress},
		{c.TLSCAFile != "" && !c.TLS, KeyForwardTLSCAFile, c.TLSCAFile, "set while " + KeyForwardTLS + " is off"},
		{!c.TLSVerify && !c.TLS, KeyForwardTLSVerify, "off", "set while " + KeyForwardTLS + " is off"},
	} {
		if e.bad {
			return &KeyError{Key: e.key, Value: e.value, Reason: e.reason}
		}
	}
	for _, o := range c.options() {
		v := reflect.ValueOf(o.dst).Elem()
		if o.hi > 0 && (v.Int() < o.lo || v.Int() > o.hi) && !(o.off && v.IsZero()) {
			return &KeyError{Key: o.key, Value: fmt.Sprint(v), Reason: o.want}
		}
	}
	return nil
}

// String gives the effective configuration as one log line, the shared key redacted.
func (c *Config) String() string {
	var kv []string
	for _, o := range c.options() {
		v := fmt.Sprint(reflect.ValueOf(o.dst).Elem())
		switch dst := o.dst.(type) {
		case *bool:
			v = map[bool]string{false: "off", true: "on"}[*dst]
		case *[]string:
			v = strings.Join(*dst, ",")
		}
		if o.key == KeyForwardSharedKey {
			v = map[bool]string{false: "(none)", true: "(redacted)"}[v != ""]
		}
		if o.off && v == "0s" {
			v = "off"
		}
		if v == "" || strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		kv = append(kv, strings.ToLower(o.key)+"="+v)
	}
	return strings.Join(kv, " ")
}

// configKey is the documented key of an engine option: field_message_id is Field_Message_ID.
func configKey(option string) string {
	words := strings.Split(option, "_")
	for i, w := range words {
		words[i] = strings.ToUpper(w[:min(1, len(w))]) + w[min(1, len(w)):]
		if w == "id" {
			words[i] = "ID"
		}
	}
	return strings.Join(words, "_")
}

// parseSize reads a size as Fluent Bit does (flb_utils_size_to_bytes): a number of bytes,
// or a decimal number with k, kb, m, mb, g or gb in units of 1000, so that 6M here is
// in_forward's 6M.
func parseSize(v string) (int, bool) {
	num, unit := strings.ToLower(v), 1.0
	for i, s := range []string{"k", "m", "g"} {
		if t, ok := strings.CutSuffix(strings.TrimSuffix(num, "b"), s); ok {
			num, unit = strings.TrimSpace(t), math.Pow(1000, float64(i+1))
			break
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || strings.Trim(num, "0123456789.") != "" || n*unit > MaxMaxPayloadSize {
		return 0, false
	}
	return int(n * unit), true
}

// IsCatalogFile reports whether path names one of the catalogs, however either is spelt: a
// report written there would replace the entries completed there with rows that do not load.
func IsCatalogFile(path string, catalogs []string) bool {
	fi, _ := os.Stat(path)
	return slices.ContainsFunc(catalogs, func(cf string) bool {
		cfi, _ := os.Stat(cf) // SameFile is false for a file that Stat could not read
		return fileKey(cf) == fileKey(path) || os.SameFile(fi, cfi)
	})
}

// ReportFileProblem says why Report_File cannot be written, "" when it can or is unset: the
// report is written to a new file beside it, then renamed over it.
func ReportFileProblem(path string, catalogs []string) string {
	if path == "" {
		return ""
	}
	if IsCatalogFile(path, catalogs) {
		return "is also a " + KeyCatalogFile + "; write the report elsewhere and load the completed copy"
	}
	if strings.EqualFold(filepath.Ext(path), ".json") { // LoadFile reads a .json file as JSON
		return "the report is CSV: give it a .csv name, so that the completed file loads as a " + KeyCatalogFile
	}
	name, fi, err := report.Resolve(path) // where the report is written
	switch {
	case err != nil:
		return err.Error()
	case strings.HasSuffix(path, "/") || fi != nil && fi.IsDir():
		return "names a directory; want a file path"
	case fi != nil && !fi.Mode().IsRegular(): // a device or FIFO: the report would replace it
		return "is not a regular file; want a file path"
	}
	dir := filepath.Dir(name)
	di, err := os.Stat(dir)
	if err != nil || !di.IsDir() {
		return "its directory does not exist"
	}
	// In a sticky directory the kernel lets only root and the owners of the file or the directory rename over it.
	if uid := uint32(os.Geteuid()); fi != nil && di.Mode()&os.ModeSticky != 0 && uid != 0 &&
		fi.Sys().(*syscall.Stat_t).Uid != uid && di.Sys().(*syscall.Stat_t).Uid != uid {
		return "is another user's file in a sticky directory: only its owner, the directory's or root can replace it"
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return "cannot create a file in its directory: " + err.Error()
	}
	f.Close()
	os.Remove(f.Name())
	return ""
}
