package main

// The generator writes package catalog's own types, so that the data and
// the code reading it cannot drift apart. Package catalog embeds the
// committed output, so regenerating needs that output present (git keeps
// it so), though not valid: catalog parses it only when asked.

// Anomaly is an irregularity of a document and what the generator did.
type Anomaly struct {
	Document   string
	ID         string
	Problem    string
	Resolution string
	Count      int // how many times the same anomaly was found in the entry
}

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
