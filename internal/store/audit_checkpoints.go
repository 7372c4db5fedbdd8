package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// VerifyAuditCheckpoint is VerifyAudit, and, when cp is not nil (a
// checkpoint whose signature the caller checked), also proves that the
// stored trail is an append-only extension of cp: the first cp.Size events
// hash to its root, the stored tree matches the events, and a consistency
// proof from the stored tree leads from cp to the current tree. Truncation,
// a rebuilt chain and an older copy restored are then detected.
func (s *Store) VerifyAuditCheckpoint(ctx context.Context, cp *audit.Checkpoint) (int64, *audit.Broken, error) {
	n, leaves, tree, b, err := s.verifyChain(ctx)
	if err != nil || b != nil {
		return n, b, err
	}
	cpSize := int64(-1)
	if cp != nil {
		cpSize = cp.Size
	}
	root, atCP, b := audit.FoldTree(leaves, tree, cpSize)
	if b != nil {
		return n, b, nil
	}
	stored, proof, err := s.storedTree(ctx, n, cp)
	if errors.Is(err, errTree) {
		return n, &audit.Broken{Reason: err.Error()}, nil
	}
	if err != nil {
		return n, nil, err
	}
	if cp == nil {
		if stored != root {
			return n, &audit.Broken{Reason: "the stored tree hashes do not match the tree recomputed from the events (audit_tree edited)"}, nil
		}
		return n, nil, nil
	}
	return n, audit.CheckExtension(*cp, n, root, atCP, stored, proof), nil
}

// storedTree returns the root of the stored tree at n leaves and, when cp
// is set and not larger, a consistency proof from cp.Size to n. Errors
// wrapping errTree mean the stored tree is not well formed.
func (s *Store) storedTree(ctx context.Context, n int64, cp *audit.Checkpoint) (tlog.Hash, tlog.TreeProof, error) {
	size, err := treeSize(ctx, s.db.QueryRowContext)
	if err != nil {
		return tlog.Hash{}, nil, err
	}
	if size != n {
		return tlog.Hash{}, nil, fmt.Errorf("%w: the stored tree covers %d events but the chain has %d", errTree, size, n)
	}
	r := dbTree{ctx, s}
	root, err := tlog.TreeHash(n, r)
	if err != nil || cp == nil || cp.Size > n {
		return root, nil, err
	}
	proof, err := tlog.ProveTree(n, cp.Size, r)
	return root, proof, err
}

// currentTree returns the size and root of the stored tree at the chain head.
func (s *Store) currentTree(ctx context.Context) (int64, tlog.Hash, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&n); err != nil {
		return 0, tlog.Hash{}, errf(err, "read audit head")
	}
	root, err := tlog.TreeHash(n, dbTree{ctx, s})
	return n, root, errf(err, "read audit tree")
}

// SignCheckpoint signs a checkpoint of the current tree with privateKey
// (which the database never sees) and keeps the signed note in
// audit_checkpoints. It refuses to sign a tree that is not an extension of
// the latest checkpoint kept (the trail was rewritten since). Returns the
// signed note.
func (s *Store) SignCheckpoint(ctx context.Context, privateKey string) ([]byte, error) {
	pub, err := audit.PublicKeyOf(privateKey)
	if err != nil {
		return nil, err
	}
	n, root, err := s.currentTree(ctx)
	if err != nil {
		return nil, err
	}
	if last, err := s.LatestCheckpoint(ctx); err == nil {
		cp, err := audit.OpenCheckpoint(last, pub)
		if err != nil {
			return nil, fmt.Errorf("latest kept checkpoint: %w", err)
		}
		if cp.Size == n && cp.Root == root {
			return last, nil
		}
		proof, err := tlog.ProveTree(n, cp.Size, dbTree{ctx, s})
		if err == nil {
			err = tlog.CheckTree(proof, n, root, cp.Size, cp.Root)
		}
		if cp.Size > n || err != nil {
			return nil, &fault.Error{Code: fault.Conflict, Message: fmt.Sprintf("the audit tree (size %d) is not an extension of the latest checkpoint (size %d): not signing", n, cp.Size), Err: err}
		}
	} else if fault.As(err) == nil || fault.As(err).Code != fault.NotFound {
		return nil, err
	}
	signed, err := audit.SignCheckpoint(root, n, privateKey)
	if err != nil {
		return nil, err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, note, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (size) DO NOTHING`, n, string(signed), ts(s.Now()))
	return signed, errf(err, "store checkpoint")
}

// LatestCheckpoint returns the signed note of the largest checkpoint kept;
// NotFound when none was signed yet.
func (s *Store) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	var n string
	err := s.db.QueryRowContext(ctx, `SELECT note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.NotFoundf("no audit checkpoint signed yet (the server signs them with --audit-key)")
	}
	return []byte(n), errf(err, "read audit checkpoints")
}

// ProveEvent returns the inclusion proof of event seq in the tree that
// checkpoint cp (signed as signedCP) commits to, from the stored tree.
func (s *Store) ProveEvent(ctx context.Context, seq int64, cp audit.Checkpoint, signedCP []byte) (audit.InclusionProof, error) {
	if seq < 1 || seq > cp.Size {
		return audit.InclusionProof{}, fault.Field("event", "event %d is not covered by the checkpoint (events 1..%d)", seq, cp.Size)
	}
	var e audit.Event
	err := s.db.QueryRowContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE seq = $1`, seq).Scan(&e.Seq, auditAtCol{&e.At, &e.AtText},
		&e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID, &e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return audit.InclusionProof{}, fault.NotFoundf("no audit event %d", seq)
	}
	if err != nil {
		return audit.InclusionProof{}, errf(err, "read audit event")
	}
	p, err := tlog.ProveRecord(cp.Size, seq-1, dbTree{ctx, s})
	if err != nil {
		return audit.InclusionProof{}, fmt.Errorf("prove event %d: %w", seq, err)
	}
	return audit.NewInclusionProof(e, p, signedCP), nil
}

// AuditSize returns the number of events in the chain (its head's seq).
func (s *Store) AuditSize(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&n)
	return n, errf(err, "read audit head")
}

// ConsistencyProof returns the proof, from the stored tree, that the tree
// of newSize events extends the tree of oldSize events (tlog.CheckTree
// checks it against two checkpoints' roots).
func (s *Store) ConsistencyProof(ctx context.Context, oldSize, newSize int64) (tlog.TreeProof, error) {
	if oldSize < 0 || oldSize > newSize {
		return nil, fault.Field("size", "no consistency proof from %d to %d events", oldSize, newSize)
	}
	p, err := tlog.ProveTree(newSize, oldSize, dbTree{ctx, s})
	return p, errf(err, "read audit tree")
}
