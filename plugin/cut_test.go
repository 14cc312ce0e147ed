package main

import (
	"strings"
	"testing"
)

func TestCut(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},  // not inside é
		{"日本語", 4, "日"}, // back to the start of 本
		{strings.Repeat("\x80", 10), 8, "\x80\x80\x80\x80\x80\x80\x80\x80"}, // not UTF-8: cut at n, not at 1
		{"abc", 0, "a"}, // a byte at least
		{"abc", -5, "a"},
	}
	for _, tt := range tests {
		if got := cut(tt.s, tt.n); got != tt.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
