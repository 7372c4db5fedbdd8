// Command fixgate is the fixgate server and CLI.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"fixgate/internal/fault"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI and maps the outcome to an exit code: 0 success,
// 1 a negative answer (verify, gate check), 2 usage, input or server error.
func run(args []string) int {
	root := newRoot()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var neg negative
	if errors.As(err, &neg) {
		if neg.msg != "" {
			fmt.Fprintln(os.Stderr, neg.msg)
		}
		return 1
	}
	fmt.Fprintln(os.Stderr, "fixgate: "+oneLine(err))
	return 2
}

// negative is a "no" answer from a yes/no command: exit 1.
type negative struct{ msg string }

func (n negative) Error() string { return n.msg }

func oneLine(err error) string {
	msg := err.Error()
	if fe := fault.As(err); fe != nil && fe.Code != fault.Internal {
		msg = fe.Message
		if fe.Field != "" {
			msg = fe.Field + ": " + fe.Message
		}
	}
	return strings.ReplaceAll(strings.TrimSpace(msg), "\n", " ")
}
