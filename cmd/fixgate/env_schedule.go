package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/environment"
	"fixgate/internal/fault"
)

// Subcommands of "env" for maintenance windows and freezes; newEnvCmd adds
// them. Each change reads the environment, edits its list and PATCHes the
// whole list back with the revision it read (If-Match), so a concurrent
// change is refused (412) rather than lost.

// envSchedule reads an environment with its revision (ETag).
func (a *app) envSchedule(name string) (environment.Environment, string, error) {
	var env environment.Environment
	resp, err := a.call("GET", "/api/v1/environments/"+url.PathEscape(name), nil, nil, nil)
	if err != nil {
		return env, "", err
	}
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return env, "", fault.Wrap(err, "decode environment")
	}
	return env, resp.ETag, nil
}

// patchSchedule sends one list ("windows" or "freezes") and prints the result.
func (a *app) patchSchedule(name, etag, field string, list any) error {
	resp, err := a.call("PATCH", "/api/v1/environments/"+url.PathEscape(name), nil, map[string]any{field: list},
		map[string]string{"If-Match": etag})
	if err != nil {
		return err
	}
	if a.output == "json" {
		return a.printJSON(resp.Body)
	}
	var env environment.Environment
	if err := json.Unmarshal(resp.Body, &env); err != nil {
		return fault.Wrap(err, "decode environment")
	}
	fmt.Fprintf(a.out, "%s revision %d\n", env.Name, env.Revision)
	if field == "windows" {
		return a.windowTable(env.Windows)
	}
	return a.freezeTable(env.Freezes)
}

func (a *app) windowTable(ws []environment.Window) error {
	if a.output == "json" {
		return a.listJSON(ws)
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tDAYS\tSTART\tEND\tTIME_ZONE")
	for _, x := range ws {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", orDashText(x.Name), orDashText(strings.Join(x.Days, ",")), x.Start, x.End, x.TimeZone)
	}
	return w.Flush()
}

func (a *app) freezeTable(fs []environment.Freeze) error {
	if a.output == "json" {
		return a.listJSON(fs)
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTART\tEND\tREASON")
	for _, x := range fs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", orDashText(x.Name), x.Start.Format(time.RFC3339), x.End.Format(time.RFC3339), orDashText(x.Reason))
	}
	return w.Flush()
}

// listJSON prints items as a list answer: {"items": […]}.
func (a *app) listJSON(items any) error {
	raw, err := json.Marshal(map[string]any{"items": items})
	if err != nil {
		return fault.Wrap(err, "encode answer")
	}
	return a.printJSON(raw)
}

func envWindowCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "window", Short: "An environment's weekly maintenance windows: list, add, remove"}
	list := &cobra.Command{Use: "list ENV", Short: "List the maintenance windows", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, _, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			return a.windowTable(env.Windows)
		}}

	var name, start, end, tz string
	var days []string
	var dur time.Duration
	add := &cobra.Command{Use: "add ENV --name NAME --day DAY --start HH:MM (--end HH:MM | --duration D) --tz ZONE",
		Short: "Add a weekly maintenance window (local time of --tz; an end before the start crosses midnight)",
		Long: "Adds a window open on each --day (mon … sun) from --start to --end local time in --tz, e.g.\n" +
			"  fixgate env window add prod-eu --name sunday-night --day sun --start 01:00 --duration 3h --tz Europe/Berlin\n" +
			"A window that crosses midnight belongs to the day it starts on. The gate's maintenance window rule\n" +
			"reads it for the tiers the policy names (production by default).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return fault.Field("--name", "is required: windows are removed by name")
			}
			st, err := time.Parse("15:04", start)
			if err != nil {
				return fault.Field("--start", "%q is not HH:MM", start)
			}
			switch {
			case cmd.Flags().Changed("end") == cmd.Flags().Changed("duration"):
				return fault.Field("usage", "pass exactly one of --end HH:MM and --duration (e.g. 3h or 90m)")
			case cmd.Flags().Changed("duration"):
				if dur <= 0 || dur >= 24*time.Hour || dur%time.Minute != 0 {
					return fault.Field("--duration", "%s: must be whole minutes, more than 0 and less than 24h", dur)
				}
				end = st.Add(dur).Format("15:04")
			}
			env, etag, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			for _, w := range env.Windows {
				if w.Name == name {
					return fault.Field("--name", "%s already has a window named %q: remove it first or pick another name", env.Name, name)
				}
			}
			ws := append(env.Windows, environment.Window{Name: name, TimeZone: tz, Days: days, Start: start, End: end})
			return a.patchSchedule(env.Name, etag, "windows", ws)
		}}
	f := add.Flags()
	f.StringVar(&name, "name", "", "window name, e.g. sunday-night (required)")
	f.StringSliceVar(&days, "day", nil, "weekday mon … sun (repeatable or comma separated; required)")
	f.StringVar(&start, "start", "", "local start time HH:MM (required)")
	f.StringVar(&end, "end", "", "local end time HH:MM (exclusive)")
	f.DurationVar(&dur, "duration", 0, "length instead of --end, e.g. 3h or 90m (less than 24h)")
	f.StringVar(&tz, "tz", "", "IANA time zone, e.g. Europe/Berlin (required)")
	for _, r := range []string{"name", "day", "start", "tz"} {
		add.MarkFlagRequired(r)
	}

	remove := &cobra.Command{Use: "remove ENV NAME", Short: "Remove a maintenance window by name", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, etag, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			var keep []environment.Window
			for _, w := range env.Windows {
				if w.Name != args[1] {
					keep = append(keep, w)
				}
			}
			if len(keep) == len(env.Windows) {
				return fault.New(fault.NotFound, "%s has no window named %q (see fixgate env window list %s)", env.Name, args[1], env.Name)
			}
			if keep == nil {
				keep = []environment.Window{}
			}
			return a.patchSchedule(env.Name, etag, "windows", keep)
		}}
	cmd.AddCommand(list, add, remove)
	return cmd
}

func envFreezeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "freeze", Short: "An environment's freeze periods (no deployment without an approved deviation): list, add, remove"}
	list := &cobra.Command{Use: "list ENV", Short: "List the freeze periods", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, _, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			return a.freezeTable(env.Freezes)
		}}

	var name, from, to, reason string
	add := &cobra.Command{Use: "add ENV --name NAME --from TIME --to TIME --reason TEXT",
		Short: "Add a freeze period from --from (inclusive) to --to (exclusive), RFC 3339 times with a zone",
		Long: "Adds a freeze, e.g.\n" +
			"  fixgate env freeze add prod-eu --name year-end --from 2026-12-20T00:00:00+01:00 --to 2027-01-04T00:00:00+01:00 --reason \"year-end trading\"\n" +
			"The gate blocks a deployment into the freeze in every tier unless an approved deviation covers it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return fault.Field("--name", "is required: freezes are removed by name")
			}
			start, err := time.Parse(time.RFC3339, from)
			if err != nil {
				return fault.Field("--from", "%q is not an RFC 3339 time with a zone (e.g. 2026-12-20T00:00:00+01:00)", from)
			}
			end, err := time.Parse(time.RFC3339, to)
			if err != nil {
				return fault.Field("--to", "%q is not an RFC 3339 time with a zone (e.g. 2027-01-04T00:00:00+01:00)", to)
			}
			if !end.After(start) {
				return fault.Field("--to", "must be after --from")
			}
			env, etag, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			for _, f := range env.Freezes {
				if f.Name == name {
					return fault.Field("--name", "%s already has a freeze named %q: remove it first or pick another name", env.Name, name)
				}
			}
			fs := append(env.Freezes, environment.Freeze{Name: name, Start: start, End: end, Reason: reason})
			return a.patchSchedule(env.Name, etag, "freezes", fs)
		}}
	f := add.Flags()
	f.StringVar(&name, "name", "", "freeze name, e.g. year-end (required)")
	f.StringVar(&from, "from", "", "start, RFC 3339 with a zone (required)")
	f.StringVar(&to, "to", "", "end (exclusive), RFC 3339 with a zone (required)")
	f.StringVar(&reason, "reason", "", "why, shown in gate verdicts")
	for _, r := range []string{"name", "from", "to"} {
		add.MarkFlagRequired(r)
	}

	remove := &cobra.Command{Use: "remove ENV NAME", Short: "Remove a freeze period by name", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			env, etag, err := a.envSchedule(args[0])
			if err != nil {
				return err
			}
			var keep []environment.Freeze
			for _, f := range env.Freezes {
				if f.Name != args[1] {
					keep = append(keep, f)
				}
			}
			if len(keep) == len(env.Freezes) {
				return fault.New(fault.NotFound, "%s has no freeze named %q (see fixgate env freeze list %s)", env.Name, args[1], env.Name)
			}
			if keep == nil {
				keep = []environment.Freeze{}
			}
			return a.patchSchedule(env.Name, etag, "freezes", keep)
		}}
	cmd.AddCommand(list, add, remove)
	return cmd
}
