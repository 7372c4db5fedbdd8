package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a commitment to the first Size events of the trail: the
// body of a C2SP checkpoint ("origin\nsize\nbase64(root)\n"). Signed, as
// a golang.org/x/mod/sumdb/note signed note, by an Ed25519 key kept outside
// the database, it lets anyone holding the public key check later that the
// trail only grew.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Body returns the checkpoint's note text.
func (c Checkpoint) Body() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

// ParseCheckpoint parses a checkpoint body. Extension lines after the root
// (allowed by C2SP) are ignored; they are covered by the signature anyway.
func ParseCheckpoint(body string) (Checkpoint, error) {
	lines := strings.SplitN(body, "\n", 4)
	if len(lines) < 4 {
		return Checkpoint{}, errors.New("checkpoint: want origin, size and root hash lines")
	}
	if lines[0] == "" {
		return Checkpoint{}, errors.New("checkpoint: empty origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("checkpoint: size %q is not a non-negative decimal", lines[1])
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(raw) != len(tlog.Hash{}) {
		return Checkpoint{}, fmt.Errorf("checkpoint: root %q is not a base64 SHA-256 hash", lines[2])
	}
	c := Checkpoint{Origin: lines[0], Size: n}
	copy(c.Root[:], raw)
	return c, nil
}

// GenerateKey returns a new Ed25519 key pair in the signed-note key
// formats (PRIVATE+KEY+name+… and name+…), name being the checkpoints' origin.
func GenerateKey(name string) (private, public string, err error) {
	return note.GenerateKey(rand.Reader, name)
}

// SignCheckpoint returns the checkpoint of a tree of size leaves with root
// hash root as a signed note; its origin is the key's name.
func SignCheckpoint(root tlog.Hash, size int64, privateKey string) ([]byte, error) {
	s, err := note.NewSigner(strings.TrimSpace(privateKey))
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	c := Checkpoint{Origin: s.Name(), Size: size, Root: root}
	return note.Sign(&note.Note{Text: c.Body()}, s)
}

// OpenCheckpoint verifies a signed checkpoint against publicKey and returns
// it. It fails unless the note carries a valid signature of that key and
// its origin is the key's name.
func OpenCheckpoint(signed []byte, publicKey string) (Checkpoint, error) {
	v, err := note.NewVerifier(strings.TrimSpace(publicKey))
	if err != nil {
		return Checkpoint{}, &KeyError{Err: err}
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint origin %q is not the key's name %q", c.Origin, v.Name())
	}
	return c, nil
}

// CheckExtension decides whether a stored trail extends checkpoint cp.
// size and root are the tree recomputed from the stored events, atCP the
// root recomputed over their first cp.Size events, stored the root the
// stored tree hashes give at size, and proof a consistency proof from
// cp.Size to size read from the stored hashes. It names the first thing
// that fails (nil: the trail is an append-only extension of cp).
func CheckExtension(cp Checkpoint, size int64, root, atCP, stored tlog.Hash, proof tlog.TreeProof) *Broken {
	switch {
	case size < cp.Size:
		return &Broken{Reason: fmt.Sprintf("the trail has %d events but the checkpoint covers %d (events removed, or an older copy restored)", size, cp.Size)}
	case atCP != cp.Root:
		return &Broken{Reason: fmt.Sprintf("the first %d events do not hash to the checkpoint's root (history rewritten or rebuilt)", cp.Size)}
	case stored != root:
		return &Broken{Reason: "the stored tree hashes do not match the tree recomputed from the events (audit_tree edited)"}
	}
	if err := tlog.CheckTree(proof, size, root, cp.Size, cp.Root); err != nil {
		return &Broken{Reason: fmt.Sprintf("no consistency proof from the checkpoint (size %d) to the stored tree (size %d): %v", cp.Size, size, err)}
	}
	return nil
}

// PublicKeyOf returns the public (verifier) key of a private signed-note
// key, so a server holding only the private key can check its own
// checkpoints.
func PublicKeyOf(privateKey string) (string, error) {
	f := strings.SplitN(strings.TrimSpace(privateKey), "+", 5) // the key itself is base64: it may hold "+"
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" {
		return "", errors.New("audit key: not a PRIVATE+KEY+name+hash+key signed-note key")
	}
	raw, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("audit key: not an Ed25519 signed-note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(f[2], pub)
}

// KeyError is a public key that cannot be used (bad input, not tampering).
type KeyError struct{ Err error }

func (e *KeyError) Error() string { return "public key: " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// ParseSignedCheckpoint returns the checkpoint of a signed note without
// checking its signature (whoever relies on it checks it with OpenCheckpoint).
func ParseSignedCheckpoint(signed []byte) (Checkpoint, error) {
	body, _, ok := strings.Cut(string(signed), "\n\n")
	if !ok {
		return Checkpoint{}, errors.New("checkpoint: not a signed note (no signature block)")
	}
	return ParseCheckpoint(body + "\n")
}
