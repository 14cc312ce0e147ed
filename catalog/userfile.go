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
// are required. The last three make the CSV that `flb-enrich catalog
// --format csv` writes loadable as it is.
var csvColumns = []string{"id", "severity", "explanation", "action", "product", "format", "error_code", "source_document", "source_section"}

const csvRequired = 4

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

func parseUserJSON(b []byte) ([]located, []error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			line, col := position(b, syn.Offset)
			return nil, []error{fmt.Errorf("line %d column %d: malformed JSON: %w", line, col, err)}
		}
		return nil, []error{fmt.Errorf("want a JSON array of entries: %w", err)}
	}
	var entries []located
	var problems []error
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var e Entry
		if err := dec.Decode(&e); err != nil {
			problems = append(problems, fmt.Errorf("entry %d: %w", i+1, err))
			continue
		}
		if err := checkUserEntry(&e); err != nil {
			problems = append(problems, fmt.Errorf("entry %d (id %q): %w", i+1, e.ID, err))
			continue
		}
		entries = append(entries, located{where: fmt.Sprintf("entry %d", i+1), entry: e})
	}
	return entries, problems
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
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // spreadsheets write a BOM
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
			e.Format = field(rec, "format")
			e.Explanation = field(rec, "explanation")
			e.Action = field(rec, "action")
			e.ErrorCode = field(rec, "error_code")
			e.Source = Source{Document: field(rec, "source_document"), Section: field(rec, "source_section")}
			err = checkUserEntry(&e)
		}
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d (id %q): %w", line, field(rec, "id"), err))
			continue
		}
		entries = append(entries, located{where: fmt.Sprintf("line %d", line), entry: e})
	}
	return entries, problems
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
