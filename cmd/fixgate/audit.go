package main

import (
	"bufio"
	"context"
	"encoding/json"
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
	var cpFile, keyFile string
	verify := &cobra.Command{Use: "verify", Short: "Verify the trail (chain, tree, records; with --checkpoint: that it only grew since): exit 0 intact, 1 tampered naming what, 2 could not decide",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runVerify(a, db, cpFile, keyFile) }}
	verify.Flags().StringVar(&cpFile, "checkpoint", "", "a signed checkpoint (from `fixgate audit checkpoint` or GET /api/v1/audit/checkpoints/latest) kept outside the database")
	verify.Flags().StringVar(&keyFile, "key", "", "the checkpoint signer's public key file (from `fixgate audit keygen`)")
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
	checkpoint, prove := newCheckpointCmd(a, &db), newProveCmd(a, &db)
	for _, c := range []*cobra.Command{verify, export, checkpoint, prove} {
		c.Flags().StringVar(&db, "db", os.Getenv("FIXGATE_DB"), "database: sqlite:PATH or postgres://… (env FIXGATE_DB)")
	}
	cmd.AddCommand(verify, export, checkpoint, prove, newKeygenCmd(a), newCheckProofCmd(a))
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
