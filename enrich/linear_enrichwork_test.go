//go:build enrichwork

package enrich

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestRecogniseLinear checks, by counting the bytes the recogniser
// examines, that its search is linear in the value's length on values
// built to make a scan restart or run on: many '%' headers, dashes,
// labels and anchors, and long runs of digits, word bytes and blanks.
// Run it with: go test -tags enrichwork -run TestRecogniseLinear ./enrich/
func TestRecogniseLinear(t *testing.T) {
	const (
		small = 256 << 10
		large = 1 << 20
		// perByte bounds the examined bytes per byte of value; the
		// signature buckets and IOS lookups give a constant factor.
		perByte = 32
	)
	repeated := []string{
		"%", "%A", "%A-1-", "%A_", "%-", "%ASA-", "%ASA<", "%ASA-6-72205", "%FTD--a-", "%FTD-",
		"%A-B-C-D-E-F-G-H-I-", "%A-1-B ", "%A-1-BB:  ", "%A-1-RTMT_ALERT:", "%UC_X-2-RTMT_ALERT ",
		"%LICENSE-SMART_LIC-A-B-C-3-COMM_FAILED", "1", "-", " ", "e", "Ev", "eRROR", "error id ", "error id=",
		"AlertName=", "AlertName=A", "CallManager", "%A-1-AlertName=",
		"]:", "a[1]:", "a[1]: A-1-B", "a[1]: A-1-B:", "%A-1-SYSTEM_MSG: ", "%IOSXE-1-PLATFORM: ",
		"%CCM_A-B-2-RTMT-ERROR-ALERT: ", "Alert Name:", "Alert ", "<<%A-1-B>>",
	}
	prefixed := []struct{ prefix, fill string }{
		{"%", "A"}, {"%", "1"}, {"%", "_"}, {"%A-1-", "A"}, {"%A-1-", "1"}, {"%A-1-", " "},
		{"%A-B-C-D-E-F-G-", "H"}, {"%A-1-", "-A"}, {"error id ", "1"}, {"error id", " "}, {"AlertName=", "A"},
		{"%ASA-6-", "1"}, {"%UC_A-2-RTMT_ALERT", " "},
		{"a[", "1"}, {"a[1]: ", "A"}, {"%USER-2-SYSTEM_MSG: ", "%"}, {"%CCM_A-RTMT-2-RTMT-ERROR-ALERT: Alert Name:", "A"},
	}
	type input struct{ name, unit, prefix string }
	var inputs []input
	for _, r := range repeated {
		inputs = append(inputs, input{name: "repeat " + r, unit: r})
	}
	for _, p := range prefixed {
		inputs = append(inputs, input{name: p.prefix + " then " + p.fill, unit: p.fill, prefix: p.prefix})
	}
	e := newEngine(t, embeddedCatalog(t), nil)
	build := func(in input, size int) []byte {
		return append([]byte(in.prefix), bytes.Repeat([]byte(in.unit), size/len(in.unit))...)
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			takeWork()
			e.Recognise(build(in, small))
			ws := takeWork()
			v := build(in, large)
			e.Recognise(v)
			wl := takeWork()
			if wl > perByte*int64(len(v)) {
				t.Errorf("examined %d bytes of a %d-byte value, more than %d per byte", wl, len(v), perByte)
			}
			// Four times the value should cost about four times the work,
			// not sixteen.
			if wl > 5*ws+4096 {
				t.Errorf("examined %d bytes of %d KiB, %d of %d KiB: not linear", ws, small>>10, wl, large>>10)
			}
			t.Logf("%d KiB: %d, %d KiB: %d (%.2f per byte)", small>>10, ws, large>>10, wl, float64(wl)/float64(len(v)))
		})
	}
}

// TestSignaturesSharingPrefixes checks that a user catalog of many Unified CM names that share
// their first bytes, as alarm names do ("CiscoDRF..."), or all but their first bytes, does not
// make each place in a line that starts like them cost a comparison with every one.
func TestSignaturesSharingPrefixes(t *testing.T) {
	const n, perByte = 2000, 32
	tests := []struct {
		format string   // of the names, numbered 0 to n-1
		units  []string // repeated to make a line
	}{
		{"CiscoAlarm%04dFailure", []string{"Cisco", "CiscoAlarm", "CiscoAlarm0001", "CiscoAlarm0001Fail"}},
		{"%04dFailure", []string{"1999FailurX"}},               // 8 to 15 bytes, differing in the first 4
		{"%04dServiceStopped", []string{"1999ServiceStoppeX"}}, // 16 or more, differing in the first 4
	}
	for _, tt := range tests {
		var csv strings.Builder
		csv.WriteString("product,id,severity,explanation,action\n")
		for i := range n {
			fmt.Fprintf(&csv, "cisco_cucm,"+tt.format+",3,x,y\n", i)
		}
		e := newEngine(t, loadUserCatalog(t, "many.csv", csv.String()), nil)
		for _, unit := range tt.units {
			v := bytes.Repeat([]byte(unit+" "), (64<<10)/(len(unit)+1))
			takeWork()
			e.Recognise(v)
			if w := takeWork(); w > perByte*int64(len(v)) {
				t.Errorf("names %s, %q repeated: examined %d bytes of a %d-byte value, more than %d per byte",
					tt.format, unit, w, len(v), perByte)
			}
		}
		name := fmt.Sprintf(tt.format, n-1)
		if m, ok := e.Recognise([]byte("x " + name + " y")); !ok || m.ID != name || m.Entry == nil {
			t.Errorf("Recognise = %+v, want the known %s", m, name)
		}
	}
}
