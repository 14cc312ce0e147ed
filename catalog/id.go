package catalog

import (
	"regexp"
	"strings"
)

var (
	// ftdIDRe matches a Threat Defense/ASA message name as it appears in a
	// log line: "%FTD-6-722051", "%ASA-6-722051:", "%Threat Defense-6-722051".
	ftdIDRe = regexp.MustCompile(`^%?(?:ASA|FTD|PIX|FWSM|Threat Defense)-?[0-7]-(\d{6}):?$`)
	// iosIDRe matches "%SMART_LIC-3-COMM_FAILED" with or without "%" and ":".
	iosIDRe = regexp.MustCompile(`^%?([A-Za-z][A-Za-z0-9_]*)-([0-7])-([A-Za-z0-9_]+):?$`)
)

// LookupID finds the entry a person names: a bare ID ("722051", "086008",
// "ILSPwdAuthenticationFailed"), a message name with its prefix
// ("%FTD-6-722051", "SMART_LIC-3-COMM_FAILED"), a Unified CM signature or
// an IBM error code ("1785", answered with the error code summary).
func (c *Catalog) LookupID(id string) (*Entry, bool) {
	id = strings.TrimSpace(id)
	if m := ftdIDRe.FindStringSubmatch(id); m != nil {
		return c.Lookup(ProductFTD, m[1])
	}
	if digits(id, 6) {
		if e, ok := c.Lookup(ProductFTD, id); ok {
			return e, true
		}
		return c.Lookup(ProductIBM, id)
	}
	if digits(id, 0) {
		return c.LookupErrorCode(id)
	}
	if m := iosIDRe.FindStringSubmatch(id); m != nil {
		if e, ok := c.Lookup(ProductIOS, iosKey(m[1], m[3])); ok {
			return e, true
		}
	}
	if e, ok := c.Lookup(ProductCUCM, id); ok {
		return e, true
	}
	for _, s := range c.signatures {
		if s.Text == id {
			return s.Entry, true
		}
	}
	return nil, false
}
