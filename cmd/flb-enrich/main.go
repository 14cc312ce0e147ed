// Command flb-enrich runs the enrich engine outside Fluent Bit: it enriches log lines from files or
// standard input, lists the message catalog, and explains a single message.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/enrich-plugin/enrich/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage:
  flb-enrich [options] [FILE...]           enrich log lines from FILEs or standard input
  flb-enrich catalog [--format json|csv]   write the message catalog
  flb-enrich explain ID_OR_LOG_LINE|-      explain a message (or each line of standard input) for a person to read
  flb-enrich report [options] [FILE...]    count records per product and result; list the IDs the catalog lacks
  flb-enrich version                       print the plugin and catalog versions

Run 'flb-enrich catalog -h', 'flb-enrich explain -h' or 'flb-enrich report -h' for the options of those commands.
`

// subcommands are chosen by the first argument; any other runs runEnrich.
var subcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"catalog": runCatalog,
	"explain": runExplain,
	"report":  runReport,
	"version": runVersion, "--version": runVersion,
	"help": runHelp, "-h": runHelp, "-help": runHelp, "--help": runHelp,
}

// run returns the exit code: 0 on success, 1 on a runtime failure, 2 on a usage error. A write
// to stdout that failed is a runtime failure, whichever command ignored it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := runEnrich
	if len(args) > 0 && subcommands[args[0]] != nil {
		cmd, args = subcommands[args[0]], args[1:]
	}
	w := &errWriter{w: stdout}
	code := cmd(args, stdin, w, stderr)
	if w.err != nil && code != 1 {
		fmt.Fprintf(stderr, "flb-enrich: write: %v\n", w.err)
		return 1
	}
	return code
}

func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const usage = "usage: flb-enrich version (no arguments)\n"
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		io.WriteString(stdout, usage)
		return 0
	} else if len(args) > 0 {
		fmt.Fprintf(stderr, "flb-enrich version: unexpected argument %q\n%s", args[0], usage)
		return 2
	}
	fmt.Fprintln(stdout, "flb-enrich "+version.String())
	return 0
}

// runHelp follows the overview with the default command's options.
func runHelp(_ []string, stdin io.Reader, stdout, _ io.Writer) int {
	io.WriteString(stdout, usage+"\n")
	return runEnrich([]string{"-h"}, stdin, stdout, stdout)
}

// errWriter keeps the first error of its writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// command is a flag set with the --catalog flag every command has.
type command struct {
	*flag.FlagSet
	catalogs []string
	stdout   io.Writer // where -h prints the usage
}

// fileName is a flag.Func setting a file name, which may not be empty: --csv "$UNSET" is a mistake.
func fileName(set func(string)) func(string) error {
	return func(v string) error {
		if v == "" {
			return errors.New("empty file name")
		}
		set(v)
		return nil
	}
}

func newCommand(name, synopsis string, stdout, stderr io.Writer) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout}
	c.SetOutput(stderr)
	c.Func("catalog", "user catalog `FILE` (.json or .csv) adding or overriding entries; repeatable",
		fileName(func(v string) { c.catalogs = append(c.catalogs, v) }))
	c.Usage = func() {
		io.WriteString(c.Output(), synopsis)
		c.PrintDefaults()
	}
	return c
}

// parse takes flags anywhere among args and returns the other arguments in order (all after "--").
// When ok is false the command ends with code: 0 after -h, which prints the usage on stdout, 2 after
// a bad flag, which prints the problem and the usage on stderr.
func (c *command) parse(args []string) (rest []string, code int, ok bool) {
	for {
		var msg strings.Builder
		stderr := c.Output()
		c.SetOutput(&msg)
		err := c.Parse(args)
		c.SetOutput(stderr)
		if errors.Is(err, flag.ErrHelp) {
			io.WriteString(c.stdout, msg.String())
			return nil, 0, false
		} else if err != nil {
			io.WriteString(stderr, msg.String())
			return nil, 2, false
		}
		left := c.Args()
		if used := len(args) - len(left); len(left) == 0 || used > 0 && args[used-1] == "--" {
			return append(rest, left...), 0, true
		}
		rest, args = append(rest, left[0]), left[1:]
	}
}

// fail reports err on standard error and returns code.
func (c *command) fail(code int, err error) int {
	fmt.Fprintf(c.Output(), "%s: %v\n", c.Name(), err)
	return code
}

// failUsage reports a mistake in the arguments, and the usage.
func (c *command) failUsage(err error) int {
	defer c.Usage()
	return c.fail(2, err)
}
