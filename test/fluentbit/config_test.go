package fluentbit

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dummyLine is a Threat Defense line whose ID the catalog knows, and dummyRecord
// a record with it that the dummy input emits.
const (
	dummyLine   = "%FTD-4-722051: Group <G> User <u> IP <198.51.100.7> IPv4 Address <10.0.0.2> IPv6 address <::> assigned to session"
	dummyRecord = `{"message":"` + dummyLine + `"}`
)

// TestShippedFilesTakeAddressesFromEnv checks what fluent-bit.conf promises: every path, port
// and host in it and in fluent-bit.yaml comes from an environment variable listed at its top
// (a container sets them, and the metrics must be reachable from outside the pod); and every
// ${NAME} that these and the two-tier files use is listed in the file's own header, or in
// fluent-bit.conf's for the files whose header refers to it.
func TestShippedFilesTakeAddressesFromEnv(t *testing.T) {
	root := repoRoot(t)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	listed := func(name string) map[string]bool { // the words of the comment lines before the first section
		header, _, _ := strings.Cut(read(name), "\n[")
		header, _, _ = strings.Cut(header, "\nservice:")
		words := map[string]bool{}
		for _, w := range strings.Fields(header) {
			words[strings.TrimSuffix(w, ",")] = true
		}
		return words
	}
	top := listed("fluent-bit.conf")
	keys := map[string]bool{"listen": true, "http_listen": true, "host": true, "port": true, "http_port": true,
		"path": true, "db": true, "storage.path": true, "unix_path": true, "forward_address": true,
		"parsers_file": true, "plugins_file": true}
	for name, refersToTop := range map[string]bool{"fluent-bit.conf": false, "fluent-bit.yaml": true,
		"examples/two-tier/agent.conf": true, "examples/two-tier/aggregator.conf": false} {
		body, own := read(name), listed(name)
		for _, m := range reEnvRef.FindAllStringSubmatch(body, -1) {
			if !own[m[1]] && !(refersToTop && top[m[1]]) {
				t.Errorf("%s uses %s, which its header does not list", name, m[1])
			}
		}
		checked, where, listedThere := keys, "at the top of fluent-bit.conf", func(v string) bool { return top[v] }
		if strings.HasPrefix(name, "examples/") {
			// Their own addresses, but a pod is probed on its own address: their HTTP server's too.
			checked, where = map[string]bool{"http_listen": true}, "in its header"
			listedThere = func(v string) bool { return own[v] || refersToTop && top[v] }
		}
		for _, line := range strings.Split(body, "\n") {
			line = strings.TrimPrefix(strings.TrimSpace(line), "- ")
			k, v, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(k, " \t") {
				k, v, _ = strings.Cut(strings.Join(strings.Fields(line), " "), " ")
			}
			if !checked[strings.ToLower(k)] {
				continue
			}
			sm := reEnvRef.FindStringSubmatch(v)
			if sm == nil || !listedThere(sm[1]) {
				t.Errorf("%s: %s %s comes from no environment variable listed %s", name, k, strings.TrimSpace(v), where)
			}
		}
	}
}

// TestBadPluginConfigurationStopsFluentBit checks that a bad value for a
// plugin key makes Fluent Bit refuse to start, with a message that names the
// key (or the file, for a catalog that cannot be read).
func TestBadPluginConfigurationStopsFluentBit(t *testing.T) {
	bin := fluentBitBinary(t)
	so := pluginSO(t)

	tests := []struct {
		name  string
		key   string
		value string
		want  []string // the output must contain one of these, case-insensitively
	}{
		{name: "unknown sink", key: "Sink", value: "pigeon", want: []string{"sink"}},
		{name: "forward address scheme", key: "Forward_Address", value: "http://127.0.0.1:24224", want: []string{"forward_address"}},
		{name: "ack timeout not a duration", key: "Ack_Timeout", value: "soon", want: []string{"ack_timeout"}},
		{name: "payload size not a size", key: "Max_Payload_Size", value: "huge", want: []string{"max_payload_size"}},
		{name: "tls not a boolean", key: "Forward_TLS", value: "maybe", want: []string{"forward_tls"}},
		{name: "params not a boolean", key: "Params", value: "sometimes", want: []string{"params"}},
		{name: "missing catalog file", key: "Catalog_File", value: "/nonexistent/enrich-catalog.json", want: []string{"catalog_file", "/nonexistent/enrich-catalog.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Every other key is valid, so the failure can only come from
			// the key under test; it replaces the valid value of the same key.
			props := map[string]string{"Forward_Address": "unix:///nonexistent/enrich.sock"}
			props[tc.key] = tc.value
			args := []string{
				"-e", so,
				"-i", "dummy", "-p", "dummy=" + dummyRecord, "-t", "net.test",
				"-o", "enrich", "-m", "net.*",
			}
			for k, v := range props {
				args = append(args, "-p", k+"="+v)
			}
			refusedAtStart(t, startFluentBit(t, bin, nil, append(args, "-f", "1")...), tc.key+"="+tc.value, tc.want)
		})
	}
}

// refusedAtStart checks that Fluent Bit, given what, exits with a failure and an [error] line
// naming one of want.
func refusedAtStart(t *testing.T, p *process, what string, want []string) {
	t.Helper()
	code, err := p.wait(30 * time.Second)
	if err != nil {
		t.Fatalf("%s: %v; want fluent-bit to refuse to start", what, err)
	}
	if code == 0 {
		t.Errorf("%s: fluent-bit exited with 0, want a failure", what)
	}
	if !errorLineNames(p.out.String(), want) {
		t.Errorf("%s: no [error] line names any of %q:\n%s", what, want, p.out.String())
	}
}

// TestStdoutSink checks the control case of the test above: the same command
// line with a good value starts, and the stdout sink prints the record with
// the catalog fields added.
func TestStdoutSink(t *testing.T) {
	bin := fluentBitBinary(t)
	so := pluginSO(t)

	p := startFluentBit(t, bin, nil,
		"-e", so,
		"-i", "dummy", "-p", "dummy="+dummyRecord, "-t", "net.test",
		"-o", "enrich", "-m", "net.*", "-p", "Sink=stdout",
		"-f", "1")
	waitFor(t, p, 30*time.Second, "an enriched record on stdout", func() bool {
		out := p.out.String()
		return strings.Contains(out, "message_id") && strings.Contains(out, "722051")
	})
}

// errorLineNames reports whether one of Fluent Bit's [error] lines contains
// one of want, case-insensitively.
func errorLineNames(out string, want []string) bool {
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "[error]") {
			continue
		}
		line = strings.ToLower(line)
		for _, w := range want {
			if strings.Contains(line, strings.ToLower(w)) {
				return true
			}
		}
	}
	return false
}

// TestSharedKey hands records back to an in_forward with Shared_Key: with the
// same key they arrive enriched; with another key, none, or with security.users set,
// the plugin names the refusal and nothing arrives.
func TestSharedKey(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	if before(t, bin, 3, 0) {
		t.Skip("in_forward has Shared_Key from Fluent Bit 3.0")
	}
	for _, tc := range []struct{ name, key, users, want string }{
		{"same key", "s3cret", "", `"message_id":"722051"`},
		{"wrong key", "wrong", "", "receiver refused the shared key: it closed the connection after PING"},
		{"no key", "", "", "receiver requires a shared key handshake but no shared key is configured"},
		{"users", "s3cret", "alice pw", `receiver requires user authentication, which is not supported (use the shared key alone): "username/password mismatch"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := strconv.Itoa(freePort(t, "tcp"))
			forward := []string{"-i", "forward", "-p", "listen=127.0.0.1", "-p", "port=" + port, "-p", "shared_key=s3cret", "-p", "threaded=on"}
			if tc.users != "" {
				forward = append(forward, "-p", "security.users="+tc.users)
			}
			args := append([]string{"-e", so, "-i", "dummy", "-p", "dummy=" + dummyRecord, "-t", "net.test"}, forward...)
			p := startFluentBit(t, bin, nil, append(args,
				"-o", "enrich", "-m", "net.*", "-p", "Forward_Address=tcp://127.0.0.1:"+port, "-p", "Forward_Shared_Key="+tc.key,
				"-o", "stdout", "-m", "enriched.*", "-p", "format=json_lines",
				"-f", "1")...)
			waitFor(t, p, 30*time.Second, tc.want, func() bool { return strings.Contains(p.out.String(), tc.want) })
			if tc.key != "s3cret" || tc.users != "" {
				if strings.Contains(p.out.String(), `"message_id"`) {
					t.Errorf("records arrived through a refused handshake")
				}
			}
		})
	}
}

// TestHandshakeStopWithinGrace: with Forward_Shared_Key, Forward_TLS or over plain TCP, a stop
// with chunks pending takes no longer than over a unix socket. A stopping Fluent Bit pauses
// in_forward, which then sends no HELO, answers no TLS handshake and acks no probe; each retried
// flush used to wait for them on the engine thread, so a stop with Grace 5 took 17 s with the
// shared key, 13 to 16 s with TLS, and 23 to 32 s over plain TCP (Ack_Timeout for a payload).
func TestHandshakeStopWithinGrace(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	dir := tempDir(t)
	sock, crt, key := filepath.Join(dir, "loop.sock"), filepath.Join(dir, "crt.pem"), filepath.Join(dir, "key.pem")
	hs := httptest.NewTLSServer(nil) // its certificate, valid for 127.0.0.1, is its own CA
	hs.Close()
	der, err := x509.MarshalPKCS8PrivateKey(hs.TLS.Certificates[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	for f, b := range map[string]*pem.Block{crt: {Type: "CERTIFICATE", Bytes: hs.Certificate().Raw}, key: {Type: "PRIVATE KEY", Bytes: der}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port, plain := freePort(t, "tcp"), freePort(t, "tcp")
	for _, tc := range []struct{ name, input, output string }{
		{"Forward_Shared_Key", "Unix_Path " + sock + "\n    Shared_Key s3cret", "Forward_Address unix://" + sock + "\n    Forward_Shared_Key s3cret"},
		{"Forward_TLS", fmt.Sprintf("Listen 127.0.0.1\n    Port %d\n    tls on\n    tls.verify off\n    tls.crt_file %s\n    tls.key_file %s", port, crt, key),
			fmt.Sprintf("Forward_Address tcp://127.0.0.1:%d\n    Forward_TLS on\n    Forward_TLS_CA_File %s", port, crt)},
		{"plain TCP", fmt.Sprintf("Listen 127.0.0.1\n    Port %d", plain), fmt.Sprintf("Forward_Address tcp://127.0.0.1:%d", plain)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Forward_Shared_Key" && before(t, bin, 3, 0) {
				t.Skip("in_forward has Shared_Key from Fluent Bit 3.0")
			}
			conf := filepath.Join(dir, "fluent-bit.conf")
			body := fmt.Sprintf(`[SERVICE]
    Flush 1
    Grace %d
[INPUT]
    Name  dummy
    Tag   net.test
    Dummy %s
    Rate  50
[INPUT]
    Name     forward
    Threaded On
    %s
[OUTPUT]
    Name        enrich
    Match       net.*
    Retry_Limit no_limits
    %s
[OUTPUT]
    Name   stdout
    Match  enriched.*
    Format json_lines
`, int(grace/time.Second), dummyRecord, tc.input, tc.output)
			if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			p := startFluentBit(t, bin, nil, "-e", so, "-c", conf)
			// Records came back through the handshake, and the dummy input keeps a chunk pending.
			waitFor(t, p, 30*time.Second, "records handed back", func() bool {
				return strings.Count(p.out.String(), `"message_id":"722051"`) >= 100
			})
			if took, bound := stopWith(t, p, syscall.SIGTERM), graceBound(t, bin); took > bound {
				t.Errorf("SIGTERM with %s took %s, want at most %s (Grace and 2 s)", tc.name, took.Round(time.Millisecond), bound)
			}
		})
	}
}

// TestConfigFileSyntaxRefused: the classic format keeps quotes and a '#' after a value as part
// of it, and a YAML null reaches the plugin as the text written. Forward_Tag_Prefix "enriched."
// handed every record back under a tag the output matching enriched.* never took, a comment after
// a unix Forward_Address was retried for ever, nest_under: null nested the added fields under
// "null": each must stop Fluent Bit at start, naming the key.
func TestConfigFileSyntaxRefused(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	const address = "unix:///nonexistent/enrich.sock"
	for _, tc := range []struct{ name, key, body string }{
		{"quotes", "Forward_Tag_Prefix", "    Forward_Tag_Prefix \"enriched.\"\n    Forward_Address " + address + "\n"},
		{"comment", "Forward_Address", "    Forward_Address " + address + " # the loop back\n"},
		{"yaml null", "Nest_Under", "      sink: stdout\n      nest_under: null\n"},
		{"yaml ~", "Nest_Under", "      sink: stdout\n      nest_under: ~\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tempDir(t)
			conf := filepath.Join(dir, "fluent-bit.conf")
			body := "[SERVICE]\n    Flush 1\n    Plugins_File " + writePluginsFile(t, dir, so) + "\n" +
				"[INPUT]\n    Name dummy\n    Tag net.test\n    Dummy " + dummyRecord + "\n" +
				"[OUTPUT]\n    Name enrich\n    Match net.*\n" + tc.body
			if strings.HasPrefix(tc.name, "yaml") {
				if before(t, bin, 3, 2) {
					t.Skip("a YAML file with plugins: needs Fluent Bit 3.2 or newer")
				}
				conf = filepath.Join(dir, "fluent-bit.yaml")
				body = "service:\n  flush: 1\nplugins:\n  - " + so + "\npipeline:\n  inputs:\n" +
					"    - name: dummy\n      tag: net.test\n      dummy: '" + dummyRecord + "'\n  outputs:\n" +
					"    - name: enrich\n      match: net.*\n" + tc.body
			}
			if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			refusedAtStart(t, startFluentBit(t, bin, nil, "-c", conf), tc.name, []string{"configuration key " + tc.key})
		})
	}
}

// TestSharedKeyFromEnvWithNewline: a key read into the environment from a file (a Kubernetes
// Secret made with --from-file) ends in a newline, and in_forward takes it so. With the same
// ${FWD_KEY} on both sides, the plugin trimmed its copy and every handshake was refused.
func TestSharedKeyFromEnvWithNewline(t *testing.T) {
	bin, so := fluentBitBinary(t), pluginSO(t)
	if before(t, bin, 3, 0) {
		t.Skip("in_forward has Shared_Key from Fluent Bit 3.0")
	}
	for _, key := range []string{"s3cret\n", " s3cret"} {
		t.Run(strconv.Quote(key), func(t *testing.T) {
			port := strconv.Itoa(freePort(t, "tcp"))
			p := startFluentBit(t, bin, []string{"FWD_KEY=" + key},
				"-e", so, "-i", "dummy", "-p", "dummy="+dummyRecord, "-t", "net.test",
				"-i", "forward", "-p", "listen=127.0.0.1", "-p", "port="+port, "-p", "shared_key=${FWD_KEY}", "-p", "threaded=on",
				"-o", "enrich", "-m", "net.*", "-p", "Forward_Address=tcp://127.0.0.1:"+port, "-p", "Forward_Shared_Key=${FWD_KEY}",
				"-o", "stdout", "-m", "enriched.*", "-p", "format=json_lines", "-f", "1")
			waitFor(t, p, 30*time.Second, "an enriched record through the handshake", func() bool {
				return strings.Contains(p.out.String(), `"message_id":"722051"`)
			})
		})
	}
}
