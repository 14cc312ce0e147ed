package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// maxLineBytes bounds one input line: a longer line is reported and
// replaced by an error record, as it would take several times its size in
// memory.
const maxLineBytes = 256 << 20

// errorKey is the key of the error flb-enrich adds to a line it could not
// read as what it looks like (the plugin uses the same name).
const errorKey = "enrich_error"

// runEnrich enriches log lines from files (or standard input) with the
// same engine and options as the plugin, writing one JSON object per line.
func runEnrich(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := newCommand("flb-enrich", "usage: flb-enrich [options] [FILE...]\n"+
		"Reads log lines from FILEs (or standard input, also as -): a line that is a JSON object is a record,\n"+
		"any other line becomes {\"log\": LINE}. Writes one enriched JSON record per line.\n", stderr)
	opts := enrich.DefaultOptions()
	messageKeys := c.String("message-key", strings.Join(opts.MessageKeys, ","), "comma-separated `KEYS` searched for a message ID, in order; raw lines are put under the first")
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
	opts.MessageKeys = nil
	for _, k := range strings.Split(*messageKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opts.MessageKeys = append(opts.MessageKeys, k)
		}
	}
	if err := opts.Validate(); err != nil {
		return c.fail(2, err)
	}
	cat, err := catalog.Load(c.catalogs...)
	if err != nil {
		return c.fail(1, err)
	}
	eng, err := enrich.New(cat, opts)
	if err != nil {
		return c.fail(2, err)
	}
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	l := newLineEnricher(eng, opts, stdout)
	failed := false
	for _, name := range inputs {
		err := l.file(name, stdin)
		var out *outputError
		if errors.As(err, &out) {
			return c.fail(1, err)
		}
		if err != nil {
			// One bad input does not stop the others. Each of its
			// problems gets a line.
			fmt.Fprintf(stderr, "flb-enrich: %s\n", strings.ReplaceAll(err.Error(), "\n", "\nflb-enrich: "))
			failed = true
		}
	}
	if err := l.flush(); err != nil {
		return c.fail(1, err)
	}
	if failed {
		return 1
	}
	return 0
}

// lineEnricher turns each input line into a record, enriches it with
// Rewrite and writes it as one JSON line. Every line read gives exactly
// one output line, written before the next line is read; the output is
// flushed whenever the input has nothing more buffered, so that a
// following reader sees each line as soon as it is complete.
type lineEnricher struct {
	eng     *enrich.Engine
	rawKey  string
	msgKeys []string
	in      *bufio.Reader
	out     *bufio.Writer
	maxLine int
	now     time.Time // when the buffered input was read
	scan    jsonScanner
	long    []byte // a line longer than the read buffer
	rec     []byte
	dst     []byte
	js      []byte
	// added caches the JSON of the pairs the engine appends, by their
	// msgpack bytes; nil when the appended pairs are not the whole change
	// (Overwrite removes pairs) or vary with every line (Params).
	added map[string][]byte
}

// outputError is a failure to write the output, which ends the run.
type outputError struct{ err error }

func (e *outputError) Error() string { return "write output: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

func newLineEnricher(eng *enrich.Engine, opts enrich.Options, w io.Writer) *lineEnricher {
	msgKeys := opts.MessageKeys
	l := &lineEnricher{
		eng:     eng,
		rawKey:  msgKeys[0],
		msgKeys: msgKeys,
		in:      bufio.NewReaderSize(nil, 64<<10),
		out:     bufio.NewWriterSize(w, 64<<10),
		maxLine: maxLineBytes,
	}
	l.scan.isMsg = l.isMessageKey
	// An added field named like the time would change where the time goes.
	if !opts.Overwrite && !opts.Params && !namesDate(opts) {
		l.added = make(map[string][]byte)
	}
	return l
}

// namesDate reports whether an added field or the nest key is the key of
// the read time.
func namesDate(opts enrich.Options) bool {
	for _, f := range opts.Fields.ByOption() {
		if *f.Name == msgpack.JSONDateKey {
			return true
		}
	}
	return opts.NestUnder == msgpack.JSONDateKey
}

func (l *lineEnricher) isMessageKey(k []byte) bool {
	for _, m := range l.msgKeys {
		if m == string(k) {
			return true
		}
	}
	return false
}

func (l *lineEnricher) flush() error {
	if err := l.out.Flush(); err != nil {
		return &outputError{err}
	}
	return nil
}

// file enriches every line of the named input ("-" is stdin). An input
// that cannot be opened or read is an error; every line read before a
// read error is written.
func (l *lineEnricher) file(name string, stdin io.Reader) error {
	r, label := stdin, name
	if name == "-" {
		label = "standard input"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	l.in.Reset(r)
	defer l.in.Reset(nil)
	var problems []error
	for lineNo := 1; ; lineNo++ {
		wait := l.mayWait()
		if wait {
			// Show what is done before waiting for more input.
			if err := l.flush(); err != nil {
				return err
			}
		}
		line, n, err := l.readLine()
		if wait {
			l.now = time.Now()
		}
		switch {
		case n > l.maxLine:
			p := fmt.Errorf("%s:%d: line longer than %d bytes: replaced by an error record", label, lineNo, l.maxLine)
			problems = append(problems, p)
			if werr := l.writeError(nil, p.Error()); werr != nil {
				return werr
			}
		case n > 0 || err == nil:
			if werr := l.line(line); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return errors.Join(problems...)
		}
		if err != nil {
			return errors.Join(append(problems, fmt.Errorf("read %s: %w", label, err))...)
		}
	}
}

// mayWait reports whether reading the next line may wait for input: the
// buffered input holds no complete line.
func (l *lineEnricher) mayWait() bool {
	b, _ := l.in.Peek(l.in.Buffered())
	return bytes.IndexByte(b, '\n') < 0
}

// readLine returns the next line without its line ending, and its length
// in bytes. A line longer than maxLine is read to its end but not kept
// whole (its length is then only known to be over maxLine). err is io.EOF
// after the last line, which may lack a newline; n is 0 and err non-nil
// when there is no line.
func (l *lineEnricher) readLine() (line []byte, n int, err error) {
	line, err = l.in.ReadSlice('\n')
	n = len(line)
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = l.in.ReadSlice('\n')
			if n += len(line); n <= l.maxLine+2 {
				l.long = append(l.long, line...)
			}
		}
		line = l.long
	}
	if err == nil {
		line, n = line[:len(line)-1], n-1
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line, n = line[:len(line)-1], n-1
	}
	return line, n, err
}

// line writes the enriched record of one line. A line that is a JSON
// object is that record; any other line is {rawKey: line}, with an error
// when it looks like a JSON object but is not one.
func (l *lineEnricher) line(line []byte) error {
	rec := l.recordHead()
	var problem string
	if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '{' {
		var err error
		if rec, err = l.scan.appendObject(rec, t); err == nil {
			return l.write(rec, line)
		}
		problem = "not a valid JSON object: " + err.Error()
	}
	if problem == "" {
		rec = msgpack.AppendMapHeader(rec, 1)
	} else {
		rec = msgpack.AppendMapHeader(rec, 2)
	}
	rec = msgpack.AppendStr(rec, l.rawKey)
	rec = msgpack.AppendStr(rec, line)
	if problem != "" {
		rec = msgpack.AppendStr(rec, errorKey)
		rec = msgpack.AppendStr(rec, problem)
	}
	return l.write(rec, line)
}

// recordHeadLen is the length of what recordHead writes.
const recordHeadLen = 13

// recordHead starts a record [[EventTime(now), {}], ...] in l.rec.
func (l *lineEnricher) recordHead() []byte {
	return msgpack.AppendEntryHead(l.rec[:0], l.now)
}

// write enriches rec and writes it as one JSON line. If that fails, the
// original line is written with the error instead.
func (l *lineEnricher) write(rec, line []byte) error {
	l.rec = rec
	var err error
	if l.dst, _, err = l.eng.Rewrite(l.dst[:0], rec); err == nil {
		if l.js, err = l.appendJSON(l.js[:0], rec, l.dst); err == nil {
			return l.writeLine()
		}
	}
	return l.writeError(line, err.Error())
}

// appendJSON appends the enriched record out as JSON. The pairs the engine
// appended to rec (the catalog text, the same for every line of a message)
// are written from a cache of their JSON when there is one.
func (l *lineEnricher) appendJSON(js, rec, out []byte) ([]byte, error) {
	n, k := pairCount(rec), pairCount(out)-pairCount(rec)
	if l.added == nil || n < 0 || k <= 0 || len(out) <= len(rec) {
		return msgpack.AppendRecordJSONText(js, out)
	}
	added := out[len(rec):]
	cached, ok := l.added[string(added)]
	if !ok {
		var err error
		if cached, err = msgpack.AppendPairsJSON(nil, added, k); err != nil {
			return js, err
		}
		if len(l.added) < maxCachedAdditions {
			l.added[string(added)] = cached
		}
	}
	js, err := msgpack.AppendRecordJSONText(js, rec)
	if err != nil {
		return js, err
	}
	// rec's JSON has at least one member: its own pairs or the time.
	js = append(js[:len(js)-1], ',')
	js = append(js, cached...)
	return append(js, '}'), nil
}

// maxCachedAdditions bounds the cache of added pairs: the catalog's
// entries times the severities a header may give them.
const maxCachedAdditions = 8192

// pairCount is the pair count of the body of a record that recordHead
// started (its body at offset recordHeadLen), -1 for another header.
func pairCount(rec []byte) int {
	if len(rec) <= recordHeadLen {
		return -1
	}
	switch c := rec[recordHeadLen]; {
	case c&0xf0 == 0x80:
		return int(c & 0x0f)
	case c == 0xdf && len(rec) >= recordHeadLen+5:
		return int(binary.BigEndian.Uint32(rec[recordHeadLen+1:]))
	}
	return -1
}

// writeError writes {rawKey: line, errorKey: problem}, or only the error
// when line is nil.
func (l *lineEnricher) writeError(line []byte, problem string) error {
	rec := l.recordHead()
	if line != nil {
		rec = msgpack.AppendMapHeader(rec, 2)
		rec = msgpack.AppendStr(rec, l.rawKey)
		rec = msgpack.AppendStr(rec, line)
	} else {
		rec = msgpack.AppendMapHeader(rec, 1)
	}
	rec = msgpack.AppendStr(rec, errorKey)
	rec = msgpack.AppendStr(rec, problem)
	l.rec = rec
	var err error
	if l.js, err = msgpack.AppendRecordJSON(l.js[:0], rec); err != nil {
		return &outputError{fmt.Errorf("error record: %w", err)}
	}
	return l.writeLine()
}

// writeLine writes l.js as one output line.
func (l *lineEnricher) writeLine() error {
	l.js = append(l.js, '\n')
	if _, err := l.out.Write(l.js); err != nil {
		return &outputError{err}
	}
	return nil
}
