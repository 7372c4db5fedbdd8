package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
)

const auditCols = `seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash`

// EachAuditEvent streams the events at or after since (zero: all) in seq
// order to fn; fn returning an error stops the walk. The *Event is reused
// between calls.
func (s *Store) EachAuditEvent(ctx context.Context, since time.Time, fn func(*audit.Event) error) error {
	if since.IsZero() {
		return s.eachAuditEvent(ctx, `SELECT `+auditCols+` FROM audit_events ORDER BY seq`, nil, fn)
	}
	return s.eachAuditEvent(ctx, `SELECT `+auditCols+` FROM audit_events WHERE at >= $1 ORDER BY seq`, []any{ts(since)}, fn)
}

func (s *Store) eachAuditEvent(ctx context.Context, q string, args []any, fn func(*audit.Event) error) error {
	// modernc arms an interrupt watcher on every step of a query whose
	// context can be canceled (a third of the walk's time); query without
	// cancellation and check ctx between rows instead.
	rows, err := s.db.QueryContext(context.WithoutCancel(ctx), q, args...)
	if err != nil {
		return errf(err, "read audit events")
	}
	defer rows.Close()
	var e audit.Event
	for n := 0; rows.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := rows.Scan(&e.Seq, auditAtCol{&e.At, &e.AtText}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return errf(err, "scan audit event")
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return errf(rows.Err(), "read audit events")
}

// VerifyAudit checks the whole chain and its head, and that the stored
// Merkle tree matches the events. It returns the number of events verified
// and the first break (nil if the trail is intact). It trusts the head and
// tree stored in the same database: VerifyAuditCheckpoint checks the trail
// against a signed checkpoint kept outside it.
func (s *Store) VerifyAudit(ctx context.Context) (int64, *audit.Broken, error) {
	return s.VerifyAuditCheckpoint(ctx, nil)
}

// verifyChain checks the hash chain and its head and returns the tree leaf
// hash of every event (leaves[i] is event i+1) and the stored tree hashes
// (tree[i] is audit_tree row i; zero where missing). Long chains are verified as
// consecutive seq ranges in parallel, one per CPU: each range starts from
// the stored hash of the event before it, which the range before checks.
func (s *Store) verifyChain(ctx context.Context) (int64, []tlog.Hash, []tlog.Hash, *audit.Broken, error) {
	var headSeq int64
	var headHash string
	if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, nil, nil, nil, errf(err, "read audit head")
	}
	var stray int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_events WHERE seq < 1 OR seq > $1`, headSeq).Scan(&stray); err != nil {
		return 0, nil, nil, nil, errf(err, "read audit events")
	}
	parts := int64(min(runtime.NumCPU(), 4))
	if headSeq < 100_000 {
		parts = 1
	}
	type result struct {
		v      *audit.Verifier
		broken *audit.Broken
		err    error
	}
	results := make([]result, parts)
	leaves := make([]tlog.Hash, headSeq)
	tree := make([]tlog.Hash, tlog.StoredHashCount(headSeq))
	var wg sync.WaitGroup
	for i := int64(0); i < parts; i++ {
		lo, hi := 1+i*headSeq/parts, (i+1)*headSeq/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, b, err := s.verifyRange(ctx, lo, hi, headSeq, headHash, leaves)
			if err == nil && b == nil {
				err = s.readTreeRange(ctx, tlog.StoredHashCount(lo-1), tlog.StoredHashCount(hi), tree)
			}
			results[i] = result{v, b, err}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != nil {
			return 0, nil, nil, nil, r.err
		}
		if r.broken != nil {
			return 0, nil, nil, r.broken, nil
		}
	}
	if stray > 0 {
		return 0, nil, nil, &audit.Broken{Reason: fmt.Sprintf("%d events lie outside the chain's sequence 1..%d (inserted)", stray, headSeq)}, nil
	}
	n, b := results[parts-1].v.Finish(headSeq, headHash)
	return n, leaves, tree, b, nil
}

// verifyRange verifies events lo..hi of a chain whose head is headSeq,
// headHash, and sets their leaf hashes in leaves; the verifier's count must
// reach hi.
func (s *Store) verifyRange(ctx context.Context, lo, hi, headSeq int64, headHash string, leaves []tlog.Hash) (*audit.Verifier, *audit.Broken, error) {
	prev := audit.GenesisHash
	if lo > 1 {
		err := s.db.QueryRowContext(ctx, `SELECT hash FROM audit_events WHERE seq = $1`, lo-1).Scan(&prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, nil, errf(err, "read audit events")
		}
	}
	v := audit.NewVerifierAt(lo, prev)
	var broken *audit.Broken
	err := s.eachAuditEvent(ctx, `SELECT `+auditCols+` FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq`, []any{lo, hi},
		func(e *audit.Event) error {
			if broken = v.Add(e); broken != nil {
				return errBroken{}
			}
			leaf, err := audit.LeafHash(e.Hash) // e.Hash is its content's hex SHA-256: Add checked it
			leaves[e.Seq-1] = leaf
			return err
		})
	if broken != nil {
		return v, broken, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if v.Count() != hi {
		if hi == headSeq { // the chain ends early: events removed from the end
			_, b := v.Finish(headSeq, headHash)
			return v, b, nil
		}
		return v, &audit.Broken{Seq: v.Count() + 1, Reason: fmt.Sprintf("event %d is missing", v.Count()+1)}, nil
	}
	return v, nil, nil
}

type errBroken struct{}

func (errBroken) Error() string { return "audit chain broken" }

// AuditEventsFor returns the events of one record in seq order.
func (s *Store) AuditEventsFor(ctx context.Context, recordType, recordID string, limit int) ([]audit.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE record_type = $1 AND record_id = $2 ORDER BY seq LIMIT $3`,
		recordType, recordID, limit)
	if err != nil {
		return nil, errf(err, "read audit events")
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, auditAtCol{&e.At, &e.AtText}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, errf(err, "scan audit event")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "read audit events")
}

// AuditDenied records a request refused for a wrong role as its own event.
func (s *Store) AuditDenied(ctx context.Context, a audit.Actor, method, path string) error {
	return s.AuditRefusal(ctx, a, method, path, "role", "the route needs another role")
}

// AuditRefusal records a refused request in its own transaction (the refused
// one wrote nothing): one access.denied event on record "request" "METHOD
// path" whose after names the rule that refused it and the reason given to
// the caller.
func (s *Store) AuditRefusal(ctx context.Context, a audit.Actor, method, path, rule, reason string) error {
	return s.write(ctx, a, func(tx *Tx) error {
		return tx.auditEvent(ctx, "access.denied", "request", method+" "+path, 0, nil,
			map[string]string{"method": method, "path": path, "rule": rule, "reason": reason})
	})
}
