package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/output"
)

// FuzzLine checks that any line gives exactly one valid JSON output line,
// that the scanner takes the JSON objects encoding/json takes (in valid
// UTF-8), and that such a record keeps every key and value.
func FuzzLine(f *testing.F) {
	for _, s := range []string{
		ftdLine,
		`{"log":"` + ftdLine + `","n":18446744073709551615,"f":1.0}`,
		`{"a":[1,{"b":null}],"a":"x","log":"\u0041\ud800"}`,
		`{"log":1e400}`, `{}`, `{`, `{"a":01}`, `{"a":"\x01"}`, "  {\"date\":true}  ", "",
	} {
		f.Add(s)
	}
	eng := newTestEngine(f)
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		var out bytes.Buffer
		l := newLineEnricher(eng, enrich.DefaultOptions(), &out)
		if err := l.file("-", strings.NewReader(line+"\n")); err != nil {
			t.Fatalf("file: %v", err)
		}
		if err := l.flush(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
			t.Fatalf("output %q is not one line", got)
		}
		dec := json.NewDecoder(strings.NewReader(got))
		dec.UseNumber()
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("output %q is not a JSON object: %v", got, err)
		}
		trimmed := strings.Trim(line, " \t\r\n") // the whitespace JSON allows around a value
		isObject := strings.HasPrefix(trimmed, "{") && json.Valid([]byte(trimmed)) && utf8.ValidString(trimmed)
		_, hasError := rec[output.UnparsedErrorKey]
		if len(trimmed) < 5000 && strings.HasPrefix(trimmed, "{") && isObject == hasError {
			t.Fatalf("line %q: valid object %v, but enrich_error present %v (%q)", line, isObject, hasError, got)
		}
		if !isObject || hasError {
			return
		}
		in := json.NewDecoder(strings.NewReader(trimmed))
		in.UseNumber()
		var want map[string]any
		if err := in.Decode(&want); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if !reflect.DeepEqual(rec[k], v) {
				t.Errorf("key %q: output %v, input %v", k, rec[k], v)
			}
		}
	})
}
