package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/demo"
	"fixgate/internal/store"
)

const demoDB = "sqlite:fixgate-demo.db"

func newDemoCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the server with a realistic demo scenario (fresh fixgate-demo.db each run)",
		Long: "demo loads 90 days of history (services, environments, recurring incidents, problems in every state,\n" +
			"known errors, releases, changes, approvals, deployments, PIRs) into a fresh database and serves it.\n" +
			"The default database fixgate-demo.db is replaced on every run; a database given with --db must be empty.\n" +
			"The demo opens its address and locks the database (PATH.lock) first: while a demo runs, a second one\n" +
			"stops without touching its database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			// The address and the lock come before the database is touched: a demo
			// already running keeps its database.
			ln, err := listen(f.addr)
			if err != nil {
				return err
			}
			defer ln.Close()
			if path, ok := strings.CutPrefix(f.db, "sqlite:"); ok {
				unlock, err := demo.Lock(path)
				if err != nil {
					return err
				}
				defer unlock()
			}
			if f.db == demoDB {
				for _, suffix := range []string{"", "-wal", "-shm"} {
					os.Remove(strings.TrimPrefix(demoDB, "sqlite:") + suffix)
				}
			}
			started := time.Now()
			res, err := demo.Load(ctx, f.db, time.Now())
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, f.db)
			if err != nil {
				return err
			}
			defer st.Close()
			return serveOn(ctx, cmd, f, st, ln, func(addr string) {
				printDemo(cmd, addr, res, time.Since(started))
			})
		},
	}
	f.register(cmd, demoDB)
	cmd.Flags().Lookup("db").DefValue = demoDB
	f.db = demoDB
	if v := os.Getenv("FIXGATE_DEMO_DB"); v != "" {
		f.db = v
	}
	return cmd
}

// demoExports is one export line with a variable per demo user (PAT,
// CI_BOT …) holding its token.
func demoExports(res demo.Result) string {
	parts := []string{"export"}
	for _, u := range res.Users {
		parts = append(parts, strings.ToUpper(strings.ReplaceAll(u.Name, "-", "_"))+"="+u.Token)
	}
	return strings.Join(parts, " ")
}

func printDemo(cmd *cobra.Command, addr string, res demo.Result, took time.Duration) {
	w := cmd.OutOrStdout()
	url := "http://" + addr
	fmt.Fprintf(w, "\nfixgate demo is running at %s (data loaded in %s: %d audited changes over 90 days)\n\n", url, took.Round(time.Millisecond), res.Records)
	fmt.Fprintf(w, "Web UI: open %s/ in a browser and sign in as admin or any demo person below (not ci-bot)\nwith the password %s (shown once).\n\n", url, res.Password)
	fmt.Fprintf(w, "Admin token (shown once): %s\n\nUse the CLI from another terminal:\n\n", res.AdminToken)
	fmt.Fprintf(w, "  export FIXGATE_URL=%s FIXGATE_TOKEN=%s\n", url, res.AdminToken)
	fmt.Fprintf(w, "  go run ./cmd/fixgate problem list\n  go run ./cmd/fixgate problem show PRB-1\n")
	fmt.Fprintf(w, "  go run ./cmd/fixgate incident list --problem PRB-1\n  go run ./cmd/fixgate release list")
	fmt.Fprintf(w, "\n  go run ./cmd/fixgate deploy list --env prod-eu\n  curl -H \"Authorization: Bearer $FIXGATE_TOKEN\" %s/api/v1/openapi.json\n\n", url)
	fmt.Fprintln(w, "Other demo users (try separation of duties: erin wrote PRB-1's RCA, so she cannot approve its release):")
	for _, u := range res.Users {
		roles := make([]string, len(u.Roles))
		for i, r := range u.Roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(w, "  %-7s %-28s %s\n", u.Name, strings.Join(roles, ","), u.Token)
	}
	fmt.Fprintf(w, "\nTheir tokens as variables (README's walk-through: FIXGATE_TOKEN=$PAT ./fixgate …):\n\n  %s\n", demoExports(res))
	fmt.Fprintln(w, "\nPress Ctrl-C to stop.")
}
