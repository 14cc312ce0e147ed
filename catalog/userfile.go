package catalog

import (
	"bytes"
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
	"strconv"
	"strings"
)

// Errors of user catalog files. Every problem of a file is reported, each
// naming the file and the line (CSV) or entry (JSON); errors.Is tells the
// kinds apart.
var (
	// ErrUserCatalog wraps every problem found in a user catalog file; a
	// file with any problem is rejected whole.
	ErrUserCatalog = errors.New("invalid user catalog")
	// ErrUnsupportedFormat reports a file that is neither .json nor .csv.
	ErrUnsupportedFormat = errors.New("unsupported catalog file format (want .json or .csv)")
	// ErrDuplicateEntry reports two entries with the same product and key
	// in one file.
	ErrDuplicateEntry = errors.New("duplicate entry")
)

// csvColumns are the columns a CSV user catalog may have; the first four
// are required. Together they hold every field of an entry, so the CSV
// that WriteCSV writes loads back identical; params and signatures are
// JSON lists, as in the JSON catalog.
var csvColumns = []string{"id", "severity", "explanation", "action", "product", "format", "error_code",
	"printed_id", "facility", "mnemonic", "params", "signatures", "source_document", "source_section"}

const csvRequired = 4

// csvOrder is the column order WriteCSV writes.
var csvOrder = []string{"product", "id", "printed_id", "error_code", "facility", "mnemonic", "severity", "format",
	"explanation", "action", "params", "signatures", "source_document", "source_section"}

// jsonFields are the fields of a JSON user catalog entry.
const jsonFields = "product, id, printed_id, error_code, facility, mnemonic, severity, format, explanation, action, params, signatures, source"

// utf8BOM starts files that spreadsheets and some editors write.
var utf8BOM = []byte("\xef\xbb\xbf")

// iosUserIDRe matches FACILITY-SEVERITY-MNEMONIC, with an optional "%".
var iosUserIDRe = regexp.MustCompile(`^%?[A-Z][A-Z0-9_]*-[0-7]-[A-Z0-9_]+$`)

// Load returns the embedded catalog extended by user catalog files. Later
// files override earlier entries (and the embedded ones) with the same
// product and key. The version is the embedded version, followed by a
// hash of the user files when there are any.
func Load(userFiles ...string) (*Catalog, error) {
	base, err := Embedded()
	if err != nil {
		return nil, err
	}
	if len(userFiles) == 0 {
		return base, nil
	}
	entries := append([]Entry(nil), base.entries...)
	sum := sha256.New()
	var errs []error
	for _, path := range userFiles {
		user, err := LoadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		entries = append(entries, user...)
		fmt.Fprintf(sum, "%s\n", path)
		if b, err := json.Marshal(user); err == nil {
			sum.Write(b)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c, err := New(base.version+"+user."+hex.EncodeToString(sum.Sum(nil))[:12], entries)
	if err != nil {
		return nil, fmt.Errorf("build catalog with user files: %w", err)
	}
	c.errorCodes, c.codes = base.errorCodes, base.codes
	return c, nil
}

// LoadFile reads a user catalog file: a JSON array of entries in the
// schema `flb-enrich catalog --format json` writes (unknown fields are
// rejected), or a CSV file with a header row naming the columns id,
// severity, explanation, action and optionally product and format. All
// problems of the file are returned together, joined, each wrapping
// ErrUserCatalog; no entries are returned then.
func LoadFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUserCatalog, err)
	}
	var found []located
	var problems []error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		found, problems = parseUserJSON(b)
	case ".csv":
		found, problems = parseUserCSV(b)
	default:
		return nil, fmt.Errorf("%w: %s: %w", ErrUserCatalog, path, ErrUnsupportedFormat)
	}
	problems = append(problems, checkDuplicates(found)...)
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = fmt.Errorf("%w: %s: %w", ErrUserCatalog, path, p)
		}
		return nil, errors.Join(errs...)
	}
	entries := make([]Entry, len(found))
	for i := range found {
		entries[i] = found[i].entry
		if entries[i].Source.Document == "" {
			entries[i].Source.Document = filepath.Base(path)
		}
		if entries[i].Params == nil {
			entries[i].Params = []Param{}
		}
	}
	return entries, nil
}

// located ties an entry to where the file defines it, for messages.
type located struct {
	where string
	entry Entry
}

// userEntry is an entry as a JSON user catalog writes it: the severity
// may also be a string, as in CSV ("4", "warning").
type userEntry struct {
	Entry
	Severity json.RawMessage `json:"severity"`
}

func parseUserJSON(b []byte) ([]located, []error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(b, syn.Offset)
			return nil, []error{fmt.Errorf("line %d column %d: malformed JSON: %s", line, col, strings.TrimPrefix(err.Error(), "json: "))}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, []error{fmt.Errorf("want a JSON array of entries, got %s", jsonKind(te.Value))}
		}
		return nil, []error{fmt.Errorf("want a JSON array of entries: %w", err)}
	}
	var entries []located
	var problems []error
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var u userEntry
		if err := dec.Decode(&u); err != nil {
			problems = append(problems, fmt.Errorf("entry %d: %w", i+1, describeJSONError(err)))
			continue
		}
		e := u.Entry
		sev, err := jsonSeverity(u.Severity)
		if e.Severity = sev; err == nil {
			err = checkUserEntry(&e)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("entry %d (id %q): %w", i+1, e.ID, err))
			continue
		}
		entries = append(entries, located{where: fmt.Sprintf("entry %d", i+1), entry: e})
	}
	return entries, problems
}

// jsonSeverity reads a severity written as a number, a string as in CSV
// (a level or an English keyword), or null.
func jsonSeverity(raw json.RawMessage) (*int, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%w: severity %s: %w", ErrInvalidEntry, raw, err)
		}
		if s = strings.TrimSpace(s); s == "" {
			return nil, nil
		}
	}
	lvl, err := parseSeverity(s)
	if err != nil {
		return nil, err
	}
	return &lvl, nil
}

// describeJSONError words a decoding error in terms of the file's fields
// and JSON's kinds of values, not Go's types.
func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("%w: an entry must be an object, got %s", ErrInvalidEntry, jsonKind(te.Value))
		}
		// Fields of the embedded Entry are named through it.
		field := strings.TrimPrefix(te.Field, "Entry.")
		return fmt.Errorf("%w: field %q must be %s, got %s", ErrInvalidEntry, field, goTypeAsJSON(te.Type), jsonKind(te.Value))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("%w: unknown field %s (want %s)", ErrInvalidEntry, f, jsonFields)
	}
	return err
}

// jsonKind turns the Value of a json.UnmarshalTypeError ("number",
// "number 1.5", "string", "array", ...) into words.
func jsonKind(v string) string {
	switch kind, _, _ := strings.Cut(v, " "); kind {
	case "array", "object":
		return "an " + kind
	case "bool":
		return "true or false"
	case "number", "string":
		return "a " + v
	}
	return v
}

// goTypeAsJSON names the kind of JSON value a field of type t takes.
func goTypeAsJSON(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return goTypeAsJSON(t.Elem())
	}
	return "another kind of value"
}

// position converts a byte offset into a 1-based line and column.
func position(b []byte, off int64) (line, col int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func parseUserCSV(b []byte) ([]located, []error) {
	b = bytes.TrimPrefix(b, utf8BOM)
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, []error{errors.New("line 1: empty file, want a header row")}
		}
		return nil, []error{fmt.Errorf("line 1: %w", err)}
	}
	col := map[string]int{}
	var problems []error
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, c := range csvColumns {
			known = known || c == name
		}
		switch {
		case !known:
			problems = append(problems, fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(csvColumns, ", ")))
		case col[name] != 0:
			problems = append(problems, fmt.Errorf("line 1: column %q appears twice", name))
		default:
			col[name] = i + 1 // 0 means absent
		}
	}
	for _, c := range csvColumns[:csvRequired] {
		if col[c] == 0 {
			problems = append(problems, fmt.Errorf("line 1: missing column %q", c))
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	field := func(rec []string, name string) string {
		if i := col[name]; i > 0 && i <= len(rec) {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	var entries []located
	// The reader stops at the end of the data, so the loop is bounded by
	// the file size; a malformed quote is reported and reading resumes.
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The reader has no field positions for a record it could not
			// read, so the line comes from the error.
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				problems = append(problems, fmt.Errorf("line %d: %w", pe.Line, pe.Err))
				if pe.Err != csv.ErrFieldCount {
					break // the rest of the file cannot be split reliably
				}
				continue
			}
			problems = append(problems, fmt.Errorf("read: %w", err))
			break
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			problems = append(problems, fmt.Errorf("line %d: %d fields, want %d as in the header", line, len(rec), len(header)))
			continue
		}
		e, err := csvEntry(field(rec, "product"), field(rec, "id"), field(rec, "severity"))
		if err == nil {
			e.PrintedID = field(rec, "printed_id")
			e.Format = field(rec, "format")
			e.Explanation = field(rec, "explanation")
			e.Action = field(rec, "action")
			e.ErrorCode = field(rec, "error_code")
			if f, m := field(rec, "facility"), field(rec, "mnemonic"); f != "" || m != "" {
				e.Facility, e.Mnemonic = f, m
			}
			e.Source = Source{Document: field(rec, "source_document"), Section: field(rec, "source_section")}
			err = csvList(field(rec, "params"), "params", `[{"name": "...", "description": "..."}]`, &e.Params)
			if err == nil {
				err = csvList(field(rec, "signatures"), "signatures", `["...", "..."]`, &e.Signatures)
			}
			if err == nil {
				err = checkUserEntry(&e)
			}
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d (id %q): %w", line, field(rec, "id"), err))
			continue
		}
		entries = append(entries, located{where: fmt.Sprintf("line %d", line), entry: e})
	}
	return entries, problems
}

// csvList reads a cell holding a JSON list (params, signatures); an empty
// cell is no list.
func csvList(cell, column, example string, dst any) error {
	if cell == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(cell))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return fmt.Errorf("%w: column %s: want a JSON list such as %s, got %s", ErrInvalidEntry, column, example, jsonKind(te.Value))
		}
		return fmt.Errorf("%w: column %s: want a JSON list such as %s: %w", ErrInvalidEntry, column, example, describeJSONError(err))
	}
	if dec.More() {
		return fmt.Errorf("%w: column %s: text after the JSON list", ErrInvalidEntry, column)
	}
	return nil
}

// WriteCSV writes entries as a CSV user catalog with every column, which
// loads back as the same entries.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvOrder); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	rec := make([]string, len(csvOrder))
	for _, e := range entries {
		for i, c := range csvOrder {
			v, err := csvCell(&e, c)
			if err != nil {
				return fmt.Errorf("write csv: %s %q: %w", e.Product, e.ID, err)
			}
			rec[i] = v
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// csvCell is the text of one column of e.
func csvCell(e *Entry, column string) (string, error) {
	list := func(v any, n int) (string, error) {
		if n == 0 {
			return "", nil
		}
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		err := enc.Encode(v)
		return strings.TrimSuffix(b.String(), "\n"), err
	}
	switch column {
	case "product":
		return string(e.Product), nil
	case "id":
		return e.ID, nil
	case "printed_id":
		return e.PrintedID, nil
	case "error_code":
		return e.ErrorCode, nil
	case "facility":
		return e.Facility, nil
	case "mnemonic":
		return e.Mnemonic, nil
	case "severity":
		if e.Severity == nil {
			return "", nil
		}
		return strconv.Itoa(*e.Severity), nil
	case "format":
		return e.Format, nil
	case "explanation":
		return e.Explanation, nil
	case "action":
		return e.Action, nil
	case "params":
		return list(e.Params, len(e.Params))
	case "signatures":
		return list(e.Signatures, len(e.Signatures))
	case "source_document":
		return e.Source.Document, nil
	case "source_section":
		return e.Source.Section, nil
	}
	return "", fmt.Errorf("unknown column %q", column)
}

// csvEntry builds the identity of a CSV row, inferring the product from
// the ID when the product column is absent or empty.
func csvEntry(product, id, severity string) (Entry, error) {
	e := Entry{Product: Product(product), ID: strings.TrimPrefix(id, "%")}
	if product == "" {
		switch {
		case len(id) == 6 && allDigits(id):
			e.Product = ProductFTD
		case iosUserIDRe.MatchString(id):
			e.Product = ProductIOS
		default:
			return e, fmt.Errorf("%w: cannot tell the product of id %q (a 6-digit ID is %s, FACILITY-SEVERITY-MNEMONIC is %s; otherwise add a product column)",
				ErrInvalidEntry, id, ProductFTD, ProductIOS)
		}
	}
	if e.Product == ProductIOS {
		e.Facility, e.Mnemonic = SplitIOSID(e.ID)
	}
	if severity != "" {
		lvl, err := parseSeverity(severity)
		if err != nil {
			return e, err
		}
		e.Severity = &lvl
	} else if e.Product == ProductIOS {
		// The severity digit of the ID is the documented severity.
		if parts := strings.Split(e.ID, "-"); len(parts) >= 3 {
			if lvl, err := strconv.Atoi(parts[1]); err == nil {
				e.Severity = &lvl
			}
		}
	}
	return e, nil
}

// parseSeverity accepts a level 0-7 or its English keyword.
func parseSeverity(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 7 {
			return 0, fmt.Errorf("%w: severity %d is outside 0-7", ErrInvalidEntry, n)
		}
		return n, nil
	}
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%w: severity %q is neither 0-7 nor one of %s", ErrInvalidEntry, s, strings.Join(severityNames[:], ", "))
}

// checkUserEntry validates an entry of a user file: it must be a valid
// catalog entry and add something.
func checkUserEntry(e *Entry) error {
	if e.Product == ProductIOS && e.Facility == "" && e.Mnemonic == "" {
		e.ID = strings.TrimPrefix(e.ID, "%")
		e.Facility, e.Mnemonic = SplitIOSID(e.ID)
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Explanation == "" && e.Action == "" {
		return fmt.Errorf("%w: explanation and action are both empty", ErrInvalidEntry)
	}
	return nil
}

// checkDuplicates reports entries of one file that share product and key:
// within one file that is a mistake, not an override.
func checkDuplicates(entries []located) []error {
	seen := map[string]string{}
	var problems []error
	for _, l := range entries {
		k := string(l.entry.Product) + " " + l.entry.Key()
		if first, dup := seen[k]; dup {
			problems = append(problems, fmt.Errorf("%s (id %q): %w: %s %q is already defined at %s", l.where, l.entry.ID, ErrDuplicateEntry, l.entry.Product, l.entry.ID, first))
			continue
		}
		seen[k] = l.where
	}
	return problems
}
