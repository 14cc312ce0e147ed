package main

import (
	"fmt"
	"io"
)

// runEnrich enriches log lines; placeholder until the engine lands.
func runEnrich(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "flb-enrich: enriching is not available in this build")
	return 1
}
