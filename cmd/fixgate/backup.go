package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func init() {
	recordCommands = append(recordCommands, func(a *app) *cobra.Command { return newBackupCmd(a) })
}

// newBackupCmd copies a SQLite database online into a new file.
func newBackupCmd(a *app) *cobra.Command {
	var db, output string
	cmd := &cobra.Command{Use: "backup --db sqlite:PATH --to FILE",
		Short: "Copy a SQLite database into a new file while the server runs (PostgreSQL: use pg_dump)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openExisting(db)
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			if err := st.Backup(context.Background(), output); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "backup written to %s in %s; check it with: fixgate audit verify --db sqlite:%s\n",
				output, time.Since(start).Round(time.Millisecond), output)
			return nil
		}}
	cmd.Flags().StringVar(&db, "db", envOr("FIXGATE_DB", ""), "database to copy: sqlite:PATH (env FIXGATE_DB)")
	cmd.Flags().StringVar(&output, "to", "", "the new file (must not exist)")
	return cmd
}
