package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/api"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// serverFlags are the flags of serve and demo.
type serverFlags struct {
	addr    string
	db      string
	dataDir string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (f *serverFlags) register(cmd *cobra.Command, defDB string) {
	cmd.Flags().StringVar(&f.addr, "addr", envOr("FIXGATE_ADDR", "127.0.0.1:8080"), "listen address (env FIXGATE_ADDR)")
	cmd.Flags().StringVar(&f.db, "db", envOr("FIXGATE_DB", defDB), "database: sqlite:PATH or postgres://… (env FIXGATE_DB)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", envOr("FIXGATE_DATA_DIR", "fixgate-data"), "directory for artifacts (env FIXGATE_DATA_DIR)")
}

func newServeCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the fixgate server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := store.Open(ctx, f.db)
			if err != nil {
				return err
			}
			defer st.Close()
			tok, created, err := st.Bootstrap(ctx, os.Getenv("FIXGATE_BOOTSTRAP_TOKEN"))
			if err != nil {
				return err
			}
			if created && os.Getenv("FIXGATE_BOOTSTRAP_TOKEN") == "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "created user admin; its token (shown once): %s\n", tok)
			}
			return serve(ctx, cmd, f, st, nil)
		},
	}
	f.register(cmd, "sqlite:fixgate.db")
	return cmd
}

// serve listens on f.addr and runs the API until ctx ends. ready, when
// set, is called once the listener is open.
func serve(ctx context.Context, cmd *cobra.Command, f serverFlags, st *store.Store, ready func(addr string)) error {
	if err := os.MkdirAll(f.dataDir, 0o750); err != nil {
		return fault.Field("data-dir", "cannot create %s: %v", f.dataDir, err)
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	srv := api.NewHTTPServer(f.addr, api.New(api.Config{Store: st, Logger: log, DataDir: f.dataDir}).Handler())
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fault.Field("addr", "cannot listen on %s: %v", f.addr, err)
	}
	log.Info("fixgate listening", "addr", ln.Addr().String(), "db", st.Dialect())
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
