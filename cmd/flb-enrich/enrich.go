package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/enrich-plugin/enrich/catalog"
	"github.com/enrich-plugin/enrich/enrich"
)

func init() {
	// explain accepts whole log lines through the same recogniser as the
	// plugin. Building an engine per call is fine for a one-shot command.
	recogniseLine = func(cat *catalog.Catalog, line string) (catalog.Product, string, bool) {
		e, err := enrich.New(cat, enrich.DefaultOptions())
		if err != nil {
			return "", "", false
		}
		m, ok := e.Recognise([]byte(line))
		if !ok || m.Entry == nil {
			return "", "", false
		}
		return m.Product, m.Entry.Key(), true
	}
}

// batchRecords is how many lines are enriched per chunk: enough to
// amortise the chunk handling, small enough to stream.
const batchRecords = 256

// maxLineBytes bounds one input line.
const maxLineBytes = 16 << 20

// runEnrich enriches log lines from files (or standard input) with the
// same engine and options as the plugin, writing one JSON object per line.
func runEnrich(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("flb-enrich", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := enrich.DefaultOptions()
	opts := def
	messageKeys := fs.String("message-key", strings.Join(def.MessageKeys, ","), "comma-separated `KEYS` searched for a message ID, in order; raw lines are put under the first")
	fs.BoolVar(&opts.Params, "params", false, "add a map of the message's variables")
	fs.StringVar(&opts.NestUnder, "nest-under", "", "put the added fields in a map under `KEY`")
	fs.BoolVar(&opts.Overwrite, "overwrite", false, "replace existing keys that have an added field's name")
	var files fileList
	fs.Var(&files, "catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable")
	for _, f := range []struct {
		flag string
		dst  *string
	}{
		{"field-message-id", &opts.Fields.MessageID},
		{"field-severity", &opts.Fields.Severity},
		{"field-severity-name", &opts.Fields.SeverityName},
		{"field-documented-severity", &opts.Fields.DocumentedSeverity},
		{"field-explanation", &opts.Fields.Explanation},
		{"field-action", &opts.Fields.Action},
		{"field-product", &opts.Fields.Product},
		{"field-params", &opts.Fields.Params},
	} {
		fs.StringVar(f.dst, f.flag, *f.dst, "name of the added `FIELD`")
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: flb-enrich [options] [FILE...]")
		fmt.Fprintln(stderr, "Reads log lines from FILEs (or standard input, also as -): a line that is a JSON object is a record,")
		fmt.Fprintln(stderr, "any other line becomes {\"log\": LINE}. Writes one enriched JSON record per line.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	opts.MessageKeys = nil
	for _, k := range strings.Split(*messageKeys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opts.MessageKeys = append(opts.MessageKeys, k)
		}
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "flb-enrich: %v\n", err)
		return 2
	}
	cat, err := catalog.Load(files...)
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich: %v\n", err)
		return 1
	}
	eng, err := enrich.New(cat, opts)
	if err != nil {
		fmt.Fprintf(stderr, "flb-enrich: %v\n", err)
		return 2
	}
	w := bufio.NewWriter(stdout)
	l := &lineEnricher{eng: eng, rawKey: opts.MessageKeys[0], out: w}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	for _, name := range inputs {
		if err := l.file(name, stdin); err != nil {
			fmt.Fprintf(stderr, "flb-enrich: %v\n", err)
			return 1
		}
	}
	if err := l.flush(); err != nil {
		fmt.Fprintf(stderr, "flb-enrich: %v\n", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "flb-enrich: write output: %v\n", err)
		return 1
	}
	return 0
}

// lineEnricher turns lines into chunk records, enriches them in batches
// with Rewrite, and writes each record with AppendRecordJSON.
type lineEnricher struct {
	eng    *enrich.Engine
	rawKey string
	out    io.Writer
	chunk  []byte
	n      int
	dst    []byte
	js     []byte
}

func (l *lineEnricher) file(name string, stdin io.Reader) error {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := bytes.TrimRight(sc.Bytes(), "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := l.add(line); err != nil {
			return fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// add appends one line as a record [[EventTime(now), {}], body].
func (l *lineEnricher) add(line []byte) error {
	now := time.Now()
	l.chunk = append(l.chunk, 0x92, 0x92, 0xd7, 0x00)
	l.chunk = binary.BigEndian.AppendUint32(l.chunk, uint32(now.Unix()))
	l.chunk = binary.BigEndian.AppendUint32(l.chunk, uint32(now.Nanosecond()))
	l.chunk = append(l.chunk, 0x80)
	body, ok := jsonObjectToMsgpack(l.chunk, line)
	if ok {
		l.chunk = body
	} else {
		l.chunk = append(l.chunk, 0x81)
		l.chunk = enrich.AppendStr(l.chunk, l.rawKey)
		l.chunk = enrich.AppendStr(l.chunk, string(line))
	}
	l.n++
	if l.n >= batchRecords {
		return l.flush()
	}
	return nil
}

// flush enriches and writes the pending records.
func (l *lineEnricher) flush() error {
	if l.n == 0 {
		return nil
	}
	var err error
	l.dst, _, err = l.eng.Rewrite(l.dst[:0], l.chunk)
	if err != nil {
		return fmt.Errorf("enrich: %w", err)
	}
	l.chunk, l.n = l.chunk[:0], 0
	for rest := l.dst; len(rest) > 0; {
		n, err := enrich.RecordEnd(rest)
		if err != nil {
			return fmt.Errorf("enriched chunk: %w", err)
		}
		l.js, err = enrich.AppendRecordJSON(l.js[:0], rest[:n])
		if err != nil {
			return err
		}
		l.js = append(l.js, '\n')
		if _, err := l.out.Write(l.js); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		rest = rest[n:]
	}
	return nil
}

// jsonObjectToMsgpack appends line as a msgpack map when it is a JSON
// object, keeping the key order; ok is false for anything else.
func jsonObjectToMsgpack(dst, line []byte) ([]byte, bool) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return dst, false
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	out, err := appendJSONValue(dst, dec)
	if err != nil {
		return dst, false
	}
	return out, true
}

// appendJSONValue converts the next JSON value of dec to msgpack.
func appendJSONValue(dst []byte, dec *json.Decoder) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return dst, err
	}
	switch v := tok.(type) {
	case json.Delim:
		var items [][]byte
		isMap := v == '{'
		for dec.More() {
			var item []byte
			if isMap {
				k, err := dec.Token()
				if err != nil {
					return dst, err
				}
				ks, _ := k.(string)
				item = enrich.AppendStr(item, ks)
			}
			if item, err = appendJSONValue(item, dec); err != nil {
				return dst, err
			}
			items = append(items, item)
		}
		if _, err := dec.Token(); err != nil {
			return dst, err
		}
		dst = appendContainerHeader(dst, len(items), isMap)
		for _, it := range items {
			dst = append(dst, it...)
		}
		return dst, nil
	case string:
		return enrich.AppendStr(dst, v), nil
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return appendMsgpackInt(dst, i), nil
		}
		f, err := v.Float64()
		if err != nil {
			return dst, err
		}
		return binary.BigEndian.AppendUint64(append(dst, 0xcb), math.Float64bits(f)), nil
	case bool:
		if v {
			return append(dst, 0xc3), nil
		}
		return append(dst, 0xc2), nil
	default: // nil
		return append(dst, 0xc0), nil
	}
}

func appendContainerHeader(dst []byte, n int, isMap bool) []byte {
	fix, h16, h32 := byte(0x90), byte(0xdc), byte(0xdd)
	if isMap {
		fix, h16, h32 = 0x80, 0xde, 0xdf
	}
	switch {
	case n < 16:
		return append(dst, fix|byte(n))
	case n < 1<<16:
		return append(dst, h16, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(dst, h32), uint32(n))
	}
}

func appendMsgpackInt(dst []byte, i int64) []byte {
	switch {
	case i >= 0 && i < 128:
		return append(dst, byte(i))
	case i < 0 && i >= -32:
		return append(dst, byte(int8(i)))
	default:
		return binary.BigEndian.AppendUint64(append(dst, 0xd3), uint64(i))
	}
}
