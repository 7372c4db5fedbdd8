// Package storetest opens a fresh Store for tests: SQLite in a temp dir by
// default, and a fresh PostgreSQL database when FIXGATE_TEST_POSTGRES holds
// a DSN (each call creates and later drops its own database).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"fixgate/internal/store"
)

// Clock is a settable clock for tests.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.T = c.T.Add(d) }

// Start is the time every test clock starts at.
var Start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// DSN returns a DSN for a fresh, empty database and registers its cleanup.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("FIXGATE_TEST_POSTGRES")
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "fixgate.db")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "fixgate_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
		admin.Close()
	})
	return u.String()
}

// Open returns a migrated store on a fresh database with a test clock.
func Open(t testing.TB) (*store.Store, *Clock) {
	t.Helper()
	clock := &Clock{T: Start}
	s, err := store.Open(context.Background(), DSN(t), store.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock
}
