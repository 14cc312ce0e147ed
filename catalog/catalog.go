// Package catalog holds the vendor's explanation and action for each message the plugin recognises,
// generated from the documents under sources/; users may add or override entries with JSON or CSV files.
package catalog

import "slices"

// Product names the device family of an entry, as written into records and the JSON catalog.
type Product string

// The products the catalog knows.
const (
	ProductFTD  Product = "cisco_ftd_asa"          // Secure Firewall Threat Defense, ASA, PIX, FWSM
	ProductIOS  Product = "cisco_ios"              // IOS, IOS-XE, IOS-XR, NX-OS (%FACILITY-SEV-MNEMONIC)
	ProductCUCM Product = "cisco_cucm"             // Unified Communications Manager alarms
	ProductIBM  Product = "ibm_storage_virtualize" // IBM Storage Virtualize event and error codes
)

// products are the known products in a stable order.
var products = [...]Product{ProductFTD, ProductIOS, ProductCUCM, ProductIBM}

// productNames are the products as a person calls them.
var productNames = map[Product]string{
	ProductFTD:  "Cisco Secure Firewall Threat Defense / ASA",
	ProductIOS:  "Cisco IOS / IOS-XE",
	ProductCUCM: "Cisco Unified Communications Manager",
	ProductIBM:  "IBM Storage Virtualize",
}

// NumProducts is the number of known products, for tables indexed by Product.Index.
const NumProducts = len(products)

// ProductAt returns the product at index i of the stable order, 0 <= i < NumProducts.
func ProductAt(i int) Product { return products[i] }

// Index returns p's place in the stable order, -1 for an unknown product.
func (p Product) Index() int { return slices.Index(products[:], p) }

// Name is the product as a person calls it, "" for an unknown product.
func (p Product) Name() string { return productNames[p] }

// severityNames are the English keywords of syslog severities 0-7.
var severityNames = [8]string{"emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug"}

// SeverityName returns the English keyword of a syslog severity ("error" for 3), "" outside 0-7.
func SeverityName(level int) string {
	if level < 0 || level >= len(severityNames) {
		return ""
	}
	return severityNames[level]
}

// Param describes one variable of a message format, as the document lists it.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Source says where an entry's text comes from.
type Source struct {
	Document string `json:"document"`          // file name under catalog/sources, or the user file
	Section  string `json:"section,omitempty"` // heading or section title within the document
}

// Entry is one catalog message.
type Entry struct {
	Product Product `json:"product"`
	// ID is the message's name in the document: "722051", "SMART_LIC-3-COMM_FAILED", "086008", or an
	// IBM error code ("1785") for an entry that explains the code.
	ID string `json:"id"`
	// PrintedID is the ID of the message line when it differs from the heading's (722056 prints 722055).
	PrintedID string `json:"printed_id,omitempty"`
	// ErrorCode is the IBM error code shared by several event IDs ("1785").
	ErrorCode string `json:"error_code,omitempty"`
	// Facility and Mnemonic are set for IOS-style entries.
	Facility    string `json:"facility,omitempty"`
	Mnemonic    string `json:"mnemonic,omitempty"`
	Severity    *int   `json:"severity"` // the documented severity 0-7, nil for none
	Format      string `json:"format"`
	Explanation string `json:"explanation"`
	Action      string `json:"action"`
	// Params are the variables of the format in order, a repeated one named chars, chars_2, ….
	Params []Param `json:"params"`
	// Signatures are further strings, MinSignatureLen bytes or more, that identify the message in a
	// line ("self signed certificate").
	Signatures []string `json:"signatures,omitempty"`
	Source     Source   `json:"source"`
}

// Severity is one level of the syslog severity table.
type Severity struct {
	Level         int    `json:"level"`
	Name          string `json:"name"`           // English keyword: "error", "warning", …
	NameJA        string `json:"name_ja"`        // the Japanese name the documents use: "エラー", "警告", …
	DescriptionJA string `json:"description_ja"` // the document's description of the level
}

// ErrorCode is a code shared by several entries (IBM error 1785 covers events 086006-086009),
// with the document's title and explanation.
type ErrorCode struct {
	Product     Product `json:"product"`
	Code        string  `json:"code"`
	Title       string  `json:"title"`
	Explanation string  `json:"explanation"`
	Source      Source  `json:"source"`
}

// SourceInfo describes one source document of the generated catalog.
type SourceInfo struct {
	Document string  `json:"document"`
	SHA256   string  `json:"sha256"`
	Product  Product `json:"product,omitempty"`
	Entries  int     `json:"entries"`
}

// Data is the layout of the generated data/catalog.json.
type Data struct {
	Version    string       `json:"version"`
	Generator  string       `json:"generator"`
	Sources    []SourceInfo `json:"sources"`
	Severities []Severity   `json:"severities"`
	ErrorCodes []ErrorCode  `json:"error_codes"`
	Entries    []Entry      `json:"entries"`
}
