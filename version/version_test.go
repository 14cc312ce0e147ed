package version

import (
	"regexp"
	"testing"

	"github.com/enrich-plugin/enrich/catalog"
)

func TestString(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	tests := []struct {
		name    string
		version string
		want    *regexp.Regexp
	}{
		// The Makefile sets Version at link time: it is printed as it is.
		{"release", "v1.2.0", regexp.MustCompile(`^v1\.2\.0 \(catalog ` + regexp.QuoteMeta(catalog.Version) + `\)$`)},
		// Without it, a test binary is dev, perhaps with the VCS revision.
		{"no release", "", regexp.MustCompile(`^dev(-[0-9a-f]{12}(-dirty)?)? \(catalog ` + regexp.QuoteMeta(catalog.Version) + `\)$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Version = tt.version
			if got := String(); !tt.want.MatchString(got) {
				t.Errorf("String() = %q, want %s", got, tt.want)
			}
		})
	}
}
