package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Verify and export the audit trail (offline, against the database)"}
	var db string
	verify := &cobra.Command{Use: "verify", Short: "Verify the hash chain: exit 0 and the count, or 1 naming the first broken event", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openExisting(db)
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			n, b, err := st.VerifyAudit(context.Background())
			if err != nil {
				return err
			}
			if a.output == "json" {
				out := map[string]any{"ok": b == nil, "verified": n}
				if b != nil {
					out["broken_at"], out["reason"] = b.Seq, b.Reason
				}
				json.NewEncoder(a.out).Encode(out)
			}
			if b != nil {
				return negative{msg: b.Error()}
			}
			if a.output != "json" {
				fmt.Fprintf(a.out, "audit chain intact: %d events verified in %s\n", n, time.Since(start).Round(time.Millisecond))
			}
			return nil
		}}
	var since string
	export := &cobra.Command{Use: "export", Short: "Write audit events as JSON lines to stdout", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var t time.Time
			if since != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, since); err != nil {
					return fault.Field("since", "%q is not an RFC 3339 time with a zone (e.g. 2026-03-01T00:00:00Z)", since)
				}
			}
			st, err := openExisting(db)
			if err != nil {
				return err
			}
			defer st.Close()
			w := bufio.NewWriterSize(a.out, 1<<16)
			enc := json.NewEncoder(w)
			err = st.EachAuditEvent(context.Background(), t, func(e *audit.Event) error { return enc.Encode(e) })
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			return err
		}}
	export.Flags().StringVar(&since, "since", "", "only events at or after this time (RFC 3339)")
	for _, c := range []*cobra.Command{verify, export} {
		c.Flags().StringVar(&db, "db", os.Getenv("FIXGATE_DB"), "database: sqlite:PATH or postgres://… (env FIXGATE_DB)")
	}
	cmd.AddCommand(verify, export)
	return cmd
}

// openExisting opens a database for offline tools, refusing to create a new SQLite file.
func openExisting(db string) (*store.Store, error) {
	if db == "" {
		return nil, fault.Field("db", "is required (sqlite:PATH or postgres://…)")
	}
	if len(db) > 7 && db[:7] == "sqlite:" {
		if _, err := os.Stat(db[7:]); err != nil {
			return nil, fault.Field("db", "no database at %s", db[7:])
		}
	}
	return store.Open(context.Background(), db)
}
