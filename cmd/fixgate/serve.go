package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/api"
	"fixgate/internal/artifact"
	"fixgate/internal/engine"
	"fixgate/internal/fault"
	"fixgate/internal/jobs"
	"fixgate/internal/metrics"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/web"
	"fixgate/internal/webhook/delivery"
)

// serverFlags are the flags of serve and demo.
type serverFlags struct {
	addr    string
	db      string
	dataDir string
	policy  string // --policy FILE
	pol     *policy.Policy
	polYAML []byte
	// autoClose: the ready-to-close job closes problems itself (F1)
	autoClose    bool
	logFormat    string // --log-format text|json
	metricsToken string // --metrics-token: the bearer token /metrics asks for ("" : none)
	// auditKey signs audit checkpoints every cpEvery or cpEvents events
	auditKey string
	cpEvery  time.Duration
	cpEvents int64
	// promURL is the Prometheus the rollout engine's prometheus checks query
	promURL string
	// driverPrivate lets webhook drivers reach private and loopback addresses
	driverPrivate bool
	// signIn: single sign-on, public URL, TLS, session lifetimes (serve_signin.go)
	signIn signInFlags
}

// logger returns the server's logger on w in the --log-format asked for.
func (f *serverFlags) logger(w io.Writer) (*slog.Logger, error) {
	switch f.logFormat {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fault.Field("log-format", "must be text or json, not %q", f.logFormat)
}

// loadPolicy reads and parses --policy once; an invalid file is an error
// naming the line and the reason (exit 2), before anything else starts.
func (f *serverFlags) loadPolicy() error {
	if f.policy == "" || f.pol != nil {
		return nil
	}
	data, err := os.ReadFile(f.policy)
	if err != nil {
		return fault.Field("policy", "cannot read %s: %v", f.policy, err)
	}
	if f.pol, err = policy.Parse(data); err != nil {
		return fault.Field("policy", "%s: %s", f.policy, fault.As(err).Message)
	}
	f.polYAML = data
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (f *serverFlags) register(cmd *cobra.Command, defDB string) {
	cmd.PreRunE = func(*cobra.Command, []string) error { // a bad flag value stops before any database is touched
		if _, err := f.logger(io.Discard); err != nil {
			return err
		}
		_, err := f.signIn.webConfig()
		return err
	}
	cmd.Flags().StringVar(&f.addr, "addr", envOr("FIXGATE_ADDR", "127.0.0.1:8080"), "listen address (env FIXGATE_ADDR)")
	cmd.Flags().StringVar(&f.db, "db", envOr("FIXGATE_DB", defDB), "database: sqlite:PATH or postgres://… (env FIXGATE_DB)")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", envOr("FIXGATE_DATA_DIR", "fixgate-data"), "directory for artifacts (env FIXGATE_DATA_DIR)")
	cmd.Flags().StringVar(&f.policy, "policy", os.Getenv("FIXGATE_POLICY"), "policy file (YAML) stored as the current policy at start (env FIXGATE_POLICY); default: the stored policy, else the built-in one")
	cmd.Flags().StringVar(&f.logFormat, "log-format", envOr("FIXGATE_LOG_FORMAT", "text"), "log format on stderr: text or json (env FIXGATE_LOG_FORMAT); one access-log line per request")
	cmd.Flags().StringVar(&f.metricsToken, "metrics-token", os.Getenv("FIXGATE_METRICS_TOKEN"), "bearer token that /metrics asks for (env FIXGATE_METRICS_TOKEN; default: /metrics needs none)")
	cmd.Flags().BoolVar(&f.autoClose, "auto-close", os.Getenv("FIXGATE_AUTO_CLOSE") == "true", "close problems automatically once every closure condition holds (env FIXGATE_AUTO_CLOSE=true)")
	cmd.Flags().StringVar(&f.auditKey, "audit-key", os.Getenv("FIXGATE_AUDIT_KEY"), "private key file (from `fixgate audit keygen`) to sign audit checkpoints with; never stored in the database (env FIXGATE_AUDIT_KEY)")
	cmd.Flags().DurationVar(&f.cpEvery, "checkpoint-every", 5*time.Minute, "with --audit-key: sign a checkpoint at least this often while events are audited")
	cmd.Flags().StringVar(&f.promURL, "prometheus-url", os.Getenv("FIXGATE_PROMETHEUS_URL"), "Prometheus that analysis templates' prometheus checks query (env FIXGATE_PROMETHEUS_URL); without it those checks measure as errors")
	cmd.Flags().BoolVar(&f.driverPrivate, "driver-allow-private", os.Getenv("FIXGATE_DRIVER_ALLOW_PRIVATE") == "true", "let the policy's webhook drivers reach private, loopback and link-local addresses (env FIXGATE_DRIVER_ALLOW_PRIVATE=true)")
	cmd.Flags().Int64Var(&f.cpEvents, "checkpoint-events", 1000, "with --audit-key: sign a checkpoint as soon as this many events are not covered")
	f.signIn.register(cmd)
}

func newServeCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the fixgate server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.loadPolicy(); err != nil {
				return err
			}
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
	ln, err := listen(f.addr)
	if err != nil {
		return err
	}
	return serveOn(ctx, cmd, f, st, ln, ready)
}

// listen opens the listener on addr. Returns Invalid naming "addr" when
// it cannot (e.g. the address is in use).
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fault.Field("addr", "cannot listen on %s: %v", addr, err)
	}
	return ln, nil
}

// serveOn is serve on a listener already open (it closes it when done).
func serveOn(ctx context.Context, cmd *cobra.Command, f serverFlags, st *store.Store, ln net.Listener, ready func(addr string)) error {
	defer ln.Close()
	if err := os.MkdirAll(f.dataDir, 0o750); err != nil {
		return fault.Field("data-dir", "cannot create %s: %v", f.dataDir, err)
	}
	if err := f.loadPolicy(); err != nil {
		return err
	}
	log, err := f.logger(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	m := metrics.New(st.DB())
	prom, err := prometheusMeasurer(f.promURL)
	if err != nil {
		return err
	}
	runner := &engine.Runner{Store: st, Drivers: policyDrivers(f.driverPrivate), Prometheus: prom, Holder: holderName(), Log: log,
		OnRollbackStart: m.RollbackStarted, OnOutcome: m.Outcome}
	cfg := api.Config{Store: st, DataDir: f.dataDir, Policy: f.pol, PolicyYAML: f.polYAML, Logger: log,
		Metrics: m, MetricsToken: f.metricsToken, Wake: runner.Wake}
	var auditKey string
	if f.auditKey != "" {
		if auditKey, err = readPrivateKey(f.auditKey, cmd.ErrOrStderr()); err != nil {
			return err
		}
		if f.cpEvery <= 0 || f.cpEvents <= 0 {
			return fault.Field("checkpoint-every", "--checkpoint-every and --checkpoint-events must be positive")
		}
	}
	var apiSrv *api.Server
	// The pages (internal/web) share the API's policy, engine and middleware; single sign-on discovers its provider now.
	wcfg, err := f.signIn.webConfig()
	if err != nil {
		return err
	}
	wcfg.Store, wcfg.Logger, wcfg.Wake = st, log, runner.Wake
	if f.dataDir != "" {
		wcfg.Files = artifact.FS{Dir: f.dataDir} // the pages' verified downloads and purge, as the API's
	}
	wcfg.Policy = func(ctx context.Context) (*policy.Policy, int64, error) { return apiSrv.Policy(ctx) }
	pages, err := web.New(wcfg)
	if err != nil {
		return err
	}
	cfg.Web = pages.Handler()
	apiSrv = api.New(cfg)
	if err := apiSrv.InitPolicy(ctx); err != nil {
		return err
	}
	runner.Policy = apiSrv.Policy
	// Event-driven rollback: an alert or incident that a watching deployment's check counts decides its
	// rollback in the request that stores it, under the engine's policy; the runner starts the driver at once.
	st.SetRollouts(store.Rollouts{Policy: apiSrv.Policy, Decided: runner.RollbackDecided})
	// The rollout engine (issue 11): steps due deployments; leases in the database make each step run on one replica.
	runner.Lease = engineLease
	engineDone := make(chan struct{})
	go func() { runner.Run(ctx); close(engineDone) }()
	srv := api.NewHTTPServer(f.addr, apiSrv.Handler())
	log.Info("fixgate listening", "addr", ln.Addr().String(), "db", st.Dialect())
	if ready != nil {
		ready(ln.Addr().String())
	}
	// Outgoing webhooks (F2): deliver outbox events to subscriptions until ctx ends; claims are leased, so
	// several replicas can run this worker side by side.
	go (&delivery.Worker{Queue: st, Now: st.Now, Log: log, Metrics: m}).Run(ctx)
	// Background jobs (F1): every minute, announce problems ready to close (and close them with --auto-close);
	// each step takes a lease in the database, so with several replicas it runs once.
	jr := jobs.New(st, log, f.autoClose)
	jr.Metrics = m
	go jr.Run(ctx)
	// Retention (issue 13): every hour, purge expired artifacts not on hold; leased like the jobs above.
	pr := jobs.NewPurger(st, artifact.FS{Dir: f.dataDir}, log)
	pr.Metrics = m
	go pr.Run(ctx)
	// Signed audit checkpoints: only with a key, which stays in this process.
	if auditKey != "" {
		go (&jobs.Checkpointer{Store: st, Log: log, Key: auditKey, Every: f.cpEvery, Events: f.cpEvents}).Run(ctx)
	}
	errc := make(chan error, 1)
	go func() {
		if f.signIn.tlsCert != "" {
			errc <- srv.ServeTLS(ln, f.signIn.tlsCert, f.signIn.tlsKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
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
	<-engineDone // the steps in flight give their leases back before the store closes
	return nil
}

// engineLease is the rollout engine's lease on the deployment it steps (0:
// engine.Runner's default, 30 s): how long a killed replica's deployments
// wait before another takes them over. Tests of a killed server shorten it.
var engineLease time.Duration

// holderName names this process in deployment leases: host and pid.
func holderName() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s/%d", h, os.Getpid())
}
