package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestLuaQuote(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "abc", want: `"abc"`},
		{name: "empty", in: "", want: `""`},
		{name: "quote and backslash", in: `a"b\c`, want: `"a\"b\\c"`},
		{name: "newline", in: "a\nb", want: `"a\nb"`},
		{name: "control byte before a digit", in: "\t1", want: `"\0091"`},
		{name: "nul", in: "\x00", want: `"\000"`},
		{name: "utf-8 kept", in: "説明", want: `"説明"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := luaQuote(tc.in); got != tc.want {
				t.Errorf("luaQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr bool
	}{
		{
			name: "keys as the plugin looks them up",
			in: `[{"product":"cisco_ftd_asa","id":"722051","severity":6,"explanation":"x","action":"y"},
				{"product":"cisco_ios","id":"SMART_LIC-3-COMM_FAILED","facility":"SMART_LIC","mnemonic":"COMM_FAILED","severity":3,"explanation":"e","action":""}]`,
			want: []string{
				`add("cisco_ftd_asa", "722051", {s = 6, e = "x", a = "y"})`,
				`add("cisco_ios", "SMART_LIC-COMM_FAILED", {s = 3, e = "e", a = ""})`,
				"return c\n",
			},
		},
		{
			name: "bare array, no severity",
			in:   `[{"product":"cisco_cucm","id":"ILSSelfSignedCertificate","severity":null,"explanation":"e","action":"a"}]`,
			want: []string{`add("cisco_cucm", "ILSSelfSignedCertificate", {e = "e", a = "a"})`},
		},
		{name: "not json", in: `nope`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(strings.NewReader(tc.in), &out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("run() error = %v, wantErr %v", err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
