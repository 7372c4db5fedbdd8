package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestSchemasAreEqual migrates a SQLite and a PostgreSQL database and
// compares what the two migration trees built: tables, columns (normalised
// type, NOT NULL, primary key), indexes (columns, uniqueness) and foreign
// keys. It needs PostgreSQL, so it runs in the PostgreSQL pass of the
// suite (FIXGATE_TEST_POSTGRES); the SQLite pass has nothing to compare.
func TestSchemasAreEqual(t *testing.T) {
	if os.Getenv("FIXGATE_TEST_POSTGRES") == "" {
		t.Skip("compares with PostgreSQL: runs when FIXGATE_TEST_POSTGRES is set (as in .ci/run)")
	}
	ctx := context.Background()
	lite, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "schema.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, _ := storetest.Open(t)
	a, b := sqliteSchema(t, lite.DB()), postgresSchema(t, pg.DB())
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("the SQLite (-) and PostgreSQL (+) schemas differ:\n%s", diff)
	}
	t.Logf("%d schema facts each; e.g. %s", len(a), a[len(a)/2])
	if len(a) < 30 {
		t.Fatalf("only %d schema facts read: the introspection is broken", len(a))
	}
}

// normType folds the dialects' spellings of one column type together.
// Times are TEXT on SQLite (fixed-width RFC 3339) and TIMESTAMPTZ on
// PostgreSQL, so both are "text|time" unless a name says otherwise.
func normType(t string) string {
	switch strings.ToLower(t) {
	case "integer", "bigint", "int", "int8", "int4":
		return "int"
	case "boolean", "bool":
		return "bool"
	case "text", "timestamp with time zone", "timestamptz":
		return "text|time"
	case "blob", "bytea":
		return "bytes"
	}
	return strings.ToLower(t)
}

func rowsOf(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out
}

func sqliteSchema(t *testing.T, db *sql.DB) []string {
	var facts []string
	for _, tbl := range rowsOf(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`) {
		name := tbl[0]
		for _, c := range rowsOf(t, db, `SELECT name, type, "notnull", pk FROM pragma_table_xinfo($1) WHERE hidden <> 1`, name) {
			notNull := c[2] == "1" || c[3] != "0"
			facts = append(facts, fmt.Sprintf("column %s.%s %s notnull=%v pk=%v", name, c[0], normType(c[1]), notNull, c[3] != "0"))
		}
		for _, ix := range rowsOf(t, db, `SELECT name, "unique", origin FROM pragma_index_list($1)`, name) {
			if ix[2] == "pk" {
				continue // the primary key is in the column facts
			}
			var cols []string
			for _, c := range rowsOf(t, db, `SELECT name FROM pragma_index_info($1) ORDER BY seqno`, ix[0]) {
				cols = append(cols, c[0])
			}
			facts = append(facts, fmt.Sprintf("index %s(%s) unique=%v", name, strings.Join(cols, ","), ix[1] == "1"))
		}
		for _, fk := range rowsOf(t, db, `SELECT "from", "table", "to" FROM pragma_foreign_key_list($1)`, name) {
			facts = append(facts, fmt.Sprintf("fk %s.%s -> %s.%s", name, fk[0], fk[1], fk[2]))
		}
	}
	sort.Strings(facts)
	return facts
}

func postgresSchema(t *testing.T, db *sql.DB) []string {
	var facts []string
	pk := map[string]bool{}
	for _, r := range rowsOf(t, db, `SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
		JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
		WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'`) {
		pk[r[0]+"."+r[1]] = true
	}
	for _, c := range rowsOf(t, db, `SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`) {
		facts = append(facts, fmt.Sprintf("column %s.%s %s notnull=%v pk=%v", c[0], c[1], normType(c[2]), c[3] == "NO", pk[c[0]+"."+c[1]]))
	}
	for _, ix := range rowsOf(t, db, `SELECT t.relname, i.indisunique, array_to_string(ARRAY(
			SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord), ',')
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = 'public' AND NOT i.indisprimary AND t.relname <> 'goose_db_version'`) {
		facts = append(facts, fmt.Sprintf("index %s(%s) unique=%v", ix[0], ix[2], ix[1] == "true"))
	}
	for _, fk := range rowsOf(t, db, `SELECT cl.relname, a.attname, rt.relname, ra.attname
		FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rt ON rt.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND n.nspname = 'public'`) {
		facts = append(facts, fmt.Sprintf("fk %s.%s -> %s.%s", fk[0], fk[1], fk[2], fk[3]))
	}
	sort.Strings(facts)
	return facts
}
