package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib"

	"fixgate/internal/store"
)

func numCPU() int { return runtime.NumCPU() }

func dbLabel(db string) string {
	if db == "sqlite" {
		return "SQLite (modernc, WAL, synchronous=FULL)"
	}
	return "PostgreSQL"
}

// freshDSN returns the DSN of a new empty database and a cleanup function.
func freshDSN(db string) (string, func(), error) {
	if db == "sqlite" {
		dir, err := os.MkdirTemp("", "fixgate-bench-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	}
	admin, err := sql.Open("pgx", db)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 5)
	rand.Read(b)
	name := "fixgate_bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, _ := url.Parse(db)
	u.Path = "/" + name
	return u.String(), func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// openFresh opens a migrated store on a fresh database.
func openFresh(ctx context.Context, db string) (*store.Store, func(), error) {
	dsn, cleanup, err := freshDSN(db)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return st, func() { st.Close(); cleanup() }, nil
}

var _ = strings.TrimSpace
