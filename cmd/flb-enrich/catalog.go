package main

import (
	"fmt"
	"io"
)

// runCatalog writes the catalog; placeholder until the catalog lands.
func runCatalog(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "flb-enrich: catalog is not available in this build")
	return 1
}

// runExplain explains one message; placeholder until the catalog lands.
func runExplain(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "flb-enrich: explain is not available in this build")
	return 1
}
