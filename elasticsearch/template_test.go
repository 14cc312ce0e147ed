// Package elasticsearch holds the index templates; its test checks them
// against the records the plugin emits.
package elasticsearch

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// emitted runs the real fixture lines through the engine and returns
// every field the engine added, with the JSON kind of its values.
func emitted(t *testing.T, opts enrich.Options, key string) map[string]map[string]bool {
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
	fields := map[string]map[string]bool{}
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
			js, err := msgpack.AppendRecordJSON(nil, out)
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
					fields[k] = map[string]bool{}
				}
				fields[k][kind] = true
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
			for name, kinds := range fields {
				m := mapping(props, name)
				if m == nil {
					t.Errorf("%s (%v) has no mapping", name, kinds)
					continue
				}
				want := map[string][]string{"string": {"keyword", "text"}, "number": {"integer", "long"}, "object": {"flattened"}}
				for kind := range kinds {
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
		})
	}
}
