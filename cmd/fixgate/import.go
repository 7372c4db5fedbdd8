package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"fixgate/internal/fault"
	"fixgate/internal/importer"
)

func init() { recordCommands = append(recordCommands, newImportCmd) }

// importBatch is the number of rows per request.
const importBatch = 1000

func newImportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import records exported from other tools"}
	cmd.AddCommand(importIncidentsCmd(a))
	return cmd
}

// rejected is one row that did not land, with its place in the file.
type rejected struct {
	Loc   string `json:"loc"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

// importSummary is what `fixgate import incidents` reports.
type importSummary struct {
	File     string     `json:"file"`
	Rows     int        `json:"rows"`
	Created  int        `json:"created"`
	Updated  int        `json:"updated"`
	Skipped  int        `json:"skipped"` // unchanged since the last import
	Rejected []rejected `json:"rejected"`
	Ignored  []string   `json:"ignored_columns"`
}

func importIncidentsCmd(a *app) *cobra.Command {
	var maps []string
	var format string
	var dryRun bool
	cmd := &cobra.Command{Use: "incidents FILE.csv|FILE.json", Args: cobra.ExactArgs(1),
		Short: "Import incidents from a CSV (header row) or JSON (array of objects) export",
		Long: "Fields: external_id, title, ci, env, severity, opened_at, resolved_at and label.NAME. Columns named like a field\n" +
			"map to it; --map COLUMN=field maps others (--map COLUMN=- ignores one). Times are RFC 3339 with a zone.\n" +
			"Rows are upserted by external_id: re-importing a file changes nothing. Bad rows are listed and skipped,\n" +
			"good rows land; the exit code is 2 when any row was rejected.",
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := importer.ParseMap(maps)
			if err != nil {
				return err
			}
			return a.importIncidents(cmd, args[0], format, m, dryRun)
		}}
	cmd.Flags().StringArrayVar(&maps, "map", nil, "COLUMN=field (repeatable): field is one of "+strings.Join(importer.Fields, ", ")+", label.NAME or -")
	cmd.Flags().StringVar(&format, "format", "", "csv or json (default: from the file extension)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "map and check the file, send nothing")
	return cmd
}

func (a *app) importIncidents(cmd *cobra.Command, path, format string, m importer.Mapping, dryRun bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fault.Field("FILE", "%v", err)
	}
	defer f.Close()
	var in io.Reader = f
	if bar := progressBar(cmd.ErrOrStderr(), f); bar != nil {
		r := progressbar.NewReader(f, bar)
		in = &r
		defer bar.Finish()
	}
	rd, err := openImport(in, path, format, m)
	if err != nil {
		return err
	}
	sum := importSummary{File: path, Rejected: []rejected{}}
	var batch []importer.Row
	var locs []importer.Loc
	flush := func() error {
		if len(batch) == 0 || dryRun {
			batch, locs = nil, nil
			return nil
		}
		err := a.sendImport(&sum, batch, locs)
		batch, locs = nil, nil
		return err
	}
	for {
		row, loc, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *importer.RowError
		if errors.As(err, &re) {
			sum.Rows++
			sum.Rejected = append(sum.Rejected, rejected{Loc: re.Loc, Field: re.Field, Error: strings.TrimPrefix(re.Error(), re.Loc+": ")})
			continue
		}
		if err != nil {
			return fault.Wrap(err, "read %s", path)
		}
		sum.Rows++
		batch, locs = append(batch, row), append(locs, loc)
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return a.importFailed(sum, err)
			}
		}
	}
	if err := flush(); err != nil {
		return a.importFailed(sum, err)
	}
	sum.Ignored = append([]string{}, rd.Ignored()...)
	return a.importReport(cmd, sum, dryRun)
}

// openImport picks the CSV or JSON mapper by --format or file extension.
func openImport(in io.Reader, path, format string, m importer.Mapping) (importer.Reader, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	switch format {
	case "csv":
		return importer.NewCSV(in, m)
	case "json":
		return importer.NewJSON(in, m)
	}
	return nil, fault.Field("--format", "cannot tell the format of %s: name it .csv or .json or pass --format csv|json", path)
}

// progressBar returns a byte progress bar over f when w is a terminal, else nil.
func progressBar(w io.Writer, f *os.File) *progressbar.ProgressBar {
	tf, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(tf.Fd())) {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(w), progressbar.OptionShowBytes(true),
		progressbar.OptionSetDescription("importing"), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
}

// sendImport posts one batch and adds the answer to sum; the server's row
// errors are placed at the rows' file locations.
func (a *app) sendImport(sum *importSummary, batch []importer.Row, locs []importer.Loc) error {
	resp, err := a.call("POST", "/api/v1/incidents/import", nil, map[string]any{"rows": batch}, nil)
	if err != nil {
		return err
	}
	var out struct {
		Created, Updated, Skipped int
		Errors                    []struct {
			Row   int    `json:"row"`
			Field string `json:"field"`
			Error string `json:"error"`
		}
	}
	if err := resp.JSON(&out); err != nil {
		return err
	}
	sum.Created += out.Created
	sum.Updated += out.Updated
	sum.Skipped += out.Skipped
	for _, e := range out.Errors {
		loc := fmt.Sprintf("row %d of the batch", e.Row)
		if e.Row >= 0 && e.Row < len(locs) {
			loc = string(locs[e.Row])
		}
		sum.Rejected = append(sum.Rejected, rejected{Loc: loc, Field: e.Field, Error: e.Error})
	}
	return nil
}

// importFailed reports what landed before a batch failed, then the failure.
func (a *app) importFailed(sum importSummary, err error) error {
	return fault.Wrap(err, "import stopped after %d created, %d updated, %d skipped (batches are atomic; re-run the import, it is idempotent)",
		sum.Created, sum.Updated, sum.Skipped)
}

func (a *app) importReport(cmd *cobra.Command, sum importSummary, dryRun bool) error {
	if a.output == "json" {
		b, _ := json.Marshal(sum)
		if err := a.printJSON(b); err != nil {
			return err
		}
	} else {
		errw := cmd.ErrOrStderr()
		for _, r := range sum.Rejected {
			field := ""
			if r.Field != "" && !strings.Contains(r.Error, r.Field) {
				field = r.Field + ": "
			}
			fmt.Fprintf(errw, "%s: %s%s\n", r.Loc, field, r.Error)
		}
		verb := "imported"
		if dryRun {
			verb = "checked (dry run, nothing sent)"
		}
		fmt.Fprintf(a.out, "%s %s: %d rows: %d created, %d updated, %d skipped (unchanged), %d rejected\n",
			verb, sum.File, sum.Rows, sum.Created, sum.Updated, sum.Skipped, len(sum.Rejected))
		if len(sum.Ignored) > 0 {
			fmt.Fprintf(a.out, "ignored columns: %s\n", strings.Join(sum.Ignored, ", "))
		}
	}
	if len(sum.Rejected) > 0 {
		return fault.New(fault.Invalid, "%d of %d rows were rejected (see above); the others landed", len(sum.Rejected), sum.Rows)
	}
	return nil
}
