// Package version says which build of the plugin and which catalog are
// running, for the plugin's first log line and `flb-enrich version`.
package version

import (
	"runtime/debug"

	"github.com/enrich-plugin/enrich/catalog"
)

// Version is the release, set at link time by the Makefile
// (-X github.com/enrich-plugin/enrich/version.Version=...) from
// `git describe`. Builds without it report the VCS revision Go recorded, or
// "dev".
var Version = ""

// String returns "VERSION (catalog CATALOG_VERSION)".
func String() string {
	return Plugin() + " (catalog " + catalog.Version + ")"
}

// Plugin returns the release alone.
func Plugin() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
