// Command flb-enrich runs the enrich engine outside Fluent Bit: it enriches
// log lines from files or standard input, lists the message catalog, and
// explains a single message.
//
//	flb-enrich [options] [FILE...]         enrich lines (JSON objects or raw log lines)
//	flb-enrich catalog [--format json|csv] list the catalog
//	flb-enrich explain ID_OR_LOG_LINE|-    explain a message, or each line of stdin
//	flb-enrich version                     print the plugin and catalog versions
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/enrich-plugin/enrich/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the process exit code: 0 on
// success, 1 on a runtime failure, 2 on a usage error.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "catalog":
			return runCatalog(args[1:], stdout, stderr)
		case "explain":
			return runExplain(args[1:], stdin, stdout, stderr)
		case "version", "--version":
			if len(args) > 1 {
				fmt.Fprintln(stderr, "flb-enrich version takes no arguments")
				return 2
			}
			fmt.Fprintln(stdout, "flb-enrich "+version.String())
			return 0
		case "help", "-h", "-help", "--help":
			// The default command's options follow the overview.
			fmt.Fprint(stdout, usage+"\n")
			return runEnrich([]string{"-h"}, stdin, stdout, stdout)
		}
	}
	return runEnrich(args, stdin, stdout, stderr)
}

const usage = `usage:
  flb-enrich [options] [FILE...]           enrich log lines from FILEs or standard input
  flb-enrich catalog [--format json|csv]   write the message catalog
  flb-enrich explain ID_OR_LOG_LINE|-      explain a message (or each line of standard input) for a person to read
  flb-enrich version                       print the plugin and catalog versions

Run 'flb-enrich catalog -h' or 'flb-enrich explain -h' for the options of those commands.
`

// command is the flag set of a command, with the --catalog flag every
// command has.
type command struct {
	*flag.FlagSet
	catalogs []string
}

func newCommand(name, usage string, stderr io.Writer) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.SetOutput(stderr)
	c.Func("catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable", func(v string) error {
		if v == "" {
			return errors.New("empty file name")
		}
		c.catalogs = append(c.catalogs, v)
		return nil
	})
	c.Usage = func() {
		io.WriteString(stderr, usage)
		c.PrintDefaults()
	}
	return c
}

// parse parses flags anywhere among the arguments, as people type them
// ("flb-enrich app.log --params"), and returns the other arguments in
// order; everything after "--" is an argument. When it returns false the
// command ends with the exit code: 0 after -h, 2 after a bad flag.
func (c *command) parse(args []string) (rest []string, code int, ok bool) {
	for {
		if err := c.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, 0, false
		} else if err != nil {
			return nil, 2, false
		}
		left := c.Args()
		if len(left) == 0 {
			return rest, 0, true
		}
		if used := len(args) - len(left); used > 0 && args[used-1] == "--" {
			return append(rest, left...), 0, true
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// fail reports a problem on standard error and returns code.
func (c *command) fail(code int, err error) int {
	fmt.Fprintf(c.Output(), "%s: %v\n", c.Name(), err)
	return code
}
