package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// without it the module version from the build info is used.
var version = ""

// buildVersion returns "fixgate VERSION (commit C[, modified]) GOVERSION".
func buildVersion() string {
	v, commit, modified := version, "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if modified {
		commit += ", modified"
	}
	return fmt.Sprintf("fixgate %s (commit %s) %s", v, commit, runtime.Version())
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version, commit and Go version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), buildVersion())
			return nil
		}}
}

// refuseUnknownSubcommands makes every command that only groups others
// (no Run of its own) refuse an argument that names no subcommand, instead
// of printing its help and succeeding: `fixgate problem bogus` is a usage
// error (exit 2). With no argument it still prints its help.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if c.Runnable() || !c.HasSubCommands() {
		return
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fault.Field("usage", "unknown command %q for %q (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
		}
		return nil
	}
	c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
}
