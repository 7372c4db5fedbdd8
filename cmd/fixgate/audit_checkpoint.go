package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// runVerify is `fixgate audit verify`: the chain, the stored tree, the
// records against their last after-images and, with a checkpoint, that the
// trail is an append-only extension of it.
func runVerify(a *app, db, cpFile, keyFile string) error {
	if (cpFile == "") != (keyFile == "") {
		return fault.Field("checkpoint", "--checkpoint and --key go together")
	}
	var cp *audit.Checkpoint
	var cpErr error
	if cpFile != "" {
		signed, pub, err := readCheckpointAndKey(cpFile, keyFile)
		if err != nil {
			return err
		}
		c, err := audit.OpenCheckpoint(signed, pub)
		var kerr *audit.KeyError
		if errors.As(err, &kerr) {
			return fault.Field("key", "%v", err).Because(err)
		}
		cp, cpErr = &c, err
	}
	st, err := openExisting(db)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	out := map[string]any{"ok": false, "scope": "internal"}
	if cp != nil {
		out["scope"] = "checkpoint"
		if cpErr != nil {
			out["reason"] = cpErr.Error()
			return verifyAnswer(a, out, "checkpoint refused: "+cpErr.Error(), start)
		}
		out["checkpoint"] = map[string]any{"origin": cp.Origin, "size": cp.Size, "root": base64.StdEncoding.EncodeToString(cp.Root[:])}
	}
	n, b, err := st.VerifyAuditCheckpoint(context.Background(), cp)
	if err != nil {
		return err
	}
	out["verified"] = n
	if b != nil {
		out["broken_at"], out["reason"] = b.Seq, b.Reason
		return verifyAnswer(a, out, b.Error(), start)
	}
	ms, err := st.ReconcileRecords(context.Background())
	if err != nil {
		return err
	}
	out["mismatches"] = ms
	if len(ms) > 0 {
		lines := make([]string, len(ms))
		for i, m := range ms {
			lines[i] = fmt.Sprintf("record %s %s: %s", m.RecordType, m.RecordID, m.Reason)
		}
		out["reason"] = fmt.Sprintf("%d records differ from their audited state", len(ms))
		return verifyAnswer(a, out, strings.Join(lines, "\n"), start)
	}
	out["ok"] = true
	return verifyAnswer(a, out, "", start)
}

// verifyAnswer prints the outcome: JSON, or a line; failure is exit 1.
func verifyAnswer(a *app, out map[string]any, failure string, start time.Time) error {
	if a.output == "json" {
		json.NewEncoder(a.out).Encode(out)
	}
	if failure != "" {
		return negative{msg: failure}
	}
	if a.output == "json" {
		return nil
	}
	took := time.Since(start).Round(time.Millisecond)
	if cp, ok := out["checkpoint"].(map[string]any); ok {
		fmt.Fprintf(a.out, "audit trail intact: %d events verified in %s; an append-only extension of the checkpoint of %d events (%s); records reconciled\n",
			out["verified"], took, cp["size"], cp["origin"])
		return nil
	}
	fmt.Fprintf(a.out, "audit chain intact: %d events verified in %s; records reconciled\n", out["verified"], took)
	fmt.Fprintln(a.out, "note: only internal consistency was checked (no --checkpoint): truncation with a rewritten head, a rebuilt chain or an older copy restored would pass")
	return nil
}

// readCheckpointAndKey reads a signed checkpoint file and a public key file.
func readCheckpointAndKey(cpFile, keyFile string) ([]byte, string, error) {
	signed, err := os.ReadFile(cpFile)
	if err != nil {
		return nil, "", fault.Field("checkpoint", "cannot read %s: %v", cpFile, err)
	}
	pub, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, "", fault.Field("key", "cannot read %s: %v", keyFile, err)
	}
	if strings.HasPrefix(string(pub), "PRIVATE+KEY") {
		return nil, "", fault.Field("key", "%s is a private key: give the public one", keyFile)
	}
	return signed, strings.TrimSpace(string(pub)), nil
}

func newKeygenCmd(a *app) *cobra.Command {
	var priv, pub, name string
	cmd := &cobra.Command{Use: "keygen", Short: "Make the Ed25519 key pair that signs audit checkpoints (private file 0600, never in the database)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if priv == "" || pub == "" {
				return fault.Field("private", "--private FILE and --public FILE are required")
			}
			skey, vkey, err := audit.GenerateKey(name)
			if err != nil {
				return fault.Field("name", "%v", err)
			}
			if err := writeNew(priv, skey+"\n", 0o600); err != nil {
				return fault.Field("private", "%v", err)
			}
			if err := writeNew(pub, vkey+"\n", 0o644); err != nil {
				return fault.Field("public", "%v", err)
			}
			fmt.Fprintf(a.out, "private key %s (0600: give it to `fixgate serve --audit-key`), public key %s (give it to auditors)\n", priv, pub)
			return nil
		}}
	cmd.Flags().StringVar(&priv, "private", "", "file to create for the private key")
	cmd.Flags().StringVar(&pub, "public", "", "file to create for the public key")
	cmd.Flags().StringVar(&name, "name", "fixgate-audit", "key name, the checkpoints' origin line (e.g. fixgate.example.com/audit)")
	return cmd
}

// writeNew creates path with mode, refusing to overwrite a file.
func writeNew(path, content string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readPrivateKey reads an audit key file, warning when others may read it.
func readPrivateKey(path string, warn io.Writer) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fault.Field("audit-key", "cannot read %s: %v", path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(warn, "warning: %s is readable by others (mode %o); chmod 600 it\n", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fault.Field("audit-key", "cannot read %s: %v", path, err)
	}
	if _, err := audit.PublicKeyOf(string(b)); err != nil {
		return "", fault.Field("audit-key", "%s: %v", path, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func newCheckpointCmd(a *app, db *string) *cobra.Command {
	var keyFile, output string
	cmd := &cobra.Command{Use: "checkpoint", Short: "Write the latest signed checkpoint (C2SP signed note); with --key, sign one of the current tree first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return fault.Field("output", "is required (a file, or - for stdout)")
			}
			var key string
			if keyFile != "" {
				var err error
				if key, err = readPrivateKey(keyFile, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			st, err := openExisting(*db)
			if err != nil {
				return err
			}
			defer st.Close()
			var signed []byte
			if key != "" {
				signed, err = st.SignCheckpoint(context.Background(), key)
			} else {
				signed, err = st.LatestCheckpoint(context.Background())
			}
			if err != nil {
				return err
			}
			if output == "-" {
				_, err = a.out.Write(signed)
				return err
			}
			return os.WriteFile(output, signed, 0o644)
		}}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key file: sign a checkpoint of the current tree now")
	cmd.Flags().StringVar(&output, "output", "", "file to write the signed checkpoint to (- for stdout)")
	return cmd
}

func newProveCmd(a *app, db *string) *cobra.Command {
	var cpFile string
	cmd := &cobra.Command{Use: "prove EVENT", Short: "Print the inclusion proof (JSON) of event EVENT (its seq) in a signed checkpoint", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			seq, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || seq < 1 {
				return fault.Field("event", "%q is not an event number (its seq, 1 or more)", args[0])
			}
			if cpFile == "" {
				return fault.Field("checkpoint", "is required")
			}
			signed, err := os.ReadFile(cpFile)
			if err != nil {
				return fault.Field("checkpoint", "cannot read %s: %v", cpFile, err)
			}
			cp, err := audit.ParseSignedCheckpoint(signed)
			if err != nil {
				return fault.Field("checkpoint", "%v", err)
			}
			st, err := openExisting(*db)
			if err != nil {
				return err
			}
			defer st.Close()
			p, err := st.ProveEvent(context.Background(), seq, cp, signed)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(a.out)
			enc.SetIndent("", "  ")
			return enc.Encode(p)
		}}
	cmd.Flags().StringVar(&cpFile, "checkpoint", "", "the signed checkpoint the proof leads to")
	return cmd
}

func newCheckProofCmd(a *app) *cobra.Command {
	var proofFile, keyFile string
	cmd := &cobra.Command{Use: "check-proof", Short: "Check an inclusion proof offline with the public key only: exit 0 valid, 1 invalid, 2 bad input", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if proofFile == "" || keyFile == "" {
				return fault.Field("proof", "--proof FILE (- for stdin) and --key PUBFILE are required")
			}
			var raw []byte
			var err error
			if proofFile == "-" {
				raw, err = io.ReadAll(os.Stdin)
			} else {
				raw, err = os.ReadFile(proofFile)
			}
			if err != nil {
				return fault.Field("proof", "cannot read %s: %v", proofFile, err)
			}
			pub, err := os.ReadFile(keyFile)
			if err != nil {
				return fault.Field("key", "cannot read %s: %v", keyFile, err)
			}
			var p audit.InclusionProof
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&p); err != nil {
				return fault.Field("proof", "not an inclusion proof: %v", err)
			}
			cp, err := audit.CheckInclusion(p, string(pub))
			if err != nil {
				var perr *audit.KeyError
				if errors.As(err, &perr) {
					return fault.Field("key", "%v", err)
				}
				return negative{msg: "proof refused: " + err.Error()}
			}
			fmt.Fprintf(a.out, "proof valid: event %d (%s %s %s) is entry %d of the %d-event trail signed by %s\n",
				p.Event.Seq, p.Event.Action, p.Event.RecordType, p.Event.RecordID, p.LeafIndex, cp.Size, cp.Origin)
			return nil
		}}
	cmd.Flags().StringVar(&proofFile, "proof", "", "the proof (JSON from `fixgate audit prove`), - for stdin")
	cmd.Flags().StringVar(&keyFile, "key", "", "the checkpoint signer's public key file")
	return cmd
}
