package main

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/internal/msgpack"
	"github.com/enrich-plugin/enrich/output"
	"github.com/enrich-plugin/enrich/report"
)

// maxLineBytes bounds one input line, which takes several times its size in memory.
const maxLineBytes = 256 << 20

// errOutput marks a failure to write the output, which ends the run.
var errOutput = errors.New("write output")

// runEnrich enriches log lines with the plugin's engine and options, one JSON object per line.
func runEnrich(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich", "usage: flb-enrich [options] [FILE...]\n"+
		"Reads log lines from FILEs (or standard input, also as -): a line that is a JSON object is a record,\n"+
		"any other line becomes {\"log\": LINE}. Writes one enriched JSON record per line.\n", stdout, stderr)
	return enrichLines(c, args, stdin, stdout, nil)
}

// enrichLines enriches the lines of the inputs named in args, writing the records or tallying them in rep.
func enrichLines(c *command, args []string, stdin io.Reader, stdout io.Writer, rep *tally) int {
	opts := enrich.DefaultOptions()
	c.Func("message-key", "comma-separated `KEYS` searched for a message ID, in order; raw lines are put under the first "+
		"(default with ecs: message,msg,raw) (default \""+strings.Join(opts.MessageKeys, ",")+"\")", func(v string) error {
		opts.MessageKeys = nil
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				opts.MessageKeys = append(opts.MessageKeys, k)
			}
		}
		return nil
	})
	preset := c.String("field-preset", "default", "field names to start from: default or ecs (Elastic Common Schema)")
	c.BoolVar(&opts.Params, "params", false, "add a map of the message's variables")
	c.StringVar(&opts.NestUnder, "nest-under", "", "put the added fields in a map under `KEY`")
	c.BoolVar(&opts.Overwrite, "overwrite", false, "replace existing keys that have an added field's name")
	for _, f := range opts.Fields.ByOption() {
		c.StringVar(f.Name, strings.ReplaceAll(f.Option, "_", "-"), *f.Name, "name of the added `FIELD`")
	}
	inputs, code, ok := c.parse(args)
	if !ok {
		return code
	}
	if rep != nil && (*rep.k < 1 || *rep.k > 10000) {
		return c.failUsage(fmt.Errorf("--top %d: want 1 to 10000", *rep.k))
	}
	name := strings.ToLower(strings.TrimSpace(*preset)) // as the plugin reads Field_Preset
	if !output.Preset(&opts, name) {
		return c.failUsage(fmt.Errorf("--field-preset: %q: want default or ecs", *preset))
	} else if name != "default" {
		// The flags again, so that those given override the preset.
		c.catalogs = nil
		c.parse(args)
	}
	// Spaces around a name are not part of it, as the plugin reads its keys.
	opts.NestUnder = strings.TrimSpace(opts.NestUnder)
	for _, f := range opts.Fields.ByOption() {
		*f.Name = strings.TrimSpace(*f.Name)
	}
	if err := cmp.Or(opts.Validate(), output.ValidatePreset(name, opts)); err != nil {
		if oe := (*enrich.OptionError)(nil); errors.As(err, &oe) { // named as the flags, not as the plugin's keys
			for i, o := range oe.Options {
				oe.Options[i] = "--" + strings.ReplaceAll(o, "_", "-")
			}
		}
		return c.fail(2, err)
	}
	// Raw lines (the first message key) or a field named as a raw line's problem, or inside it,
	// would replace it (--overwrite) or be left out.
	names := []enrich.FieldOption{{Option: "nest_under", Name: &opts.NestUnder}}
	if fields := opts.Fields.ByOption(); opts.NestUnder == "" {
		names = fields[:]
	}
	for _, f := range append(names, enrich.FieldOption{Option: "message_key", Name: &opts.MessageKeys[0]}) {
		if n := *f.Name; n == output.UnparsedErrorKey || strings.HasPrefix(n, output.UnparsedErrorKey+".") { // Elasticsearch merges enrich_error.x into it
			return c.fail(2, fmt.Errorf("--%s: %s: a raw line's problem goes under %s: give another name", strings.ReplaceAll(f.Option, "_", "-"), n, output.UnparsedErrorKey))
		}
	}
	cat, err := catalog.Load(c.catalogs...)
	if err != nil {
		return c.fail(1, err)
	}
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	if rep != nil && *rep.csv == "-" { // would be a file named -
		return c.fail(2, errors.New("--csv -: give a file path; the report goes to standard output (/dev/stdout for the CSV)"))
	} else if rep != nil && *rep.csv != "" && output.IsCatalogFile(*rep.csv, c.catalogs) { // as for Report_File
		return c.fail(2, fmt.Errorf("--csv %s is also a --catalog: write the report elsewhere and load the completed copy", *rep.csv))
	} else if rep != nil && *rep.csv != "" && (output.IsCatalogFile(*rep.csv, inputs) || slices.Contains(inputs, "-") && isFile(stdin, *rep.csv)) {
		return c.fail(2, fmt.Errorf("--csv %s is also an input: the report would replace it", *rep.csv))
	} else if p := csvProblem(rep); p != "" {
		return c.fail(2, fmt.Errorf("--csv %s: %s", *rep.csv, p))
	} else if name := readsOutput(inputs, stdin, stdout); rep == nil && name != "" {
		return c.fail(2, fmt.Errorf("input %s is also the standard output: its records would be read back without end", name))
	}
	eng, err := enrich.New(cat, opts)
	if err != nil {
		return c.fail(2, err)
	}
	if rep != nil {
		rep.top = report.New(*rep.k) // only now: a report is printed only once the inputs are read
	}
	l := newLineEnricher(eng, opts, stdout)
	l.tally = rep
	for _, name := range inputs {
		switch err := l.file(name, stdin); {
		case errors.Is(err, errOutput):
			return c.fail(1, err)
		case err != nil:
			// One bad input does not stop the others; each problem gets a line.
			fmt.Fprintf(c.Output(), "flb-enrich: %s\n", strings.ReplaceAll(err.Error(), "\n", "\nflb-enrich: "))
			code = 1
		}
	}
	if err := l.flush(); err != nil {
		return c.fail(1, err)
	}
	return code
}

// isFile reports whether r is the regular file at path, as standard input redirected from it is.
func isFile(r io.Reader, path string) bool {
	f, _ := r.(*os.File) // nil, whose Stat fails, when r is no file
	fi, err := f.Stat()
	pi, _ := os.Stat(path) // SameFile is false for a path that Stat could not read
	return err == nil && fi.Mode().IsRegular() && os.SameFile(fi, pi)
}

// readsOutput returns the input (- for standard input) that is the regular file standard output
// writes to, or "": each record written would be read again, and the file grow until the disk is full.
func readsOutput(inputs []string, stdin io.Reader, stdout io.Writer) string {
	if ew, ok := stdout.(*errWriter); ok {
		stdout = ew.w
	}
	out, _ := stdout.(*os.File)
	for _, name := range inputs {
		if out != nil && (name == "-" && isFile(stdin, out.Name()) || name != "-" && isFile(out, name)) {
			return name
		}
	}
	return ""
}

// lineEnricher writes each input line enriched before it reads the next, and flushes before it waits.
type lineEnricher struct {
	eng          *enrich.Engine
	rawKey       string
	in           *bufio.Reader
	out          *bufio.Writer
	maxLine      int
	now          time.Time // when the buffered input was read
	scan         jsonScanner
	long         []byte // a line longer than the read buffer
	rec, dst, js []byte
	tally        *tally // when set, records are tallied rather than written
	// added caches the JSON of the pairs the engine appends, by their msgpack bytes; nil when they are
	// not the whole change (Overwrite), vary with every line (Params) or may be named like the time.
	added map[string][]byte
}

func newLineEnricher(eng *enrich.Engine, opts enrich.Options, w io.Writer) *lineEnricher {
	l := &lineEnricher{
		eng:     eng,
		rawKey:  opts.MessageKeys[0],
		in:      bufio.NewReaderSize(nil, 64<<10),
		out:     bufio.NewWriterSize(w, 64<<10),
		maxLine: maxLineBytes,
		scan:    jsonScanner{msgKeys: opts.MessageKeys},
	}
	namesDate := opts.NestUnder == msgpack.JSONDateKey
	for _, f := range opts.Fields.ByOption() {
		namesDate = namesDate || *f.Name == msgpack.JSONDateKey
	}
	if !opts.Overwrite && !opts.Params && !namesDate {
		l.added = make(map[string][]byte)
	}
	return l
}

func (l *lineEnricher) flush() error {
	if err := l.out.Flush(); err != nil {
		return fmt.Errorf("%w: %w", errOutput, err)
	}
	return nil
}

// file enriches every line of the named input ("-" is stdin), also those before a read error.
func (l *lineEnricher) file(name string, stdin io.Reader) error {
	r, label := stdin, "standard input"
	if name != "-" {
		// Opening may wait (a named pipe without a writer): the last line of the input before,
		// which had no line ending, is written first.
		if err := l.flush(); err != nil {
			return err
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r, label = f, name
	}
	l.in.Reset(r)
	var problems []error
	for lineNo := 1; ; lineNo++ {
		b, _ := l.in.Peek(l.in.Buffered())
		wait := bytes.IndexByte(b, '\n') < 0
		if wait {
			if err := l.flush(); err != nil {
				return err
			}
		}
		line, n, err := l.readLine(lineNo == 1)
		if wait {
			l.now = time.Now()
		}
		var werr error
		switch {
		case n > l.maxLine:
			p := fmt.Errorf("%s:%d: line longer than %d bytes: replaced by an error record", label, lineNo, l.maxLine)
			problems = append(problems, p)
			werr = l.write(l.rawRecord(nil, p.Error()), nil)
		case n > 0 && err != io.EOF && err != nil: // the error may have cut the line short
			werr = l.write(l.rawRecord(line, fmt.Sprintf("%s:%d: read error, the line may be cut short: %v", label, lineNo, err)), line)
		case n > 0 || err == nil:
			werr = l.line(line)
		}
		switch {
		case werr != nil:
			return werr
		case err == io.EOF:
			return errors.Join(problems...)
		case err != nil:
			return errors.Join(append(problems, readError(label, err))...)
		}
	}
}

// readError is "read NAME: problem", without the file name that an *os.File's error repeats.
func readError(name string, err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// readLine returns the next line without its ending, and its length n, which is 0 when err ends
// the input. A line longer than maxLine is read to its end but not kept whole. A byte order mark
// starts an input, not the first line of it.
func (l *lineEnricher) readLine(first bool) (line []byte, n int, err error) {
	line, err = l.in.ReadSlice('\n')
	if first {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // the buffer holds 16 bytes at least
	}
	if n = len(line); err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.in.ReadSlice('\n')
			if n += len(line); n <= l.maxLine+2 {
				l.long = append(l.long, line...)
			}
		}
		line = l.long
	}
	k := len(line)
	if t, ok := bytes.CutSuffix(line, []byte("\n")); ok { // "\n" or "\r\n" ends a line; a lone "\r" is text
		line = bytes.TrimSuffix(t, []byte("\r"))
	}
	return line, n - (k - len(line)), err
}

// line writes the JSON object a line is, or else {rawKey: line} with the problem if it looks like one.
func (l *lineEnricher) line(line []byte) error {
	var problem string
	// Only JSON's own whitespace may surround an object; other space (U+00A0, U+3000, VT) is text.
	t := line
	for len(t) > 0 && isJSONSpace(t[0]) {
		t = t[1:]
	}
	if len(t) > 0 && t[0] == '{' {
		rec, err := l.scan.object(msgpack.AppendEntryHead(l.rec[:0], l.now), line)
		if err == nil {
			return l.write(rec, line)
		}
		problem = "not a valid JSON object: " + err.Error()
	}
	if !utf8.Valid(line) {
		problem = strings.TrimPrefix(problem+"; "+notUTF8, "; ")
	}
	return l.write(l.rawRecord(line, problem), line)
}

// notUTF8 is the problem of a text line JSON cannot hold as it is.
const notUTF8 = "not UTF-8: each byte that is not part of UTF-8 text is written as U+FFFD"

// recordHeadLen is the length of the head msgpack.AppendEntryHead writes.
const recordHeadLen = 13

// rawRecord is the record {rawKey: line, errorKey: problem}, without a nil line or an empty problem.
func (l *lineEnricher) rawRecord(line []byte, problem string) []byte {
	rec := msgpack.AppendMapHeader(msgpack.AppendEntryHead(l.rec[:0], l.now), 0)
	if line != nil {
		rec = msgpack.AppendStr(msgpack.AppendStr(rec, l.rawKey), line)
		rec[recordHeadLen]++ // a fixmap header counts the pairs
	}
	if problem != "" {
		rec = msgpack.AppendStr(msgpack.AppendStr(rec, output.UnparsedErrorKey), problem)
		rec[recordHeadLen]++
	}
	return rec
}

// write writes rec enriched as one JSON line; if that fails, the line with the error instead.
func (l *lineEnricher) write(rec, line []byte) error {
	l.rec = rec
	if l.tally != nil {
		l.tally.add(l.eng, rec)
		return nil
	}
	var err error
	if l.dst, _, err = l.eng.Rewrite(l.dst[:0], rec); err == nil {
		l.js, err = l.appendJSON(l.js[:0], rec, l.dst)
	}
	if err != nil {
		l.rec = l.rawRecord(line, err.Error())
		if l.js, err = msgpack.AppendRecordJSON(l.js[:0], l.rec, false); err != nil {
			return fmt.Errorf("%w: error record: %w", errOutput, err)
		}
	}
	l.js = append(l.js, '\n')
	if _, err := l.out.Write(l.js); err != nil {
		return fmt.Errorf("%w: %w", errOutput, err)
	}
	return nil
}

// appendJSON appends the enriched record out as JSON, the pairs the engine appended to rec (the same
// for every line of a message) from the cache.
func (l *lineEnricher) appendJSON(js, rec, out []byte) ([]byte, error) {
	hr, err1 := msgpack.ReadHeader(rec[recordHeadLen:])
	ho, err2 := msgpack.ReadHeader(out[recordHeadLen:])
	k := ho.N - hr.N
	if l.added == nil || err1 != nil || err2 != nil || ho.Size != hr.Size || k <= 0 || len(out) <= len(rec) {
		return msgpack.AppendRecordJSON(js, out, true)
	}
	added := out[len(rec):]
	js, err := msgpack.AppendRecordJSON(js, rec, true)
	cached, ok := l.added[string(added)]
	if !ok && err == nil {
		if cached, err = msgpack.AppendPairsJSON(nil, added, k); err == nil && len(l.added) < maxCachedAdditions {
			l.added[string(added)] = cached
		}
	}
	if err != nil {
		return js, err
	}
	// rec's JSON has at least one member: its own pairs or the time.
	return append(append(append(js[:len(js)-1], ','), cached...), '}'), nil
}

// maxCachedAdditions bounds the cache: the catalog's entries times the severities a header may give.
const maxCachedAdditions = 8192

// csvProblem is Report_File's check of --csv, made before any input is read; /dev/stdout, a named
// pipe or a device is written into, so only its opening can fail.
func csvProblem(rep *tally) string {
	if rep == nil || *rep.csv == "" {
		return ""
	}
	if _, fi, err := report.Resolve(*rep.csv); err == nil && fi != nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return ""
	}
	return output.ReportFileProblem(*rep.csv, nil)
}
