package store

import (
	"context"
	"strconv"
	"strings"

	"fixgate/internal/fault"
)

// filter builds the WHERE clause of a list query from literal fragments,
// numbering the $N placeholders as conditions are added. Each fragment
// holds one "?" that becomes the next $N.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, arg any) {
	f.args = append(f.args, arg)
	f.conds = append(f.conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(f.args)), 1))
}

// where returns " WHERE a AND b" (or "") and the next placeholder number.
func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// next returns the placeholder for one more argument appended after the conditions.
func (f *filter) next(arg any) string {
	f.args = append(f.args, arg)
	return "$" + strconv.Itoa(len(f.args))
}

// placeholders returns "$start, $start+1, …" for n arguments.
func placeholders(start, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(start+i))
	}
	return b.String()
}

// requireNames returns an Invalid error naming field when any of names is
// not a row of the given named-record table ("cis", "environments", "users").
func (tx *Tx) requireNames(ctx context.Context, field, table string, names []string) error {
	var q string
	switch table {
	case "cis":
		q = `SELECT COUNT(*) FROM cis WHERE name = $1`
	case "environments":
		q = `SELECT COUNT(*) FROM environments WHERE name = $1`
	case "users":
		q = `SELECT COUNT(*) FROM users WHERE name = $1`
	default:
		panic("requireNames: unknown table " + table)
	}
	for _, n := range names {
		key := table + "\x00" + n
		if tx.seen[key] {
			continue
		}
		var c int
		if err := tx.queryRow(ctx, q, n).Scan(&c); err != nil {
			return err
		}
		if c == 0 {
			return fault.Field(field, "%q does not exist", n)
		}
		if tx.seen == nil {
			tx.seen = map[string]bool{}
		}
		tx.seen[key] = true // named records are never deleted: it stays true in this transaction
	}
	return nil
}

// Page is a cursor position: list queries return rows with id > After.
type Page struct {
	After int64
	Limit int
}

// MaxLimit caps one page of any list.
const MaxLimit = 500

// Norm clamps the limit to 1..MaxLimit (default 50).
func (p Page) Norm() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > MaxLimit {
		p.Limit = MaxLimit
	}
	return p
}
