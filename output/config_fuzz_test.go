package output

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseConfig sets two keys (Report_File aside: checking it creates files) to arbitrary
// values over a valid configuration, and checks: no panic; a refusal is a *KeyError that names
// a key the test set and a value as written; an accepted size or duration is within the
// documented range and, written as whole units, means what it says; and the effective
// configuration line, read back as properties, gives the same configuration.
func FuzzParseConfig(f *testing.F) {
	var keys []string
	defaults := DefaultConfig()
	for _, o := range defaults.options() {
		if o.key != KeyReportFile {
			keys = append(keys, strings.ToLower(o.key))
		}
	}
	for _, s := range [][4]string{
		{KeyMaxPayloadSize, "1.5M", KeyAckTimeout, "1h"},
		{KeyMaxPayloadSize, "64mb", KeyStallTimeout, "off"},
		{KeyMaxPayloadSize, "1k", KeyCatalogRefresh, "0"},
		{KeyReportInterval, "100ms", KeyReportTop, "10000"},
		{KeyForwardAddress, "tcp://[::1]:24224", KeyForwardTLS, "yes"},
		{KeyFieldPreset, "ECS", KeyMessageKey, "message, msg"},
		{KeyNestUnder, "enrich", "Field_Severity", "sev.level"},
		{KeyForwardTagPrefix, "x.", KeyCatalogFile, "/a.csv, /b.json"},
		{KeySink, "Stdout", KeyForwardConns, "64"},
	} {
		f.Add(uint8(slices.Index(keys, strings.ToLower(s[0]))), s[1], uint8(slices.Index(keys, strings.ToLower(s[2]))), s[3])
	}
	f.Fuzz(func(t *testing.T, i1 uint8, v1 string, i2 uint8, v2 string) {
		k1, k2 := keys[int(i1)%len(keys)], keys[int(i2)%len(keys)]
		if k1 == k2 {
			return
		}
		p := props{"forward_address": testAddr, k1: v1, k2: v2}
		c, err := ParseConfig(p)
		if err != nil {
			var ke *KeyError
			if !errors.As(err, &ke) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v (%T) is not a *KeyError", err, err)
			}
			set := false
			for _, k := range strings.Split(strings.ToLower(ke.Key), " and ") {
				set = set || k == k1 || k == k2
			}
			if !set {
				t.Fatalf("error %q names %s, want %s or %s", err, ke.Key, k1, k2)
			}
			if ke.Value != "" && !strings.Contains(p.Get(k1)+"\x00"+p.Get(k2)+"\x00"+testAddr, ke.Value) {
				t.Errorf("error %q quotes %q, which was not written", err, ke.Value)
			}
			return
		}
		for k, v := range map[string]string{k1: strings.TrimSpace(v1), k2: strings.TrimSpace(v2)} {
			checkValue(t, c, k, v)
		}
		back := props{}
		for _, kv := range splitLogged(t, c.String()) {
			back[kv[0]] = kv[1]
		}
		back["forward_shared_key"] = c.SharedKey // redacted in the line
		c2, err := ParseConfig(back)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Errorf("the logged configuration %s reads back as %+v, %v, want %+v", c.String(), c2, err, c)
		}
	})
}

// checkValue checks the meaning of an accepted value v of key k by the README's table.
func checkValue(t *testing.T, c Config, k, v string) {
	t.Helper()
	if v == "" { // the default
		return
	}
	durations := map[string]*time.Duration{"ack_timeout": &c.AckTimeout, "stall_timeout": &c.StallTimeout,
		"catalog_refresh_interval": &c.CatalogRefresh, "report_interval": &c.ReportInterval}
	n, whole := strconv.ParseInt(v, 10, 64)
	switch d := durations[k]; {
	case k == "max_payload_size":
		units := map[string]int64{"": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9}
		num := strings.TrimRight(v, "kKmMgGbB")
		u, ok := units[strings.ToLower(strings.TrimSpace(v[len(num):]))]
		if m, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64); err == nil && ok && int64(c.MaxPayloadSize) != m*u {
			t.Errorf("Max_Payload_Size %q = %d, want %d", v, c.MaxPayloadSize, m*u)
		}
		if c.MaxPayloadSize < MinMaxPayloadSize || c.MaxPayloadSize > MaxMaxPayloadSize {
			t.Errorf("Max_Payload_Size %q = %d accepted, outside 1k to 64M", v, c.MaxPayloadSize)
		}
	case d != nil:
		hi := map[bool]time.Duration{false: 24 * time.Hour, true: time.Hour}[k == "ack_timeout" || k == "stall_timeout"]
		if *d != 0 && (*d < 100*time.Millisecond || *d > hi) || *d == 0 && k == "ack_timeout" {
			t.Errorf("%s %q = %v accepted, outside 100ms to %v", k, v, *d, hi)
		}
		if whole == nil && *d != time.Duration(n)*time.Second {
			t.Errorf("%s %q = %v, want %d whole seconds", k, v, *d, n)
		}
	case k == "forward_connections" || k == "report_top":
		if got := map[bool]int{true: c.ForwardConns, false: c.ReportTop}[k == "forward_connections"]; whole != nil || int64(got) != n {
			t.Errorf("%s %q = %d accepted", k, v, got)
		}
	}
}

// splitLogged splits the effective configuration line into keys and values, unquoting them.
func splitLogged(t *testing.T, line string) [][2]string {
	var kvs [][2]string
	for line != "" {
		k, rest, _ := strings.Cut(line, "=")
		v, end := rest, len(rest)
		if strings.HasPrefix(rest, `"`) {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				t.Fatalf("logged value %s: %v", rest, err)
			}
			v, _ = strconv.Unquote(q)
			end = len(q)
		} else if i := strings.IndexByte(rest, ' '); i >= 0 {
			v, end = rest[:i], i
		}
		kvs = append(kvs, [2]string{k, v})
		line = strings.TrimPrefix(rest[end:], " ")
	}
	return kvs
}
