// Package audit defines the hash-chained audit event and its verification.
// Every event carries the SHA-256 of the event before it and of its own
// canonical encoding, so editing, deleting, reordering or inserting any stored
// event breaks the chain at that point.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// GenesisHash is the prev_hash of the first event.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Actor is who performs a mutation and in which role, with the request it came from.
type Actor struct {
	User      string `json:"user"`
	Role      string `json:"role"`
	RequestID string `json:"request_id,omitempty"`
}

// System is the actor for work the server does by itself (bootstrap, jobs).
func System(what string) Actor { return Actor{User: "system", Role: "system", RequestID: what} }

// Event is one audit record. Before and After are the JSON encodings of the
// record around the change, exactly as stored (the hash covers those bytes).
type Event struct {
	Seq           int64     `json:"seq"`
	At            time.Time `json:"at"`
	Actor         string    `json:"actor"`
	Role          string    `json:"role"`
	Action        string    `json:"action"`
	RecordType    string    `json:"record_type"`
	RecordID      string    `json:"record_id"`
	RecordVersion int64     `json:"record_revision"`
	Before        string    `json:"before,omitempty"`
	After         string    `json:"after,omitempty"`
	RequestID     string    `json:"request_id,omitempty"`
	PrevHash      string    `json:"prev_hash"`
	Hash          string    `json:"hash"`
	// AtText, when set, is At already encoded in TimeFormat (as SQLite
	// stores it); the canonical encoding uses it instead of formatting At.
	AtText string `json:"-"`
}

// TimeFormat is the fixed-width UTC encoding of At inside the canonical form.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Canonical returns the deterministic encoding the hash covers: every
// field but Hash, in a fixed order, each as a netstring ("<len>:<bytes>,"),
// which is unambiguous whatever the fields contain.
func (e *Event) Canonical() []byte { return e.AppendCanonical(nil) }

// AppendCanonical appends the canonical encoding to b (verification reuses one buffer).
func (e *Event) AppendCanonical(b []byte) []byte {
	var num [20]byte
	field := func(v []byte) {
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ':')
		b = append(b, v...)
		b = append(b, ',')
	}
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		b = append(b, ',')
	}
	field(strconv.AppendInt(num[:0], e.Seq, 10))
	if e.AtText != "" {
		str(e.AtText)
	} else {
		field(e.At.UTC().AppendFormat(num[:0], TimeFormat))
	}
	str(e.Actor)
	str(e.Role)
	str(e.Action)
	str(e.RecordType)
	str(e.RecordID)
	field(strconv.AppendInt(num[:0], e.RecordVersion, 10))
	str(e.Before)
	str(e.After)
	str(e.RequestID)
	str(e.PrevHash)
	return b
}

// ComputeHash returns the hex SHA-256 of e's canonical encoding.
func (e *Event) ComputeHash() string {
	sum := sha256.Sum256(e.AppendCanonical(nil))
	return hex.EncodeToString(sum[:])
}

// Seal sets PrevHash and Hash for an event appended after prev.
func (e *Event) Seal(prevHash string) {
	e.PrevHash = prevHash
	e.Hash = e.ComputeHash()
}

// Broken describes the first event at which a chain fails verification.
type Broken struct {
	Seq    int64  // the stored seq of the offending event (0 if the chain's end is wrong)
	Reason string // what is wrong
}

func (b *Broken) Error() string {
	if b.Seq == 0 {
		return "audit chain broken: " + b.Reason
	}
	return fmt.Sprintf("audit chain broken at event %d: %s", b.Seq, b.Reason)
}

// Verifier checks events fed to it in stored order. It is a pure state
// machine, so the store can stream millions of rows through it.
type Verifier struct {
	count    int64
	prevHash string
	broken   *Broken
	buf      []byte
}

// NewVerifier starts a verification at the genesis of the chain.
func NewVerifier() *Verifier { return &Verifier{prevHash: GenesisHash} }

// NewVerifierAt starts a verification at event seq, whose predecessor's
// stored hash is prevHash (verifying a range of the chain; the range before
// it checks that hash).
func NewVerifierAt(seq int64, prevHash string) *Verifier {
	return &Verifier{count: seq - 1, prevHash: prevHash}
}

// Count returns the number of the last event verified.
func (v *Verifier) Count() int64 { return v.count }

// Add checks the next event and returns the first break found so far (nil if none).
func (v *Verifier) Add(e *Event) *Broken {
	if v.broken != nil {
		return v.broken
	}
	want := v.count + 1
	switch {
	case e.Seq != want:
		v.broken = &Broken{Seq: e.Seq, Reason: fmt.Sprintf("sequence %d where %d was expected (event missing, inserted or reordered)", e.Seq, want)}
	case e.PrevHash != v.prevHash:
		v.broken = &Broken{Seq: e.Seq, Reason: "prev_hash does not match the hash of the event before it"}
	case v.hash(e) != e.Hash:
		v.broken = &Broken{Seq: e.Seq, Reason: "content does not match its hash (event edited)"}
	default:
		v.count++
		v.prevHash = e.Hash
	}
	return v.broken
}

func (v *Verifier) hash(e *Event) string {
	v.buf = e.AppendCanonical(v.buf[:0])
	sum := sha256.Sum256(v.buf)
	return hex.EncodeToString(sum[:])
}

// Finish checks the chain's recorded head (last seq and hash) against what
// was verified, which detects events removed from the end.
func (v *Verifier) Finish(headSeq int64, headHash string) (int64, *Broken) {
	if v.broken != nil {
		return v.count, v.broken
	}
	if headSeq != v.count || (headSeq > 0 && headHash != v.prevHash) {
		v.broken = &Broken{Reason: fmt.Sprintf("chain head records %d events but %d verified (events removed from the end)", headSeq, v.count)}
	}
	return v.count, v.broken
}
