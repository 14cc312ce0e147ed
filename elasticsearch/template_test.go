// Package elasticsearch holds the index templates; its test checks them
// against the records the plugin emits (field names, types, lengths against
// ignore_above), and the shipped es outputs' Generate_ID settings.
package elasticsearch

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// mapping returns the mapping of the dotted path in a template's
// properties, walking objects as Elasticsearch does; a flattened field
// covers everything under it.
func mapping(props map[string]any, path string) map[string]any {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		m, _ := props[p].(map[string]any)
		if m == nil {
			// A dotted name may also be mapped whole.
			if m, _ = props[strings.Join(parts[i:], ".")].(map[string]any); m != nil {
				return m
			}
			return nil
		}
		if i == len(parts)-1 || m["type"] == "flattened" {
			return m
		}
		props, _ = m["properties"].(map[string]any)
	}
	return nil
}

func loadTemplate(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(b, &tpl); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return tpl.Template.Mappings.Properties
}

// field is what the fixtures put in one added field: the JSON kinds of its
// values, and the longest string (for an object, the longest leaf value) in
// characters as Elasticsearch counts them for ignore_above (UTF-16 units)
// and in UTF-8 bytes as Lucene counts them for its term limit.
type field struct {
	kinds        map[string]bool
	chars, bytes int
}

// longest records the length of s, or of each string leaf of v.
func (f *field) longest(v any) {
	switch v := v.(type) {
	case string:
		f.chars = max(f.chars, len(utf16.Encode([]rune(v))))
		f.bytes = max(f.bytes, len(v))
	case map[string]any:
		for _, leaf := range v {
			f.longest(leaf)
		}
	}
}

// emitted runs the real fixture lines through the engine and returns
// every field the engine added, with the JSON kind and length of its values.
func emitted(t *testing.T, opts enrich.Options, key string) map[string]*field {
	t.Helper()
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := enrich.New(cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../test/fixtures/real/*.log")
	fields := map[string]*field{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			rec := msgpack.AppendMapHeader(msgpack.AppendEntryHead(nil, time.Unix(1700000000, 0)), 1)
			rec = msgpack.AppendStr(msgpack.AppendStr(rec, key), sc.Text())
			out, _, err := eng.Rewrite(nil, rec)
			if err != nil {
				t.Fatal(err)
			}
			js, err := msgpack.AppendRecordJSON(nil, out, false)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(js, &doc); err != nil {
				t.Fatal(err)
			}
			for k, v := range doc {
				if k == key || k == msgpack.JSONDateKey {
					continue
				}
				kind := "string"
				switch v.(type) {
				case float64:
					kind = "number"
				case map[string]any:
					kind = "object"
				}
				if fields[k] == nil {
					fields[k] = &field{kinds: map[string]bool{}}
				}
				fields[k].kinds[kind] = true
				fields[k].longest(v)
			}
		}
		fh.Close()
	}
	return fields
}

// TestTemplatesMatchEmittedRecords checks that every field the plugin adds,
// with each preset and params on, has a mapping of the right kind in that
// preset's template: keyword for IDs, text with a keyword sub-field for
// the catalog text, numbers for severities, flattened for params.
func TestTemplatesMatchEmittedRecords(t *testing.T) {
	ecs := enrich.DefaultOptions()
	ecs.Fields, ecs.MessageKeys = enrich.ECSFieldNames(), []string{"message"}
	def := enrich.DefaultOptions()
	def.Fields.CatalogID = "catalog_id"
	for _, tt := range []struct {
		template, key string
		opts          enrich.Options
	}{
		{"index-template.json", "log", def},
		{"index-template-ecs.json", "message", ecs},
	} {
		t.Run(tt.template, func(t *testing.T) {
			props := loadTemplate(t, tt.template)
			tt.opts.Params = true
			fields := emitted(t, tt.opts, tt.key)
			if m := mapping(props, tt.key); m == nil || m["type"] != "text" {
				t.Errorf("the line's key %s is mapped as %v, want text", tt.key, m)
			}
			f := tt.opts.Fields
			for _, name := range []string{f.MessageID, f.Severity, f.SeverityName, f.DocumentedSeverity, f.Explanation, f.Action, f.Product, f.CatalogID, f.Params} {
				if fields[name] == nil {
					t.Errorf("the fixtures never produce %s", name)
				}
			}
			for name, fl := range fields {
				m := mapping(props, name)
				if m == nil {
					t.Errorf("%s (%v) has no mapping", name, fl.kinds)
					continue
				}
				want := map[string][]string{"string": {"keyword", "text"}, "number": {"integer", "long"}, "object": {"flattened"}}
				for kind := range fl.kinds {
					ok := false
					for _, w := range want[kind] {
						ok = ok || m["type"] == w
					}
					if !ok {
						t.Errorf("%s holds %s values but is mapped as %v", name, kind, m["type"])
					}
				}
			}
			for _, id := range []string{f.MessageID, f.CatalogID, f.Product, f.SeverityName} {
				if m := mapping(props, id); m == nil || m["type"] != "keyword" {
					t.Errorf("%s: mapped as %v, want keyword", id, m)
				}
			}
			for _, text := range []string{f.Explanation, f.Action} {
				m := mapping(props, text)
				sub, _ := m["fields"].(map[string]any)
				kw, _ := sub["keyword"].(map[string]any)
				if m == nil || m["type"] != "text" || kw["type"] != "keyword" {
					t.Errorf("%s: mapped as %v, want text with a keyword sub-field", text, m)
				}
			}
			checkLengths(t, props, fields, f)
		})
	}
}

// luceneMaxTermBytes is Lucene's limit on one indexed term: a keyword (or
// flattened leaf) value longer than this, with no ignore_above to skip it,
// makes Elasticsearch refuse the whole document ("immense term").
const luceneMaxTermBytes = 32766

// maxSafeIgnoreAbove is the largest ignore_above (in characters) that keeps
// every indexed value under luceneMaxTermBytes whatever its characters: a
// UTF-16 unit is at most 3 UTF-8 bytes, and 32766/4 is Elastic's advice.
const maxSafeIgnoreAbove = luceneMaxTermBytes / 4

// checkLengths checks the indexed string values against ignore_above and
// Lucene's term limit: no value the plugin can add may make Elasticsearch
// refuse a document, and the catalog text the documentation promises as
// exact .keyword values (every explanation and action of the embedded
// catalog) must fit under ignore_above, or it is silently left unindexed.
func checkLengths(t *testing.T, props map[string]any, fields map[string]*field, f enrich.FieldNames) {
	t.Helper()
	ignoreAbove := func(m map[string]any) int {
		n, _ := m["ignore_above"].(float64)
		return int(n)
	}
	for name, fl := range fields {
		m := mapping(props, name)
		switch m["type"] {
		case "keyword":
			if ia := ignoreAbove(m); (ia == 0 || ia > maxSafeIgnoreAbove) && fl.bytes > luceneMaxTermBytes {
				t.Errorf("%s: a %d-byte value is over Lucene's term limit and ignore_above is %d: the document would be refused", name, fl.bytes, ia)
			}
		case "flattened":
			// The leaves are parts of the log line, which can be as long as
			// the input accepts (256,000 bytes with the shipped syslog input).
			if ia := ignoreAbove(m); ia == 0 || ia > maxSafeIgnoreAbove {
				t.Errorf("%s: flattened with ignore_above %d, want 1 to %d: a long variable would make Elasticsearch refuse the document", name, ia, maxSafeIgnoreAbove)
			}
		}
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{f.Explanation, f.Action} {
		sub, _ := mapping(props, text)["fields"].(map[string]any)
		kw, _ := sub["keyword"].(map[string]any)
		ia := ignoreAbove(kw)
		if ia == 0 || ia > maxSafeIgnoreAbove {
			t.Errorf("%s.keyword: ignore_above %d, want 1 to %d", text, ia, maxSafeIgnoreAbove)
		}
		longest, id := fields[text].chars, "a fixture line's"
		for _, e := range cat.Entries() {
			s := e.Explanation
			if text == f.Action {
				s = e.Action
			}
			if n := len(utf16.Encode([]rune(s))); n > longest {
				longest, id = n, e.ID
			}
		}
		if ia != 0 && longest > ia {
			t.Errorf("%s.keyword: ignore_above %d, but the %s value has %d characters: it would not be indexed in .keyword", text, ia, id, longest)
		}
	}
}

// TestShippedESOutputsOverwrite checks that every shipped es output with
// Generate_ID also sets Write_Operation index, as docs/elasticsearch.md says:
// with the default, create, a re-sent record is a 409 version conflict
// instead of an overwrite, which some Fluent Bit releases retry forever.
func TestShippedESOutputsOverwrite(t *testing.T) {
	for _, name := range []string{"../fluent-bit.conf", "../fluent-bit.yaml", "../examples/two-tier/aggregator.conf"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// Split into sections: a classic [SECTION] or a YAML list item "- name: x".
		var sections []map[string]string
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if strings.HasPrefix(line, "[") || strings.HasPrefix(line, "- ") {
				sections = append(sections, map[string]string{})
				line = strings.TrimPrefix(line, "- ")
			}
			if len(sections) == 0 {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(k, " \t") {
				k, v, _ = strings.Cut(strings.Join(strings.Fields(line), " "), " ")
			}
			sections[len(sections)-1][strings.ToLower(strings.TrimSpace(k))] = strings.ToLower(strings.TrimSpace(v))
		}
		found := false
		for _, s := range sections {
			if s["name"] != "es" {
				continue
			}
			found = true
			if g := s["generate_id"]; g != "on" && g != "true" {
				t.Errorf("%s: es output without Generate_ID On", name)
			}
			if s["write_operation"] != "index" {
				t.Errorf("%s: es output with Generate_ID but Write_Operation %q, want index: a re-sent record is a 409 conflict, not an overwrite", name, s["write_operation"])
			}
		}
		if !found {
			t.Errorf("%s: no es output found", name)
		}
	}
}
