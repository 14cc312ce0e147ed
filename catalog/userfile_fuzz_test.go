package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzLoadFile loads arbitrary CSV and JSON user catalogs and checks what Fluent Bit relies on at
// every start and Catalog_File check: no panic; the same bytes load the same twice; each problem
// names the file and a line (CSV; JSON: a line and column, or an entry) inside it; an accepted
// file's entries build a catalog in which each is found under its product and key, and written
// back in either format they load as the same entries (CSV trimming the ends of texts).
func FuzzLoadFile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, strings.HasSuffix(name, ".csv"))
		}
	}
	for _, s := range []string{
		"\xef\xbb\xbfid,severity,explanation,action\r\n106023,4,\"a\r\nb\",c\r\n",
		"id,severity,explanation,action,count,example\n%ASA-4-106023,,x,,3,line\n,,,\n",
		"product,id,severity,explanation,action,signatures,params\ncisco_cucm,X,,e,a,\"[\"\"abcd\"\"]\",\"[{\"\"name\"\":\"\"n\"\"}]\"\n",
		"product,id,error_code,severity,explanation,action\nibm_storage_virtualize,1234,,,e,a\nibm_storage_virtualize,086006,1234,,e,a\n",
	} {
		f.Add([]byte(s), true)
	}
	for _, s := range []string{
		`[{"product":"cisco_ios","id":"%LINK-3-UPDOWN","facility":"link","severity":"error","explanation":"e","action":"a"}]`,
		`[{"product":"cisco_cucm","id":"A","signatures":["abcd"],"explanation":"e","action":"a","source":{"document":"d"}}]`,
		`[{"product":"cisco_ftd_asa","id":"106023","severity":4,"explanation":"x","action":"y","params":[{"name":"a","description":"b"}]}`,
	} {
		f.Add([]byte(s), false)
	}
	where := map[bool]*regexp.Regexp{ // what each problem starts with after the file's path
		true:  regexp.MustCompile(`^(line (\d+)|(\d+) more problems)`),
		false: regexp.MustCompile(`^(line (\d+)( column \d+)?|entry \d+|want a JSON array|(\d+) more problems)`),
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, isCSV bool) {
		path := filepath.Join(dir, "user.json")
		if isCSV {
			path = filepath.Join(dir, "user.csv")
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := LoadFile(path)
		again, err2 := LoadFile(path)
		if !reflect.DeepEqual(got, again) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("the same file loads differently: %v, %v then %v, %v", got, err, again, err2)
		}
		if err != nil {
			if got != nil {
				t.Errorf("LoadFile returned %d entries with an error", len(got))
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range strings.Split(err.Error(), "\n") {
				rest, ok := strings.CutPrefix(p, "invalid user catalog: "+path+": ")
				m := where[isCSV].FindStringSubmatch(rest)
				if !ok || m == nil {
					t.Fatalf("problem %q names no place in the file", p)
				}
				if n, _ := strconv.Atoi(m[2]); n > lines {
					t.Errorf("problem %q names line %d of a file of %d lines", p, n, lines)
				}
			}
			return
		}
		c, err := New("fuzz", got)
		if err != nil {
			t.Fatalf("accepted entries do not build a catalog: %v", err)
		}
		for i, e := range got {
			found, ok := c.Lookup(e.Product, e.Key())
			if e.isErrorCode() {
				found, ok = c.LookupErrorCode(e.ID)
			}
			if !ok || found.ID != e.ID || found.Explanation != e.Explanation {
				t.Errorf("entry %d (%s %q) not found under its key %q: %v", i+1, e.Product, e.ID, e.Key(), found)
			}
		}
		trimmed := slices.Clone(got) // CSV trims the ends of texts that JSON keeps
		for i := range trimmed {
			for _, c := range trimmed[i].cells() {
				if s, ok := c.(*string); ok {
					*s = strings.TrimSpace(*s)
				}
			}
		}
		formats := []string{"json", "csv"}
		if len(got) == 0 { // Write is given whole catalogs, never none
			formats = nil
		}
		for _, format := range formats {
			var b bytes.Buffer
			if err := Write(&b, format, got); err != nil {
				t.Fatal(err)
			}
			back := filepath.Join(dir, "back."+format)
			if err := os.WriteFile(back, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			reloaded, err := LoadFile(back)
			if err != nil {
				t.Fatalf("written as %s, the entries do not load back: %v\n%s", format, err, b.Bytes())
			}
			if len(reloaded) != len(got) {
				t.Fatalf("written as %s, %d entries load back as %d", format, len(got), len(reloaded))
			}
			want := map[string][]Entry{"json": got, "csv": trimmed}[format]
			for i := range got {
				if !equalEntry(reloaded[i], want[i]) || reloaded[i].PrintedID != want[i].PrintedID {
					t.Errorf("written as %s, entry %d loads back as %+v, want %+v", format, i+1, reloaded[i], want[i])
				}
			}
		}
	})
}
