package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/client"
	"fixgate/internal/fault"
)

// app holds the global flags shared by every client command.
type app struct {
	url    string
	token  string
	output string
	out    io.Writer
}

func newRoot() *cobra.Command {
	a := &app{out: os.Stdout}
	root := &cobra.Command{
		Use:           "fixgate",
		Short:         "Release governance tied to problem management",
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       buildVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if a.output != "text" && a.output != "json" && !(a.output == "junit" && cmd.Name() == "check") && !(a.output == "csv" && (cmd.Name() == "kpi" || cmd.Name() == "patterns")) {
				return fault.Field("--output", "must be text or json, not %q", a.output)
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fault.Field("usage", "%v (see %s --help)", err, c.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.url, "url", os.Getenv("FIXGATE_URL"), "server URL (env FIXGATE_URL)")
	pf.StringVar(&a.token, "token", "", "API token (env FIXGATE_TOKEN; prefer the variable: flags show in ps)")
	pf.StringVarP(&a.output, "output", "o", "text", "output format: text or json")
	root.AddCommand(newServeCmd(), newDemoCmd(), newAuditCmd(a),
		newProblemCmd(a), newCICmd(a), newEnvCmd(a), newUserCmd(a), newWhoamiCmd(a))
	// CLI:records — incident, known-error, pir, release, component, change, deploy, approval commands register here.
	for _, c := range recordCommands {
		root.AddCommand(c(a))
	}
	root.AddCommand(newVersionCmd())
	root.SetVersionTemplate("{{.Version}}\n")
	refuseUnknownSubcommands(root)
	return root
}

// recordCommands are added by the files that define them (init functions).
var recordCommands []func(*app) *cobra.Command

func (a *app) client() (*client.Client, error) {
	tok := a.token
	if tok == "" {
		tok = os.Getenv("FIXGATE_TOKEN")
	}
	if a.url == "" {
		return nil, fault.Field("FIXGATE_URL", "is not set: export FIXGATE_URL=http://127.0.0.1:8080 (or pass --url)")
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, fault.Field("FIXGATE_TOKEN", "is not set: export FIXGATE_TOKEN=<your token> (or pass --token)")
	}
	if i := strings.IndexFunc(tok, func(r rune) bool { return r <= ' ' || r >= 0x7f }); i >= 0 {
		return nil, fault.Field("FIXGATE_TOKEN", "has a space, line break or other non-printable character at position %d: set it to the token alone (fgt_…)", i+1)
	}
	return client.New(a.url, tok), nil
}

// call sends a request and returns the response.
func (a *app) call(method, path string, q url.Values, body any, headers map[string]string) (*client.Response, error) {
	c, err := a.client()
	if err != nil {
		return nil, err
	}
	return c.Do(context.Background(), method, path, q, body, headers)
}

// show prints one record: JSON as the server sent it, or the named fields as "key: value" lines.
func (a *app) show(resp *client.Response, fields []string) error {
	if a.output == "json" {
		return a.printJSON(resp.Body)
	}
	var m map[string]any
	if err := resp.JSON(&m); err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(w, "%s:\t%s\n", f, text(lookup(m, f)))
	}
	return w.Flush()
}

// table prints a list response: JSON, or the items as a table of cols.
func (a *app) table(resp *client.Response, cols []string) error {
	if a.output == "json" {
		return a.printJSON(resp.Body)
	}
	var l struct {
		Items      []map[string]any `json:"items"`
		NextCursor string           `json:"next_cursor"`
	}
	if err := resp.JSON(&l); err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, strings.ToUpper(strings.Join(cols, "\t")))
	for _, it := range l.Items {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = text(lookup(it, c))
		}
		fmt.Fprintln(w, strings.Join(vals, "\t"))
	}
	if l.NextCursor != "" {
		fmt.Fprintf(w, "(more: --cursor %s)\n", l.NextCursor)
	}
	return w.Flush()
}

func (a *app) printJSON(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fault.Wrap(err, "decode answer")
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// lookup reads a dotted path ("rca.category") from a decoded JSON object.
func lookup(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return x
	case float64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = text(e)
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ",")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + text(x[k])
		}
		if len(parts) == 0 {
			return "-"
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// listQuery builds the query of a list command from --limit, --cursor and filters.
func listQuery(limit int, cursor string, filters map[string]string) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", fmt.Sprint(limit))
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	for k, v := range filters {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// revisionOf reads the revision of a record response (for If-Match).
func revisionOf(resp *client.Response) int64 {
	var r struct {
		Revision int64 `json:"revision"`
	}
	resp.JSON(&r)
	return r.Revision
}

func newWhoamiCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "whoami", Short: "Show the user and roles of your token", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/me", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"user", "roles"})
		}}
}
