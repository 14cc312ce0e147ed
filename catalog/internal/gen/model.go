package main

// The generator keeps its own copy of the catalog schema instead of
// importing package catalog: catalog embeds the generator's output, so
// importing it would make regenerating depend on the data being present
// and valid. The catalog tests decode the output with unknown fields
// rejected, which catches any drift between the two.

// Param is one variable of a message format.
type Param struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Source says where an entry's text comes from.
type Source struct {
	Document string `json:"document"`
	Section  string `json:"section,omitempty"`
}

// Entry mirrors catalog.Entry field for field.
type Entry struct {
	Product     string   `json:"product"`
	ID          string   `json:"id"`
	PrintedID   string   `json:"printed_id,omitempty"`
	ErrorCode   string   `json:"error_code,omitempty"`
	Facility    string   `json:"facility,omitempty"`
	Mnemonic    string   `json:"mnemonic,omitempty"`
	Severity    *int     `json:"severity"`
	Format      string   `json:"format"`
	Explanation string   `json:"explanation"`
	Action      string   `json:"action"`
	Params      []Param  `json:"params"`
	Signatures  []string `json:"signatures,omitempty"`
	Source      Source   `json:"source"`
}

// Severity is one row of the severity table.
type Severity struct {
	Level         int    `json:"level"`
	Name          string `json:"name"`
	NameJA        string `json:"name_ja"`
	DescriptionJA string `json:"description_ja"`
}

// ErrorCode is a code shared by several event entries (IBM error 1785).
type ErrorCode struct {
	Product     string `json:"product"`
	Code        string `json:"code"`
	Title       string `json:"title"`
	Explanation string `json:"explanation"`
	Source      Source `json:"source"`
}

// SourceInfo records one source document in the data file.
type SourceInfo struct {
	Document string `json:"document"`
	SHA256   string `json:"sha256"`
	Product  string `json:"product,omitempty"`
	Entries  int    `json:"entries"`
}

// Data is the whole generated data file, catalog/data/catalog.json.
type Data struct {
	Version    string       `json:"version"`
	Generator  string       `json:"generator"`
	Sources    []SourceInfo `json:"sources"`
	Severities []Severity   `json:"severities"`
	ErrorCodes []ErrorCode  `json:"error_codes"`
	Entries    []Entry      `json:"entries"`
}

// Anomaly is an irregularity of a document and what the generator did.
type Anomaly struct {
	Document   string
	ID         string
	Problem    string
	Resolution string
	Count      int // how many times the same anomaly was found in the entry
}

// Product identifiers, as in package catalog.
const (
	productFTD  = "cisco_ftd_asa"
	productIOS  = "cisco_ios"
	productCUCM = "cisco_cucm"
	productIBM  = "ibm_storage_virtualize"
)

// Source document names under catalog/sources.
const (
	docIOS  = "cisco-iosxe-smart-licensing-troubleshooting.ja.txt"
	docCUCM = "cisco-cucm-ils-cluster-join-troubleshooting.ja.txt"
	docFTD  = "cisco-ftd-syslog-722001-776254.ja.txt"
	docASA  = "cisco-asa-anonymous-reporting-smart-call-home.ja.txt"
	docIBM  = "ibm-storage-virtualize-error-1785.ja.txt"
	// docCUCMEntries holds the hand-curated Unified CM entries.
	docCUCMEntries = "cisco-cucm-ils-entries.json"
)

func intp(v int) *int { return &v }
