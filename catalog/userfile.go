package catalog

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Errors of user catalog files; each problem names the file and the line (CSV) or entry (JSON).
var (
	// ErrUserCatalog wraps every problem of a user catalog file, which is rejected whole.
	ErrUserCatalog = errors.New("invalid user catalog")
	// ErrUnsupportedFormat reports a file that is neither .json nor .csv.
	ErrUnsupportedFormat = errors.New("unsupported catalog file format (want .json or .csv)")
	// ErrDuplicateEntry reports two entries with the same product and key in one file.
	ErrDuplicateEntry = errors.New("duplicate entry")
)

// columns are the CSV columns in Write's order: every field (lists as JSON), so a written catalog loads back.
var columns = []string{"product", "id", "printed_id", "error_code", "facility", "mnemonic", "severity", "format",
	"explanation", "action", "params", "signatures", "source_document", "source_section"}

// cells returns the fields of e by column: a *string for each text column, else the list or severity.
func (e *Entry) cells() map[string]any {
	return map[string]any{"product": (*string)(&e.Product), "id": &e.ID, "printed_id": &e.PrintedID,
		"error_code": &e.ErrorCode, "facility": &e.Facility, "mnemonic": &e.Mnemonic, "format": &e.Format,
		"explanation": &e.Explanation, "action": &e.Action, "source_document": &e.Source.Document,
		"source_section": &e.Source.Section, "severity": &e.Severity, "params": &e.Params,
		"signatures": &e.Signatures}
}

var iosUserIDRe = regexp.MustCompile(`^%?[A-Z][A-Z0-9_]*-[0-7]-[A-Z0-9_]+$`)

// Load returns the embedded catalog extended by user catalog files, later entries overriding
// earlier ones with the same product and key (or IBM error code); its version ends with a hash
// of the user files.
func Load(userFiles ...string) (*Catalog, error) {
	base, err := Embedded()
	if err != nil || len(userFiles) == 0 {
		return base, err
	}
	entries := slices.Clone(base.entries)
	sum := sha256.New()
	var errs []error
	for _, path := range userFiles {
		user, err := LoadFile(path)
		errs = append(errs, err)
		entries = append(entries, user...)
		fmt.Fprintf(sum, "%s\n%s", path, jsonText(user, ""))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c, err := New(base.version+"+user."+hex.EncodeToString(sum.Sum(nil))[:12], entries)
	if err != nil {
		return nil, fmt.Errorf("build catalog with user files: %w", err)
	}
	for code, e := range base.errorCodes {
		c.errorCodes[code] = cmp.Or(c.errorCodes[code], e) // unless a user file defines it
	}
	return c, nil
}

// LoadFile reads a user catalog file, JSON or CSV as Write writes them (CSV needs at least id,
// severity, explanation and action); all its problems are returned joined, and no entries then.
func LoadFile(path string) ([]Entry, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUserCatalog, err)
	}
	// Spreadsheets and some editors start files with a byte order mark.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	f := userFile{path: path, defined: map[string]string{}}
	// Excel's plain "CSV" is Shift_JIS on a Japanese system, and its "Unicode text" UTF-16, whose
	// ASCII is valid UTF-8 but for its NUL bytes: their text would reach every record.
	notText := func(l []byte) bool { return !utf8.Valid(l) || bytes.IndexByte(l, 0) >= 0 }
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case ext != ".json" && ext != ".csv":
		f.fail(ErrUnsupportedFormat)
	case notText(b):
		line := 1 + slices.IndexFunc(bytes.Split(b, []byte("\n")), notText)
		f.fail(fmt.Errorf("line %d: not UTF-8 text; save the file as UTF-8 (in Excel: CSV UTF-8)", line))
	case ext == ".json":
		f.readJSON(b)
	default:
		f.readCSV(b)
	}
	if n := len(f.problems) - maxProblems; n > 0 { // an uncompleted report can have thousands of rows
		f.problems = append(f.problems[:maxProblems], fmt.Errorf("%w: %s: %d more problems", ErrUserCatalog, path, n))
	}
	if err := errors.Join(f.problems...); err != nil {
		return nil, err
	}
	return f.entries, nil
}

// MaxFileSize is the largest user catalog file, in bytes: loading one takes 10 to 20 times its size in
// memory and 0.1 to 0.25 s per MB, at every start, reload and change (1,000,000 rows, 142 MB: 2.5 GB, 25 s).
const MaxFileSize = 32_000_000

// ReadFile reads a user catalog file, refusing anything but a regular file before opening it:
// a FIFO would block Fluent Bit's start until something wrote to it, and /dev/zero never ends.
// The size is checked on what is read, so a file that grows while it is read is refused too.
func ReadFile(path string) ([]byte, error) {
	var f *os.File
	st, err := os.Stat(path)
	if err == nil && st.Mode().IsRegular() {
		// A FIFO renamed over the file since the Stat is opened without waiting for a writer, then refused.
		if f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer f.Close()
			st, err = f.Stat()
		}
	}
	if err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	var b bytes.Buffer
	b.Grow(int(min(st.Size(), MaxFileSize)) + bytes.MinRead)
	if _, err = b.ReadFrom(io.LimitReader(f, MaxFileSize+1)); err == nil && b.Len() > MaxFileSize {
		err = fmt.Errorf("%s: more than the %d bytes a catalog file may have", path, MaxFileSize)
	}
	return b.Bytes(), err
}

// maxProblems is how many of a file's problems are listed, each on a line of its own.
const maxProblems = 100

type userFile struct {
	path     string
	entries  []Entry
	defined  map[string]string // where each product and key is defined
	problems []error
}

func (f *userFile) fail(err error) {
	f.problems = append(f.problems, fmt.Errorf("%w: %s: %w", ErrUserCatalog, f.path, err))
}

// add completes and checks the entry e defined at where, unless err says what is wrong with it.
func (f *userFile) add(where string, e Entry, severity string, err error) {
	if err == nil {
		err = checkUserEntry(&e, severity)
	}
	k := string(e.Product) + " " + e.Key()
	if first, dup := f.defined[k]; dup && err == nil {
		// Within one file that is a mistake, not an override.
		err = fmt.Errorf("%w: %s %q is already defined at %s", ErrDuplicateEntry, e.Product, e.ID, first)
	}
	if err != nil {
		f.fail(fmt.Errorf("%s (id %q): %w", where, e.ID, err))
		return
	}
	f.defined[k] = where
	e.Source.Document = cmp.Or(e.Source.Document, filepath.Base(f.path))
	if e.Params == nil {
		e.Params = []Param{}
	}
	f.entries = append(f.entries, e)
}

// checkUserEntry completes and checks an entry; severity is a level, a keyword or "" for none (an IOS name's digit).
func checkUserEntry(e *Entry, severity string) error {
	e.ID = strings.TrimPrefix(e.ID, "%") // a name as logged: %LINK-3-UPDOWN, %CallManagerFailure
	if e.Product == ProductIOS {
		if e.Facility == "" || e.Mnemonic == "" { // Key takes both from the ID then
			e.Facility, e.Mnemonic = SplitIOSID(e.ID)
		}
		if parts := strings.Split(e.ID, "-"); severity == "" && len(parts) >= 3 && digits(parts[len(parts)-2], 0) {
			severity = parts[len(parts)-2] // the part before the mnemonic: LICENSE-SMART_LIC-3-X has a sub-facility
		}
	}
	if severity != "" {
		n, err := strconv.Atoi(severity)
		if err != nil {
			n = slices.IndexFunc(severityNames[:], func(name string) bool { return strings.EqualFold(name, severity) })
			if n < 0 {
				return fmt.Errorf("%w: severity %q is neither 0-7 nor one of %s", ErrInvalidEntry, severity, strings.Join(severityNames[:], ", "))
			}
		}
		e.Severity = &n
	}
	if err := e.Validate(); err != nil || strings.TrimSpace(e.Explanation+e.Action) != "" {
		return err
	}
	return fmt.Errorf("%w: explanation and action are both empty", ErrInvalidEntry)
}

func (f *userFile) readJSON(b []byte) {
	var raws []json.RawMessage
	var syn *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch err := json.Unmarshal(b, &raws); {
	case errors.As(err, &syn):
		n := min(int(syn.Offset), len(b)) // the bytes read, the bad one too unless the input ended
		if !strings.HasSuffix(err.Error(), "end of JSON input") {
			n--
		}
		before := b[:max(n, 0)]
		line, col := bytes.Count(before, []byte("\n"))+1, len(before)-bytes.LastIndexByte(before, '\n')
		f.fail(fmt.Errorf("line %d column %d: malformed JSON: %s", line, col, strings.TrimPrefix(err.Error(), "json: ")))
	case errors.As(err, &te):
		f.fail(fmt.Errorf("want a JSON array of entries, got %s", jsonKind(te.Value)))
	case err != nil: // not met today; reported rather than loading nothing silently
		f.fail(fmt.Errorf("want a JSON array of entries: %w", err))
	case raws == nil: // null, which Unmarshal leaves as no entries
		f.fail(errors.New("want a JSON array of entries, got null"))
	}
	for i, raw := range raws { // none after a problem above: Unmarshal fills raws only from a well-formed array
		var u struct {
			Entry
			Severity json.RawMessage `json:"severity"` // as in CSV too: 4, "4", "warning"
		}
		if err := decodeStrict(raw, &u); err != nil {
			f.fail(fmt.Errorf("entry %d: %w", i+1, describeJSONError(err, "an entry must be an object", false)))
			continue
		} else if k := repeatedField(raw); k != "" {
			f.fail(fmt.Errorf("entry %d: %w: field %q appears twice", i+1, ErrInvalidEntry, k))
			continue
		}
		var sev string // "" for null or no severity
		if json.Unmarshal(u.Severity, &sev) != nil {
			sev = string(u.Severity) // a number, or a value add rejects
		}
		f.add(fmt.Sprintf("entry %d", i+1), u.Entry, strings.TrimSpace(sev), nil)
	}
}

// repeatedField returns a field the object raw gives twice, in any case as decoding matches fields
// (strings.EqualFold, under which ſ is s), also inside an object it holds (source.document) or
// lists (params.name), or "": decoding would quietly keep the last.
func repeatedField(raw []byte) string {
	dec, seen := json.NewDecoder(bytes.NewReader(raw)), []string{}
	dec.Token() // the '{' of an object decodeStrict has read whole
	for dec.More() {
		t, _ := dec.Token()
		k, _ := t.(string)
		if slices.ContainsFunc(seen, func(s string) bool { return strings.EqualFold(s, k) }) {
			return k
		}
		seen = append(seen, k) // known fields only, as decodeStrict refuses others
		var v json.RawMessage
		dec.Decode(&v)
		items := []json.RawMessage{v}
		json.Unmarshal(v, &items) // the items of a list (params), else the value itself
		for _, it := range items {
			if it[0] != '{' {
				continue
			}
			if r := repeatedField(it); r != "" {
				return k + "." + r
			}
		}
	}
	return ""
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields and trailing text.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if _, end := dec.Token(); err == nil && end != io.EOF { // More is false before a ']' or '}' too
		err = errors.New("text after the JSON value")
	}
	return err
}

// describeJSONError words a decoding error in the file's terms; whole says what the value must be, and
// comes before a problem inside the value too if nested.
func describeJSONError(err error, whole string, nested bool) error {
	var te *json.UnmarshalTypeError
	f, unknown := strings.CutPrefix(err.Error(), "json: unknown field ")
	switch {
	case errors.As(err, &te) && te.Field == "":
		return fmt.Errorf("%w: %s, got %s", ErrInvalidEntry, whole, jsonKind(te.Value))
	case unknown:
		err = fmt.Errorf("%w: unknown field %s (want %s, source)", ErrInvalidEntry, f, strings.Join(columns[:len(columns)-2], ", "))
	case te != nil: // fields of the embedded Entry are named through it
		kinds := map[reflect.Kind]string{reflect.String: "a string", reflect.Slice: "a list", reflect.Struct: "an object"}
		err = fmt.Errorf("%w: field %q must be %s, got %s", ErrInvalidEntry, strings.TrimPrefix(te.Field, "Entry."),
			kinds[te.Type.Kind()], jsonKind(te.Value))
	}
	if nested {
		err = fmt.Errorf("%w: %s: %w", ErrInvalidEntry, whole, err)
	}
	return err
}

// jsonKind words the Value of a json.UnmarshalTypeError ("number 1.5", "array", …).
func jsonKind(v string) string {
	return cmp.Or(map[string]string{"array": "an array", "object": "an object", "bool": "true or false"}[v],
		"a "+v)
}

func (f *userFile) readCSV(b []byte) {
	// The CSV reader ends lines at "\n" only: a file whose lines end in a lone "\r", as Excel's "CSV
	// (Macintosh)" saves them, would be one row of unknown columns.
	// The header row is checked, as a line break inside a quoted cell is an LF even in such files.
	if first, _, _ := bytes.Cut(b, []byte("\n")); bytes.IndexByte(bytes.TrimSuffix(first, []byte("\r")), '\r') >= 0 {
		f.fail(errors.New(`line 1: lines end in a carriage return alone (old Mac "CSV"); save the file as CSV UTF-8`))
		return
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord, r.TrimLeadingSpace = -1, true // "106023, 4, \"Denied, by an ACL.\"" as written by hand
	// read returns the next row but blank ones (a spreadsheet writes a cleared row as its commas) and its line.
	read := func() ([]string, int, error) {
		for {
			rec, err := r.Read()
			if pe := (*csv.ParseError)(nil); errors.As(err, &pe) { // the rest of the file cannot be split reliably
				err = fmt.Errorf("line %d column %d: %w", pe.Line, pe.Column, pe.Err)
				if pe.StartLine != pe.Line { // a quote never closed takes in every line after it, to the end of the file
					err = fmt.Errorf("%w, in the row that starts on line %d", err, pe.StartLine)
				}
			}
			if err != nil {
				return nil, 0, err
			}
			if line, _ := r.FieldPos(0); strings.TrimSpace(strings.Join(rec, "")) != "" {
				return rec, line, nil
			}
		}
	}
	header, line, err := read()
	if err == io.EOF {
		err = errors.New("line 1: empty file, want a header row")
	}
	if err != nil {
		f.fail(err)
		return
	}
	col := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch _, dup := col[name]; {
		case name == "count" || name == "example": // the unknown-message report's, for the operator to read
		case !slices.Contains(columns, name):
			f.fail(fmt.Errorf("line %d: unknown column %q (want %s)", line, h, strings.Join(columns, ", ")))
		case dup:
			f.fail(fmt.Errorf("line %d: column %q appears twice", line, name))
		default:
			col[name] = i
		}
	}
	for _, c := range []string{"id", "severity", "explanation", "action"} {
		if _, ok := col[c]; !ok {
			f.fail(fmt.Errorf("line %d: missing column %q", line, c))
		}
	}
	if len(f.problems) > 0 {
		return
	}
	for rec, line, err := read(); err != io.EOF; rec, line, err = read() {
		if err != nil {
			f.fail(err)
			return
		}
		if len(rec) != len(header) {
			f.fail(fmt.Errorf("line %d: %d fields, want %d as in the header", line, len(rec), len(header)))
			continue
		}
		cell := map[string]string{}
		for name, i := range col {
			cell[name] = strings.TrimSpace(rec[i])
		}
		e, severity, err := csvEntry(cell)
		f.add(fmt.Sprintf("line %d", line), e, severity, err)
	}
}

// csvEntry builds the entry of a CSV row and its severity. Without a product, a 6-digit ID or a
// firewall message name (%ASA-4-106023) is FTD/ASA and FACILITY-SEVERITY-MNEMONIC is IOS; the
// severity digit of a name stands in for an empty severity.
func csvEntry(cell map[string]string) (Entry, string, error) {
	var e Entry
	cells := e.cells()
	for c, field := range cells {
		if s, ok := field.(*string); ok {
			*s = cell[c]
		}
	}
	e.ID = strings.TrimPrefix(e.ID, "%")
	var digit string // the severity digit of a message name
	// The recogniser looks firewall prefixes up by the 6-digit ID, so they are never IOS.
	m := ftdIDRe.FindStringSubmatch(e.ID)
	switch {
	case m != nil && (e.Product == "" || e.Product == ProductFTD):
		e.Product, e.ID, digit = ProductFTD, m[2], m[1]
	case e.Product != "":
	case digits(e.ID, 6) && (e.ID[0] == '0' || e.ID[0] == '9'): // firewall message IDs start with 1 to 8
		return e, "", fmt.Errorf("%w: cannot tell the product of id %q: IBM Storage Virtualize event IDs start with 0 or 9 "+
			"(086008, 981004): give product %s, or %s for a firewall message", ErrInvalidEntry, cell["id"], ProductIBM, ProductFTD)
	case digits(e.ID, 6):
		e.Product = ProductFTD
	case iosUserIDRe.MatchString(cell["id"]):
		e.Product = ProductIOS
	default:
		return e, "", fmt.Errorf("%w: cannot tell the product of id %q (a 6-digit ID or a name such as %%ASA-4-106023 is %s, FACILITY-SEVERITY-MNEMONIC is %s; otherwise add a product column)",
			ErrInvalidEntry, cell["id"], ProductFTD, ProductIOS)
	}
	severity := cmp.Or(cell["severity"], digit)
	lists := [][2]string{{"params", `[{"name": "...", "description": "..."}]`}, {"signatures", `["...", "..."]`}}
	for _, l := range lists {
		if cell[l[0]] == "" {
			continue
		}
		if err := decodeStrict([]byte(cell[l[0]]), cells[l[0]]); err != nil {
			return e, "", describeJSONError(err, fmt.Sprintf("column %s: want a JSON list such as %s", l[0], l[1]), true)
		} else if k := repeatedField([]byte(`{"` + l[0] + `":` + cell[l[0]] + `}`)); k != "" {
			return e, "", fmt.Errorf("%w: field %q appears twice", ErrInvalidEntry, k)
		}
	}
	return e, severity, nil
}

// Write writes entries as a user catalog in "json" (the generated schema) or "csv"; both load back.
func Write(w io.Writer, format string, entries []Entry) error {
	var err error
	switch format {
	case "json":
		_, err = io.WriteString(w, jsonText(entries, "  ")+"\n")
	case "csv":
		records := [][]string{columns}
		for _, e := range entries {
			rec, cells := make([]string, len(columns)), e.cells()
			for j, c := range columns {
				// The severity and the lists are JSON, blank when there is none or the list is empty.
				if s, ok := cells[c].(*string); ok {
					rec[j] = *s
				} else if v := jsonText(cells[c], ""); v != "null" && v != "[]" {
					rec[j] = v
				}
			}
			records = append(records, rec)
		}
		err = csv.NewWriter(w).WriteAll(records)
	default:
		return fmt.Errorf("%w: %q", ErrUnsupportedFormat, format)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", format, err)
	}
	return nil
}

// jsonText is v as JSON with "<" etc. kept readable; v holds nothing that fails to encode.
func jsonText(v any, indent string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
