package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"fixgate/internal/artifact"
	"fixgate/internal/fault"
	"fixgate/internal/matcher"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the persistence layer. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
	stmts   sync.Map // SQL text → *sql.Stmt, for hot read paths and SQLite transactions
	nstmts  atomic.Int64
	authc   authCache
	// In-memory state that serves this store's database only (caches and
	// queues); each is usable at its zero value except sigs (set by Open).
	cat    catalogueCache // gate: CI graph and component versions
	evals  evalGroup      // gate: evaluations waiting for group commit
	ingest ingestQueue    // Alertmanager notifications waiting for group commit
	ends   stepEnds       // rollout engine step ends waiting for group commit
	sigs   *sigIndex      // signatures of open and resolved problems
	// rollouts: the server's hooks for event-driven rollbacks (SetRollouts)
	rollouts Rollouts
	// files: where artifact bytes live (SetArtifactStorage; nil: nowhere)
	files artifact.Storage
	// writers admits SQLite write transactions one at a time (write_gate.go)
	writers *writeGate
	noGate  bool
}

// Option configures Open.
type Option func(*Store)

// WithClock injects the clock; tests use it to control time.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to dsn ("sqlite:PATH", "postgres://…" or "postgresql://…")
// and applies the embedded migrations. Returns an Invalid error for an
// unknown DSN scheme.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	s := &Store{now: time.Now, sigs: &sigIndex{ix: matcher.NewIndex(), owner: map[int64]int64{}}}
	for _, o := range opts {
		o(s)
	}
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		s.dialect = SQLite
		s.db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"))
		if !s.noGate {
			s.writers = newWriteGate(s.db)
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", dsn)
		if err == nil {
			s.db.SetMaxOpenConns(32)
			s.db.SetMaxIdleConns(32)
		}
	default:
		return nil, fault.Field("db", "unsupported database %q: use sqlite:PATH or postgres://…", redact(dsn))
	}
	if err != nil {
		return nil, fault.Wrap(err, "open database")
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, &fault.Error{Code: fault.Unavailable, Message: "cannot reach database " + redact(dsn), Err: err}
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.buildAuditTree(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite opens path in WAL mode with FULL synchronous (acknowledged
// approvals and alerts survive power loss), a busy timeout, foreign keys, and
// BEGIN IMMEDIATE for every transaction (a deferred read-then-write
// transaction fails with SQLITE_BUSY in WAL mode, ignoring the timeout).
func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, fault.Field("db", "sqlite: needs a path, e.g. sqlite:fixgate.db")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "temp_store(MEMORY)") // statement journals of INSERT … RETURNING stay off disk
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// Keep every connection idle rather than the default 2: reopening one
	// re-runs the pragmas and re-prepares statements (a quarter of a GET's
	// time under 32 clients before this).
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func (s *Store) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return fault.Wrap(err, "migrations")
	}
	var opts []goose.ProviderOption
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fault.Wrap(err, "migration lock")
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, s.db, sub, opts...)
	if err != nil {
		return fault.Wrap(err, "migrations")
	}
	if _, err := p.Up(ctx); err != nil {
		return fault.Wrap(err, "apply migrations")
	}
	return nil
}

// queryRowHot runs a single-row read through a statement prepared once per
// store (hot read paths: authentication, GET by id). If preparing fails it
// runs the query unprepared, so the error surfaces on Scan.
func (s *Store) queryRowHot(ctx context.Context, q string, args ...any) *sql.Row {
	// A single-row indexed read takes microseconds; without cancellation
	// modernc skips arming an interrupt watcher for every step.
	ctx = context.WithoutCancel(ctx)
	if st := s.cachedStmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.db.QueryRowContext(ctx, q, args...)
}

// queryHot is queryRowHot for a query returning many rows.
func (s *Store) queryHot(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := s.cachedStmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.db.QueryContext(ctx, q, args...)
}

// maxStmts bounds the statement cache: statements built for a varying
// number of rows (IN lists, multi-row inserts) beyond it run unprepared.
const maxStmts = 512

// cachedStmt returns q prepared on the database, preparing it once, or nil
// when the cache is full or preparing fails (the caller runs q unprepared
// and meets the error there).
func (s *Store) cachedStmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt)
	}
	if s.nstmts.Load() >= maxStmts {
		return nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	s.nstmts.Add(1)
	return st
}

// Close releases the prepared statements and the database.
func (s *Store) Close() error {
	s.writers.close()
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	return s.db.Close()
}

// Dialect reports which database the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB exposes the handle for benchmarks and offline tools that need raw SQL.
func (s *Store) DB() *sql.DB { return s.db }

// Ping checks the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return &fault.Error{Code: fault.Unavailable, Message: "database unavailable", Err: err}
	}
	return nil
}

// Now returns the store's clock reading, truncated to what both databases keep.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func errf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fault.Wrap(err, format, args...)
}

var _ = fmt.Sprintf
