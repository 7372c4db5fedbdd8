package store

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"fixgate/internal/fault"
)

// TestClassifyByDriverCodes: PostgreSQL SQLSTATEs and SQLite result codes
// map to Conflict, Invalid or Unavailable, also when wrapped; a message
// that merely mentions "duplicate key" does not.
func TestClassifyByDriverCodes(t *testing.T) {
	cases := []struct {
		err  error
		want fault.Code
	}{
		{&pgconn.PgError{Code: "23505"}, fault.Conflict},
		{fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23503"}), fault.Invalid},
		{&pgconn.PgError{Code: "40P01"}, fault.Unavailable},
		{&pgconn.PgError{Code: "40001"}, fault.Unavailable},
		{&pgconn.PgError{Code: "42P01"}, fault.Internal},
		{fmt.Errorf("duplicate key value violates unique constraint"), fault.Internal},
		{sql.ErrConnDone, fault.Unavailable},
	}
	for _, c := range cases {
		if got := fault.CodeOf(classify(c.err)); got != c.want {
			t.Errorf("%v: %s, want %s", c.err, got, c.want)
		}
	}
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`PRAGMA foreign_keys = ON`, `CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`,
		`CREATE TABLE b (a_id INTEGER REFERENCES a(id))`, `INSERT INTO a (name) VALUES ('x')`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	_, dup := db.Exec(`INSERT INTO a (name) VALUES ('x')`)
	_, ref := db.Exec(`INSERT INTO b (a_id) VALUES (42)`)
	if got := fault.CodeOf(classify(dup)); got != fault.Conflict {
		t.Errorf("SQLite unique violation %v: %s", dup, got)
	}
	if got := fault.CodeOf(classify(ref)); got != fault.Invalid {
		t.Errorf("SQLite foreign key violation %v: %s", ref, got)
	}
}

// TestBatchEntryKeepsItsCode: a bulk load names the failing entry without
// turning its error into "invalid": a coded error keeps its code, a driver
// error stays classifiable by its code.
func TestBatchEntryKeepsItsCode(t *testing.T) {
	cases := []struct {
		err  error
		want fault.Code
	}{
		{fault.NotFoundf("release REL-9 not found"), fault.NotFound},
		{fault.Conflictf("component version a@1 already exists"), fault.Conflict},
		{fault.Field("cis", "%q does not exist", "nope"), fault.Invalid},
		{&pgconn.PgError{Code: "23505"}, fault.Conflict},
	}
	for _, c := range cases {
		err := classify(fault.In("problems", 3, c.err))
		fe := fault.As(err)
		if fe == nil || fe.Code != c.want || fe.Field != "problems" && c.want != fault.Conflict {
			t.Errorf("%v: %#v, want %s naming problems", c.err, err, c.want)
			continue
		}
		if fe.Field == "problems" && !strings.HasPrefix(fe.Message, "entry 3: ") {
			t.Errorf("%v: message %q does not name the entry", c.err, fe.Message)
		}
	}
}
