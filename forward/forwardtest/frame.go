package forwardtest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/enrich-plugin/enrich/forward/internal/wire"
)

// EventTime is the Forward protocol's nanosecond timestamp (MessagePack ext type 0), as it
// appears in decoded values.
type EventTime = wire.EventTime

// Ext is a MessagePack extension value other than EventTime, as it appears in decoded values.
type Ext = wire.Ext

// Mode is the Forward protocol carrier mode of a message.
type Mode int

// The carrier modes of the Forward protocol v1.
const (
	ModeMessage Mode = iota + 1
	ModeForward
	ModePackedForward
	ModeCompressedPackedForward
)

// String returns the mode's name as the specification spells it.
func (m Mode) String() string {
	switch m {
	case ModeMessage:
		return "Message"
	case ModeForward:
		return "Forward"
	case ModePackedForward:
		return "PackedForward"
	case ModeCompressedPackedForward:
		return "CompressedPackedForward"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Message is one received Forward message.
type Message struct {
	Tag  string
	Mode Mode
	// Chunk is option.chunk, "" when absent.
	Chunk string
	// Size is option.size, -1 when absent.
	Size int
	// Records is the number of entries decoded.
	Records int
	// Entries is the concatenation of the raw entries ([time, record] objects), decompressed
	// for CompressedPackedForward.
	Entries []byte
	// Acked reports that the server wrote the ack for Chunk.
	Acked bool
}

// Record is one received entry, decoded.
type Record struct {
	Tag   string
	Chunk string
	// Time is the event time; Metadata is the metadata map of the Fluent Bit 2.1+
	// [[time, metadata], record] form, nil for the legacy [time, record] form.
	Time     time.Time
	Metadata map[string]any
	// Body is the record: str values decode to string, bin to []byte, integers to int64
	// (uint64 above MaxInt64), maps to map[string]any, arrays to []any.
	Body map[string]any
	// Raw is the entry's MessagePack encoding as received.
	Raw []byte
	// Acked reports that the server wrote the ack for the message that carried the record.
	Acked bool
}

// errFrame marks a message that breaks the framing rules.
var errFrame = errors.New("forward framing")

// maxDecompressed bounds a CompressedPackedForward payload after gunzip.
const maxDecompressed = 256 << 20

// decodeFrame decodes one complete Forward message (b holds exactly one MessagePack object)
// and checks it: tag is a str, entries decode record by record, option.size (when present)
// matches the number of entries. A missing chunk id is reported by the caller.
func decodeFrame(b []byte) (Message, []Record, error) {
	msg := Message{Size: -1}
	n, rest, err := wire.ReadArrayHeader(b)
	if err != nil {
		return msg, nil, fmt.Errorf("%w: message is not an array: %w", errFrame, err)
	}
	if n < 2 || n > 4 {
		return msg, nil, fmt.Errorf("%w: message array has %d elements, want 2 to 4", errFrame, n)
	}
	tag, rest, err := wire.ReadStr(rest)
	if err != nil {
		return msg, nil, fmt.Errorf("%w: tag is not a str: %w", errFrame, err)
	}
	if len(tag) == 0 {
		return msg, nil, fmt.Errorf("%w: tag is empty", errFrame)
	}
	msg.Tag = string(tag)
	if len(rest) == 0 {
		return msg, nil, fmt.Errorf("%w: message ends after the tag", errFrame)
	}
	var entries []byte
	var optBytes []byte
	second := rest[0]
	switch {
	case second&0xf0 == 0x90 || second == 0xdc || second == 0xdd: // Forward
		if n > 3 {
			return msg, nil, fmt.Errorf("%w: Forward message has %d elements, want 2 or 3", errFrame, n)
		}
		msg.Mode = ModeForward
		cnt, r, err := wire.ReadArrayHeader(rest)
		if err != nil {
			return msg, nil, fmt.Errorf("%w: entries array: %w", errFrame, err)
		}
		start := len(rest) - len(r)
		end := start
		for i := 0; i < cnt; i++ {
			sz, err := wire.Skip(rest[end:])
			if err != nil {
				return msg, nil, fmt.Errorf("%w: entry %d: %w", errFrame, i, err)
			}
			end += sz
		}
		entries = rest[start:end]
		rest = rest[end:]
		if n == 3 {
			optBytes = rest
		}
	case second&0xe0 == 0xa0 || (second >= 0xd9 && second <= 0xdb) || (second >= 0xc4 && second <= 0xc6): // PackedForward
		if n > 3 {
			return msg, nil, fmt.Errorf("%w: PackedForward message has %d elements, want 2 or 3", errFrame, n)
		}
		msg.Mode = ModePackedForward
		entries, rest, err = wire.ReadStrOrBin(rest)
		if err != nil {
			return msg, nil, fmt.Errorf("%w: entries: %w", errFrame, err)
		}
		if n == 3 {
			optBytes = rest
		}
	default: // Message: [tag, time, record, option?]
		if n < 3 {
			return msg, nil, fmt.Errorf("%w: Message mode needs tag, time and record", errFrame)
		}
		msg.Mode = ModeMessage
		tsz, err := wire.Skip(rest)
		if err != nil {
			return msg, nil, fmt.Errorf("%w: time: %w", errFrame, err)
		}
		rsz, err := wire.Skip(rest[tsz:])
		if err != nil {
			return msg, nil, fmt.Errorf("%w: record: %w", errFrame, err)
		}
		// Rebuild the [time, record] entry so that every mode yields the same Records.
		entries = append([]byte{0x92}, rest[:tsz+rsz]...)
		rest = rest[tsz+rsz:]
		if n == 4 {
			optBytes = rest
		}
	}
	compressed := false
	if optBytes != nil {
		var err error
		compressed, err = readOptions(optBytes, &msg)
		if err != nil {
			return msg, nil, err
		}
	}
	if compressed {
		if msg.Mode != ModePackedForward {
			return msg, nil, fmt.Errorf("%w: option compressed on a %s message", errFrame, msg.Mode)
		}
		msg.Mode = ModeCompressedPackedForward
		zr, err := gzip.NewReader(bytes.NewReader(entries))
		if err != nil {
			return msg, nil, fmt.Errorf("%w: gzip entries: %w", errFrame, err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxDecompressed+1))
		if err != nil {
			return msg, nil, fmt.Errorf("%w: gzip entries: %w", errFrame, err)
		}
		if len(plain) > maxDecompressed {
			return msg, nil, fmt.Errorf("%w: decompressed entries exceed %d bytes", errFrame, maxDecompressed)
		}
		entries = plain
	}
	msg.Entries = bytes.Clone(entries)
	var recs []Record
	for p := msg.Entries; len(p) > 0; {
		sz, err := wire.Skip(p)
		if err != nil {
			return msg, nil, fmt.Errorf("%w: entry %d: %w", errFrame, len(recs), err)
		}
		rec, err := decodeEntry(p[:sz:sz])
		if err != nil {
			return msg, nil, fmt.Errorf("%w: entry %d: %w", errFrame, len(recs), err)
		}
		rec.Tag = msg.Tag
		rec.Chunk = msg.Chunk
		recs = append(recs, rec)
		p = p[sz:]
	}
	msg.Records = len(recs)
	if msg.Size >= 0 && msg.Size != msg.Records {
		return msg, nil, fmt.Errorf("%w: option size is %d but the message holds %d entries", errFrame, msg.Size, msg.Records)
	}
	return msg, recs, nil
}

// readOptions reads the option map into msg and reports whether entries are gzipped.
func readOptions(b []byte, msg *Message) (bool, error) {
	v, rest, err := wire.Decode(b)
	if err != nil {
		return false, fmt.Errorf("%w: option: %w", errFrame, err)
	}
	if len(rest) != 0 {
		return false, fmt.Errorf("%w: %d bytes after the option map", errFrame, len(rest))
	}
	opts, ok := v.(map[string]any)
	if !ok {
		return false, fmt.Errorf("%w: option is %T, want a map", errFrame, v)
	}
	if c, present := opts["chunk"]; present {
		s, ok := c.(string)
		if !ok || s == "" {
			return false, fmt.Errorf("%w: option chunk is %#v, want a non-empty str", errFrame, c)
		}
		msg.Chunk = s
	}
	if sz, present := opts["size"]; present {
		i, ok := sz.(int64)
		if !ok || i < 0 {
			return false, fmt.Errorf("%w: option size is %#v, want a non-negative integer", errFrame, sz)
		}
		msg.Size = int(i)
	}
	if c, present := opts["compressed"]; present {
		if s, ok := c.(string); ok && s == "gzip" {
			return true, nil
		}
		return false, fmt.Errorf("%w: option compressed is %#v, want \"gzip\"", errFrame, c)
	}
	return false, nil
}

// decodeEntry decodes [time, record] or [[time, metadata], record].
func decodeEntry(raw []byte) (Record, error) {
	rec := Record{Raw: bytes.Clone(raw)}
	v, _, err := wire.Decode(raw)
	if err != nil {
		return rec, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) != 2 {
		return rec, fmt.Errorf("entry is %T, want a [time, record] array", v)
	}
	ts := arr[0]
	if hdr, ok := ts.([]any); ok {
		if len(hdr) != 2 {
			return rec, fmt.Errorf("entry header has %d elements, want [time, metadata]", len(hdr))
		}
		meta, ok := hdr[1].(map[string]any)
		if !ok {
			return rec, fmt.Errorf("entry metadata is %T, want a map", hdr[1])
		}
		rec.Metadata = meta
		ts = hdr[0]
	}
	switch t := ts.(type) {
	case EventTime:
		rec.Time = t.Time()
	case int64:
		rec.Time = time.Unix(t, 0).UTC()
	case uint64:
		return rec, fmt.Errorf("entry time %d is out of range", t)
	case float64:
		sec := int64(t)
		rec.Time = time.Unix(sec, int64((t-float64(sec))*1e9)).UTC()
	default:
		return rec, fmt.Errorf("entry time is %T, want EventTime, integer or float", ts)
	}
	body, ok := arr[1].(map[string]any)
	if !ok {
		return rec, fmt.Errorf("record is %T, want a map", arr[1])
	}
	rec.Body = body
	return rec, nil
}
