// Package version says which build of the plugin and catalog run, for logs and `flb-enrich version`.
package version

import (
	"runtime/debug"

	"github.com/enrich-plugin/enrich/catalog"
)

// Version is the release, set at link time by the Makefile from `git describe`; without it
// the VCS revision Go recorded is reported, or "dev".
var Version = ""

// String returns "VERSION (catalog CATALOG_VERSION)".
func String() string { return Plugin() + " (catalog " + catalog.Version + ")" }

// Plugin returns the release alone: Version, "dev-REVISION[-dirty]" or "dev".
func Plugin() string {
	if Version != "" {
		return Version
	}
	rev, dirty := "", ""
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = "-" + s.Value[:min(len(s.Value), 12)]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev" + rev + dirty
}
