package main

import (
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"fixgate/internal/export"
	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newExportCmd) }

func newExportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Export evidence documents"}
	cmd.AddCommand(newExportISOCmd(a))
	return cmd
}

// newExportISOCmd is `fixgate export iso20000`: the server builds the
// record's evidence document and renders it; the CLI writes it to stdout
// or --file.
func newExportISOCmd(a *app) *cobra.Command {
	var record, format, file string
	cmd := &cobra.Command{
		Use:   "iso20000 --record REL-n|CHG-n|PIR-n|ASSESS-n [--format md|html|pdf] [--file FILE]",
		Short: "ISO/IEC 20000-1:2018 evidence of a release, change, PIR or control assessment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if record == "" {
				return fault.Field("--record", "is required (REL-n, CHG-n, PIR-n or ASSESS-n)")
			}
			if err := export.CheckFormat(format); err != nil {
				return fault.Field("--format", "must be md, html or pdf, not %q", format)
			}
			if format == "pdf" && file == "" {
				return fault.Field("--file", "is required for pdf (the terminal is no place for it)")
			}
			resp, err := a.call(http.MethodGet, "/api/v1/exports/iso20000/"+url.PathEscape(record), url.Values{"format": {format}}, nil, nil)
			if err != nil {
				return err
			}
			if file == "" {
				_, err = a.out.Write(resp.Body)
				return err
			}
			return os.WriteFile(file, resp.Body, 0o644)
		},
	}
	f := cmd.Flags()
	f.StringVar(&record, "record", "", "the record: REL-n, CHG-n, PIR-n or ASSESS-n")
	f.StringVar(&format, "format", "md", "md, html or pdf")
	f.StringVar(&file, "file", "", "write to FILE instead of standard output (required for pdf)")
	return cmd
}
