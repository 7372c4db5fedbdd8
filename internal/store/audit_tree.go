package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
)

// The Merkle tree over the audit events (internal/audit) is kept as the
// tlog stored hashes in audit_tree: row idx holds stored hash idx. It grows
// in the transaction that appends the events it covers, so its size is
// always the chain head's seq.

// appendTree stores the tree hashes of sealed events evs, which follow a
// tree of evs[0].Seq-1 leaves.
func (tx *Tx) appendTree(ctx context.Context, evs []audit.Event) error {
	n0 := evs[0].Seq - 1
	r, err := newTreeReader(ctx, tx.query, n0)
	if err != nil {
		return err
	}
	for i := range evs {
		leaf, err := audit.LeafHash(evs[i].Hash)
		if err != nil {
			return err
		}
		hs, err := tlog.StoredHashesForRecordHash(n0+int64(i), leaf, r)
		if err != nil {
			return fmt.Errorf("audit tree: %w", err)
		}
		r.pending = append(r.pending, hs...)
	}
	return tx.insertTree(ctx, r.base, r.pending)
}

// insertTree stores hashes at indexes base, base+1, …: one prepared
// single-row INSERT reused on SQLite, multi-row INSERTs on PostgreSQL
// (the same split as insertAudit).
func (tx *Tx) insertTree(ctx context.Context, base int64, hs []tlog.Hash) error {
	const one = `INSERT INTO audit_tree (idx, hash) VALUES ($1, $2)`
	if tx.dialect == SQLite {
		st := tx.prepared(ctx, one)
		if st == nil {
			var err error
			if st, err = tx.tx.PrepareContext(ctx, one); err != nil {
				return err
			}
			defer st.Close()
		}
		for i := range hs {
			if _, err := st.ExecContext(ctx, base+int64(i), hs[i][:]); err != nil {
				return err
			}
		}
		return nil
	}
	for start := 0; start < len(hs); start += 1000 {
		chunk := hs[start:min(start+1000, len(hs))]
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_tree (idx, hash) VALUES `)
		args := make([]any, 0, 2*len(chunk))
		for i := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, 2) + ")")
			args = append(args, base+int64(start+i), chunk[i][:])
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// errTree marks a stored tree that is not well formed (rows missing or
// malformed): tampering, not a database failure.
var errTree = errors.New("audit tree")

type queryFunc func(ctx context.Context, q string, args ...any) (*sql.Rows, error)

// treeReader serves tlog's reads while a tree grows: hashes already stored
// from the database (the frontier of the old tree, read once), new ones
// from pending.
type treeReader struct {
	base    int64 // stored hash count of the old tree; pending[0] is index base
	pending []tlog.Hash
	old     map[int64]tlog.Hash
}

// newTreeReader reads the frontier of a stored tree of n leaves: the
// complete subtrees every later leaf's hashes are computed from.
func newTreeReader(ctx context.Context, query queryFunc, n int64) (*treeReader, error) {
	r := &treeReader{base: tlog.StoredHashCount(n), old: map[int64]tlog.Hash{}}
	var need []int64
	for level := 0; n>>level > 0; level++ {
		if n>>level&1 == 1 {
			need = append(need, tlog.StoredHashIndex(level, n>>level-1))
		}
	}
	hs, err := readTree(ctx, query, need)
	if err != nil {
		return nil, err
	}
	for i, idx := range need {
		r.old[idx] = hs[i]
	}
	return r, nil
}

// ReadHashes implements tlog.HashReader.
func (r *treeReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := r.old[idx]
		switch {
		case idx >= r.base && idx-r.base < int64(len(r.pending)):
			out[i] = r.pending[idx-r.base]
		case ok:
			out[i] = h
		default:
			return nil, fmt.Errorf("audit tree: hash %d not available (tree not built?)", idx)
		}
	}
	return out, nil
}

// readTree reads stored hashes by index, in the order asked; a missing
// one is an error.
func readTree(ctx context.Context, query queryFunc, idx []int64) ([]tlog.Hash, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	args := make([]any, len(idx))
	for i, x := range idx {
		args[i] = x
	}
	rows, err := query(ctx, `SELECT idx, hash FROM audit_tree WHERE idx IN (`+placeholders(1, len(idx))+`)`, args...)
	if err != nil {
		return nil, errf(err, "read audit tree")
	}
	defer rows.Close()
	got := make(map[int64]tlog.Hash, len(idx))
	for rows.Next() {
		var i int64
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, errf(err, "read audit tree")
		}
		if len(b) != len(tlog.Hash{}) {
			return nil, fmt.Errorf("%w: hash %d has %d bytes", errTree, i, len(b))
		}
		got[i] = tlog.Hash(b)
	}
	if err := rows.Err(); err != nil {
		return nil, errf(err, "read audit tree")
	}
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("%w: hash %d is missing", errTree, x)
		}
		out[i] = h
	}
	return out, nil
}

// dbTree reads the stored tree outside a transaction (tlog.HashReader).
type dbTree struct {
	ctx context.Context
	s   *Store
}

func (d dbTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	return readTree(d.ctx, d.s.db.QueryContext, idx)
}

// treeSize returns the number of leaves the stored tree covers, from its row count.
func treeSize(ctx context.Context, row func(ctx context.Context, q string, args ...any) *sql.Row) (int64, error) {
	var count int64
	if err := row(ctx, `SELECT COUNT(*) FROM audit_tree`).Scan(&count); err != nil {
		return 0, errf(err, "read audit tree")
	}
	n, ok := audit.TreeSizeForStoredCount(count)
	if !ok {
		return 0, fmt.Errorf("%w: %d stored hashes is no tree's size (rows deleted or inserted)", errTree, count)
	}
	return n, nil
}

// buildAuditTree adds to the stored tree the events it does not cover yet
// (a database from before the tree existed), under the chain head's lock.
// A tree that is not a prefix of the chain is left for verify to report.
// When the tree is complete it only reads (read-only auditors can open).
func (s *Store) buildAuditTree(ctx context.Context) error {
	head, err := s.AuditSize(ctx)
	if err != nil {
		return err
	}
	if n, err := treeSize(ctx, s.db.QueryRowContext); err != nil || n >= head {
		return nil
	}
	return s.write(ctx, audit.System("audit-tree"), func(tx *Tx) error {
		var head int64
		if err := tx.queryRow(ctx, `UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq`).Scan(&head); err != nil {
			return errf(err, "audit head")
		}
		n, err := treeSize(ctx, tx.queryRow)
		if err != nil || n >= head {
			return nil
		}
		for n < head {
			evs, err := tx.chainHashes(ctx, n+1, min(n+50_000, head))
			if err != nil {
				return err
			}
			if len(evs) == 0 || evs[0].Seq != n+1 {
				return nil // a gap in the chain: verify reports it
			}
			if err := tx.appendTree(ctx, evs); err != nil {
				return err
			}
			n = evs[len(evs)-1].Seq
		}
		return nil
	})
}

// chainHashes reads seq and hash of events lo..hi, stopping at a gap.
func (tx *Tx) chainHashes(ctx context.Context, lo, hi int64) ([]audit.Event, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT seq, hash FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq`, lo, hi)
	if err != nil {
		return nil, errf(err, "read audit events")
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, &e.Hash); err != nil {
			return nil, errf(err, "read audit events")
		}
		if e.Seq != lo+int64(len(out)) {
			break
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "read audit events")
}

// readTreeRange reads stored hashes lo..hi-1 into tree[lo:hi] (rows
// missing or malformed stay zero or shift the ones after them, which
// verification reports at the first index that differs). Only the hash
// column is read: idx is the primary key, so the rows of [lo, hi) in idx
// order are at most hi-lo distinct indexes, and the k-th of them is lo+k
// unless one before it is missing.
func (s *Store) readTreeRange(ctx context.Context, lo, hi int64, tree []tlog.Hash) error {
	rows, err := s.db.QueryContext(context.WithoutCancel(ctx), `SELECT hash FROM audit_tree WHERE idx >= $1 AND idx < $2 ORDER BY idx`, lo, hi)
	if err != nil {
		return errf(err, "read audit tree")
	}
	defer rows.Close()
	var raw sql.RawBytes
	for idx := lo; rows.Next(); idx++ {
		if err := rows.Scan(&raw); err != nil {
			return errf(err, "read audit tree")
		}
		if idx < hi && len(raw) == len(tlog.Hash{}) {
			tree[idx] = tlog.Hash(raw)
		}
	}
	return errf(rows.Err(), "read audit tree")
}
