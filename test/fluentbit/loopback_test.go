package fluentbit

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/enrich-plugin/enrich/internal/msgpack"
)

// forwardRecords encodes n records [[EventTime, {}], {"message": line, "n": "rI"}].
func forwardRecords(n int, line string) []byte { return forwardRecordsFrom(0, n, line) }

// forwardRecordsFrom is forwardRecords with I from first on.
func forwardRecordsFrom(first, n int, line string) []byte {
	var b []byte
	for i := first; i < first+n; i++ {
		b = append(b, 0x92, 0x92, 0xd7, 0x00)
		b = binary.BigEndian.AppendUint32(b, 1700000000)
		b = binary.BigEndian.AppendUint32(b, uint32(i))
		b = append(b, 0x80, 0x82)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "message"), line)
		b = msgpack.AppendStr(msgpack.AppendStr(b, "n"), fmt.Sprintf("r%d", i))
	}
	return b
}

// sendPacked sends entries to the in_forward at addr as one PackedForward message under
// tag and waits for its ack, so that they arrive in Fluent Bit as one chunk.
func sendPacked(t *testing.T, addr, tag string, entries []byte) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial in_forward: %v", err)
	}
	defer c.Close()
	const id = "c2VuZFBhY2tlZC1jaHVuaw=="
	msg := msgpack.AppendStr(msgpack.AppendArrayHeader(nil, 3), tag)
	msg = append(msgpack.AppendBinHeader(msg, len(entries)), entries...)
	msg = msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(msg, 1), "chunk"), id)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("send to in_forward: %v", err)
	}
	ack := make([]byte, 64)
	if n, err := c.Read(ack); err != nil || !strings.Contains(string(ack[:n]), id) {
		t.Fatalf("no ack from in_forward: %q %v", ack[:n], err)
	}
}

// startLoopBack starts Fluent Bit with a threaded in_forward on a TCP port, enrich with the extra
// properties (key=value) handing the records back to an in_forward on a unix socket, threaded as
// the shipped files have it unless the properties give enrich Workers, and stdout printing them as
// JSON lines. It returns once the TCP in_forward listens, with its address.
func startLoopBack(t *testing.T, bin, so string, props ...string) (*process, string) {
	port := freePort(t, "tcp")
	sock := filepath.Join(tempDir(t), "loop.sock")
	threaded := "on"
	if slices.ContainsFunc(props, func(kv string) bool { return strings.HasPrefix(kv, "Workers=") }) {
		threaded = "off" // the layout of enrich with Workers (README, Hot reload, restarts and layouts)
	}
	args := []string{"-e", so,
		"-i", "forward", "-p", "listen=127.0.0.1", "-p", "port=" + strconv.Itoa(port), "-p", "threaded=on",
		"-i", "forward", "-p", "unix_path=" + sock, "-p", "threaded=" + threaded,
		"-o", "enrich", "-m", "net.*", "-p", "Forward_Address=unix://" + sock, "-p", "Retry_Limit=no_limits"}
	for _, kv := range props {
		args = append(args, "-p", kv)
	}
	p := startFluentBit(t, bin, nil, append(args, "-o", "stdout", "-m", "enriched.*", "-p", "format=json_lines", "-f", "1")...)
	return p, waitListening(t, p, port)
}

// waitListening waits for p's in_forward to listen on port of 127.0.0.1 and returns the address.
func waitListening(t *testing.T, p *process, port int) string {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	waitFor(t, p, 30*time.Second, "in_forward to listen", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

var recordN = regexp.MustCompile(`"n":"(r\d+)"`)

// TestChunkOfManyPayloads sends one chunk of many records to enrich with the smallest
// Max_Payload_Size in the shipped layout (no Workers, loop-back in_forward Threaded On), which
// would cut it into thousands of payloads. A threaded in_forward queues each message for the
// engine thread in 1024 slots (src/flb_input.c) and drops the connection when they stay full,
// and the engine thread empties them only after the flush returns. Records of a short line that
// gains the catalog's longest Threat Defense text (733100) grow about 100 times, which the flush
// sends while it rewrites, with payloads sized from the estimated output. Every record must
// arrive, once, with its explanation.
func TestChunkOfManyPayloads(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	for _, tc := range []struct {
		name, line string
		n          int
	}{
		{"plain records", dummyLine, 4000},
		{"records that gain long texts", "%FTD-3-733100: x", 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, addr := startLoopBack(t, bin, so, "Max_Payload_Size=1k")
			sendPacked(t, addr, "net.big", forwardRecords(tc.n, tc.line))
			seen := map[string]int{}
			waitFor(t, p, 30*time.Second, "every record", func() bool {
				clear(seen)
				for _, m := range recordN.FindAllStringSubmatch(p.out.String(), -1) {
					seen[m[1]]++
				}
				return len(seen) == tc.n
			})
			for id, c := range seen {
				if c > 1 {
					t.Errorf("record %s arrived %d times", id, c)
					break
				}
			}
			for _, l := range strings.Split(p.out.String(), "\n") {
				if recordN.MatchString(l) && !strings.Contains(l, `"explanation":`) {
					t.Errorf("a record arrived without its explanation: %.300s", l)
					break
				}
			}
			if strings.Contains(p.out.String(), "not delivered") {
				t.Errorf("a flush failed")
			}
		})
	}
}

// TestWorkers sends chunks under several tags to enrich with Workers 2, in the layout the
// README gives it (the loop-back in_forward not threaded), so that flushes of one instance run
// on Fluent Bit's worker threads. Every record must arrive once, with its
// explanation, and the plugin must say that it runs with Workers.
func TestWorkers(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	p, addr := startLoopBack(t, bin, so, "Workers=2", "Max_Payload_Size=4k")
	const tags, rounds, n = 4, 5, 300
	for c := range tags * rounds { // acknowledged at once: the chunks wait for the same flushes
		sendPacked(t, addr, fmt.Sprintf("net.w%d.%d", c%tags, c/tags), forwardRecordsFrom(c*n, n, dummyLine))
	}
	seen := map[string]int{}
	waitFor(t, p, 60*time.Second, "every record", func() bool {
		clear(seen)
		for _, m := range recordN.FindAllStringSubmatch(p.out.String(), -1) {
			seen[m[1]]++
		}
		return len(seen) == tags*rounds*n
	})
	out := p.out.String()
	for id, c := range seen {
		if c > 1 {
			t.Errorf("record %s arrived %d times", id, c)
			break
		}
	}
	for _, l := range strings.Split(out, "\n") {
		if recordN.MatchString(l) && !strings.Contains(l, `"explanation":`) {
			t.Errorf("a record arrived without its explanation: %.300s", l)
			break
		}
	}
	// Logged at the first flush through Fluent Bit's log thread, which may write after the records.
	waitFor(t, p, 10*time.Second, "the Workers warning (none: the flushes ran on the engine thread)", func() bool {
		return strings.Contains(p.out.String(), "this output runs with Workers")
	})
}

// TestValuesThatAreNotRecords sends one chunk where a value that is not a record (nil) follows
// every record, which in_forward stores as it is. enrich passes each on wrapped in a record of its
// own, about 140 bytes for one: 45,000 of them, 6.5 MB, are more than in_forward's Buffer_Max_Size
// in one message, so they must travel in payloads of the usual size. Every record must arrive
// once, and every value wrapped.
func TestValuesThatAreNotRecords(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	const n = 45000
	p, addr := startLoopBack(t, bin, so)
	var entries []byte
	for records := forwardRecords(n, "x"); len(records) > 0; {
		k, _ := msgpack.Skip(records)
		entries, records = append(append(entries, records[:k]...), 0xc0), records[k:]
	}
	sendPacked(t, addr, "net.values", entries)
	seen := map[string]int{}
	wrapped := 0
	waitFor(t, p, 60*time.Second, "every record and every value wrapped", func() bool {
		out := p.out.String()
		clear(seen)
		for _, m := range recordN.FindAllStringSubmatch(out, -1) {
			seen[m[1]]++
		}
		wrapped = strings.Count(out, `"enrich_unparsed_base64":"wA=="`)
		return len(seen) == n && wrapped >= n
	})
	for id, c := range seen {
		if c > 1 {
			t.Errorf("record %s arrived %d times", id, c)
			break
		}
	}
	if wrapped != n || strings.Contains(p.out.String(), "not delivered") {
		t.Errorf("%d values wrapped, want %d; a flush failed: %v", wrapped, n, strings.Contains(p.out.String(), "not delivered"))
	}
}

// TestTimesFluentBitRefuses sends one chunk where records whose time Fluent Bit's decoder refuses
// (a float32, a negative integer, a group start's seconds with nanoseconds, nanoseconds of a second
// or more) or drops (an integer above 2^63-1, a float of -1) sit between ordinary records. in_forward stores them as they are;
// its outputs would stop reading the chunk at the first. enrich passes each on wrapped, so every
// ordinary record must arrive, enriched, and each of the others wrapped.
func TestTimesFluentBitRefuses(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	p, addr := startLoopBack(t, bin, so)
	times := [][]byte{{0xca, 0x4e, 0xcc, 0xc1, 0x70}, {0xff}, {0xd7, 0x00, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1},
		{0xd7, 0x00, 0x66, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00}, {0xcf, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, {0xcb, 0xbf, 0xf0, 0, 0, 0, 0, 0, 0}}
	var entries []byte
	records := forwardRecords(len(times)+1, dummyLine)
	for _, tm := range times {
		k, _ := msgpack.Skip(records)
		entries, records = append(append(entries, records[:k]...), 0x92), records[k:]
		entries = msgpack.AppendStr(msgpack.AppendStr(msgpack.AppendMapHeader(append(entries, tm...), 1), "message"), dummyLine)
	}
	sendPacked(t, addr, "net.times", append(entries, records...))
	waitFor(t, p, 30*time.Second, "every record, and each of the others wrapped", func() bool {
		out := p.out.String()
		return len(recordN.FindAllString(out, -1)) == len(times)+1 && strings.Count(out, `"enrich_unparsed_base64":`) == len(times)
	})
	for _, l := range strings.Split(p.out.String(), "\n") {
		if recordN.MatchString(l) && !strings.Contains(l, `"explanation":`) {
			t.Errorf("a record arrived without its explanation: %.300s", l)
		}
	}
}

// TestLoopBackFailuresNameTheirCause runs two loop backs the plugin cannot deliver to,
// and waits for the warning that names the cause on in_forward's side:
//   - in_forward's default Threaded Off: it then reads on the engine thread, which runs
//     enrich's flush (no Workers), so the flush sees a receiver that stopped reading;
//   - a record larger than in_forward's Buffer_Max_Size, which travels alone: in_forward
//     closes the connection on it ("incoming data exceed limit").
func TestLoopBackFailuresNameTheirCause(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	big := `{"message":"` + dummyLine + " " + strings.Repeat("x", 100_000) + `"}`
	for _, tc := range []struct {
		name, record, want string
		forward            []string
	}{
		{"not threaded", dummyRecord, "lacks Threaded On", nil},
		{"record over Buffer_Max_Size", big, "larger than its Buffer_Max_Size",
			[]string{"-p", "threaded=on", "-p", "buffer_chunk_size=32k", "-p", "buffer_max_size=64k"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sock := filepath.Join(tempDir(t), "loop.sock")
			args := []string{"-e", so, "-i", "dummy", "-p", "dummy=" + tc.record, "-p", "samples=1", "-t", "net.test",
				"-i", "forward", "-p", "unix_path=" + sock}
			p := startFluentBit(t, bin, nil, append(append(args, tc.forward...),
				"-o", "enrich", "-m", "net.*", "-p", "Forward_Address=unix://"+sock,
				"-o", "stdout", "-m", "enriched.*", "-p", "format=json_lines", "-f", "1")...)
			waitFor(t, p, 30*time.Second, tc.want, func() bool {
				for _, l := range strings.Split(p.out.String(), "\n") {
					if strings.Contains(l, "[output:enrich:") && strings.Contains(l, "not delivered") && strings.Contains(l, tc.want) {
						return true
					}
				}
				return false
			})
		})
	}
}

// TestTagsHandedBack sends records under tags of many lengths and bytes through the shipped
// pattern (a threaded in_forward on a unix socket, filesystem storage) and checks that each comes
// back once as enriched.<tag>, byte for byte, with no failed flush (docs/design.md, Tags). Tags of
// 2,000 bytes and more are sent only to Fluent Bit 4.2 and later: the older versions can crash
// while storing them.
func TestTagsHandedBack(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	dir := tempDir(t)
	sock, port := filepath.Join(dir, "loop.sock"), freePort(t, "tcp")
	long := func(n int) string { return "net." + strings.Repeat("t", n-len("net.")) }
	tags := []string{long(100), long(255), long(256), long(1000), long(1900),
		"net.ログ.日本語", "net.\xff\xfe.bad", "net.a b", "net.a\tb", "net.a\nb", "net.a\x01\x7fb",
		"net.*", `net.<>&"\`, "net.a\u2028b"}
	if !before(t, bin, 4, 2) {
		tags = append(tags, long(4096), long(8192), long(32768), long(65000))
	}
	conf := filepath.Join(dir, "fluent-bit.conf")
	body := fmt.Sprintf(`[SERVICE]
    Flush        1
    Grace        5
    storage.path %s
[INPUT]
    Name         forward
    Listen       127.0.0.1
    Port         %d
    Threaded     On
    storage.type filesystem
[INPUT]
    Name         forward
    Unix_Path    %s
    Threaded     On
    storage.type filesystem
[OUTPUT]
    Name            enrich
    Match           net.*
    Forward_Address unix://%s
[OUTPUT]
    Name  stdout
    Match enriched.*
`, filepath.Join(dir, "state"), port, sock, sock)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startFluentBit(t, bin, nil, "-e", so, "-c", conf)
	addr := waitListening(t, p, port)
	for _, tag := range tags {
		sendPacked(t, addr, tag, forwardRecords(1, dummyLine))
	}
	// The stdout output prints each record as "[N] TAG: [...", the tag as its bytes.
	back := func(tag string) int { return strings.Count(p.out.String(), "] enriched."+tag+": [") }
	waitFor(t, p, 60*time.Second, "every tag back", func() bool {
		for _, tag := range tags {
			if back(tag) == 0 {
				return false
			}
		}
		return true
	})
	for _, tag := range tags {
		if n := back(tag); n != 1 {
			t.Errorf("tag %.40q (%d bytes) came back %d times, want once", tag, len(tag), n)
		}
	}
	if strings.Contains(p.out.String(), "not delivered") {
		t.Errorf("a flush failed")
	}
}
