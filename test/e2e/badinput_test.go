package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/enrich-plugin/enrich/forward/forwardtest"
	"github.com/enrich-plugin/enrich/output"
)

func mustPack(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatalf("pack %v: %v", v, err)
	}
	return b
}

// legacyEntry appends [time, body] with time already encoded.
func legacyEntry(b, time, body []byte) []byte {
	b = append(b, 0x92)
	b = append(b, time...)
	return append(b, body...)
}

// marker appends a group start (0xFFFFFFFF) or end (0xFFFFFFFE) record.
func marker(b []byte, sec uint32) []byte {
	b = eventHeader(append(b, 0x92), sec)
	return append(b, 0x80)
}

// TestBadInput drives chunks Fluent Bit should never produce, and some it
// does produce but rarely, through the C host to the forward sink. Every
// case must return FLB_OK (nothing to retry: what can be parsed is
// delivered, enriched or untouched, and the rest is passed on under
// enrich_unparsed_base64), never crash, and say what it skipped.
func TestBadInput(t *testing.T) {
	const noText = "none of the Message_Key keys" // a message that is not text is said once
	good := chunk(knownLine)
	two := chunk(knownLine, noIDLine)
	huge := knownLine + " " + strings.Repeat("x", 1<<20)
	manyKeys := map[string]any{"log": knownLine}
	for i := 0; i < 10000; i++ {
		manyKeys[fmt.Sprintf("k%05d", i)] = i
	}
	type want struct {
		logs     []string // the log values of the records delivered, in order
		enriched int      // how many of them carry message_id
		unparsed []byte   // bytes passed on under enrich_unparsed_base64, nil for none
		warn     string   // a warning line must contain this
	}
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		want want
	}{
		{"truncated", func(t *testing.T) []byte { return two[:len(two)-7] },
			want{logs: []string{knownLine}, enriched: 1, unparsed: two[len(good) : len(two)-7], warn: "malformed"}},
		{"not msgpack", func(t *testing.T) []byte { return []byte{0xc1, 0xc1, 0xc1, 0x00} },
			want{unparsed: []byte{0xc1, 0xc1, 0xc1, 0x00}, warn: "malformed"}},
		{"record not an array", func(t *testing.T) []byte {
			return append(mustPack(t, map[string]any{"log": knownLine}), good...)
		}, want{logs: []string{knownLine}, enriched: 1, unparsed: mustPack(t, map[string]any{"log": knownLine}), warn: output.UnparsedKey}},
		{"body not a map", func(t *testing.T) []byte {
			return append(entry(nil, mustPack(t, "a string body")), good...)
		}, want{logs: []string{knownLine}, enriched: 1, unparsed: entry(nil, mustPack(t, "a string body")), warn: output.UnparsedKey}},
		{"numeric message", func(t *testing.T) []byte { return entry(nil, mustPack(t, map[string]any{"log": 722051})) },
			want{logs: []string{"722051"}, warn: noText}},
		{"nil message", func(t *testing.T) []byte { return entry(nil, mustPack(t, map[string]any{"log": nil})) },
			want{logs: []string{"<nil>"}, warn: noText}},
		{"nested message", func(t *testing.T) []byte {
			return entry(nil, mustPack(t, map[string]any{"log": map[string]any{"inner": knownLine}}))
		}, want{logs: []string{fmt.Sprint(map[string]any{"inner": knownLine})}, warn: noText}},
		{"bin message", func(t *testing.T) []byte { return entry(nil, mustPack(t, map[string]any{"log": []byte(knownLine)})) },
			want{logs: []string{knownLine}, enriched: 1}},
		{"invalid utf-8", func(t *testing.T) []byte {
			return entry(nil, mustPack(t, map[string]any{"log": "%FTD-6-722051: \xff\xfe broken"}))
		}, want{logs: []string{"%FTD-6-722051: \xff\xfe broken"}, enriched: 1}},
		{"1 MiB message", func(t *testing.T) []byte { return append(entry(nil, logBody(huge)), good...) },
			want{logs: []string{huge, knownLine}, enriched: 2}},
		{"non-string keys", func(t *testing.T) []byte {
			return entry(nil, mustPack(t, map[any]any{int64(1): "one", true: "yes", "log": knownLine}))
		}, want{logs: []string{knownLine}, enriched: 1}},
		{"10000 keys", func(t *testing.T) []byte { return entry(nil, mustPack(t, manyKeys)) },
			want{logs: []string{knownLine}, enriched: 1}},
		{"group markers", func(t *testing.T) []byte {
			b := marker(nil, 0xFFFFFFFF)
			b = append(b, good...)
			return marker(b, 0xFFFFFFFE)
		}, want{logs: []string{"<nil>", knownLine, "<nil>"}, enriched: 1}},
		{"legacy timestamps", func(t *testing.T) []byte {
			b := legacyEntry(nil, mustPack(t, int64(1718000000)), logBody(knownLine))
			return legacyEntry(b, mustPack(t, 1718000000.25), logBody(noIDLine))
		}, want{logs: []string{knownLine, noIDLine}, enriched: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := forwardtest.NewServer(t, forwardtest.Options{Network: "unix"})
			data := tt.data(t)
			path := writeChunk(t, data)
			r := runHost(t, forwardInstance("A", srv, "log_level=debug")+
				fmt.Sprintf("flush A app %s\nexitctx A\n", path), nil)
			r.ok(t)
			if got := r.inits["A"]; got != flbOK {
				t.Fatalf("init = %d, want FLB_OK", got)
			}
			if f := r.flushOf("A", "app"); f.ok != 1 {
				t.Errorf("flush = %+v, want the defined return code FLB_OK", f)
			}

			var logs []string
			enriched := 0
			var unparsed []byte
			for _, rec := range srv.Records() {
				if v, ok := rec.Body[output.UnparsedKey]; ok {
					b, err := base64.StdEncoding.DecodeString(fmt.Sprint(v))
					if err != nil {
						t.Fatalf("%s: %v", output.UnparsedKey, err)
					}
					unparsed = append(unparsed, b...)
					continue
				}
				switch v := rec.Body["log"].(type) {
				case []byte:
					logs = append(logs, string(v))
				default:
					logs = append(logs, fmt.Sprint(v))
				}
				if _, ok := rec.Body["message_id"]; ok {
					enriched++
				}
			}
			if !reflect.DeepEqual(logs, tt.want.logs) {
				t.Errorf("records delivered with log values %.80q, want %.80q", logs, tt.want.logs)
			}
			if enriched != tt.want.enriched {
				t.Errorf("%d records enriched, want %d", enriched, tt.want.enriched)
			}
			if !bytes.Equal(unparsed, tt.want.unparsed) {
				t.Errorf("bytes passed on unparsed = %x, want %x", unparsed, tt.want.unparsed)
			}
			if tt.want.warn != "" {
				if got := r.logsWith("warn", tt.want.warn); len(got) != 1 {
					t.Errorf("warnings with %q: %q, want one that says what was skipped", tt.want.warn, got)
				}
			} else {
				if got := r.logsWith("warn", ""); len(got) != 0 {
					t.Errorf("warnings %q, want none", got)
				}
				if got := len(r.logsWith("debug", "flushed tag")); got != 1 {
					t.Errorf("%d debug lines carry the counters, want 1", got)
				}
			}
			if len(r.other) != 0 {
				t.Errorf("crash output:\n%s", strings.Join(r.other, "\n"))
			}
		})
	}
}
