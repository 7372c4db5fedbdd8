package audit

import (
	"encoding/base64"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// InclusionProof shows a third party that one event is in the trail a
// signed checkpoint commits to. It is checked offline with CheckInclusion
// and the public key only.
type InclusionProof struct {
	Event      Event    `json:"event"`
	LeafIndex  int64    `json:"leaf_index"` // Event.Seq - 1
	Hashes     []string `json:"hashes"`     // the RFC 6962 audit path, base64, leaf to root
	Checkpoint string   `json:"checkpoint"` // the signed checkpoint (C2SP signed note)
}

// NewInclusionProof packs a proof.
func NewInclusionProof(e Event, p tlog.RecordProof, signedCheckpoint []byte) InclusionProof {
	hs := make([]string, len(p))
	for i, h := range p {
		hs[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	e.AtText = ""
	return InclusionProof{Event: e, LeafIndex: e.Seq - 1, Hashes: hs, Checkpoint: string(signedCheckpoint)}
}

// CheckInclusion verifies p with publicKey: the checkpoint's signature,
// the event's own hash, and its audit path to the checkpoint's root. It
// returns the checkpoint on success.
func CheckInclusion(p InclusionProof, publicKey string) (Checkpoint, error) {
	cp, err := OpenCheckpoint([]byte(p.Checkpoint), publicKey)
	if err != nil {
		return Checkpoint{}, err
	}
	if p.LeafIndex != p.Event.Seq-1 || p.LeafIndex < 0 || p.LeafIndex >= cp.Size {
		return Checkpoint{}, fmt.Errorf("leaf index %d does not name event %d inside a checkpoint of %d events", p.LeafIndex, p.Event.Seq, cp.Size)
	}
	e := p.Event
	e.AtText = ""
	if e.ComputeHash() != e.Hash {
		return Checkpoint{}, fmt.Errorf("event %d does not match its hash", e.Seq)
	}
	leaf, err := LeafHash(e.Hash)
	if err != nil {
		return Checkpoint{}, err
	}
	proof := make(tlog.RecordProof, len(p.Hashes))
	for i, s := range p.Hashes {
		raw, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(raw) != len(tlog.Hash{}) {
			return Checkpoint{}, fmt.Errorf("proof hash %d is not a base64 SHA-256 hash", i)
		}
		copy(proof[i][:], raw)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, p.LeafIndex, leaf); err != nil {
		return Checkpoint{}, fmt.Errorf("event %d is not in the checkpoint's tree: %w", e.Seq, err)
	}
	return cp, nil
}
