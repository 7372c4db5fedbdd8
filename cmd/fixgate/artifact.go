package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newArtifactCmd) }

var (
	artifactFields = []string{"sha256", "name", "size", "media_type", "retention_class", "hold", "release_holds", "purged_at", "created_by", "created_at", "revision"}
	holdFields     = []string{"release", "hold", "revision"}
	purgeColumns   = []string{"sha256", "name", "retention_class", "size", "created_at", "expired_at"}
)

func newArtifactCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "artifact", Short: "Artifacts: upload, show, legal hold, purge of expired ones"}
	cmd.AddCommand(artifactUploadCmd(a), artifactShowCmd(a), artifactHoldCmd(a, true), artifactHoldCmd(a, false), artifactPurgeCmd(a))
	return cmd
}

func artifactUploadCmd(a *app) *cobra.Command {
	var kind, retention string
	cmd := &cobra.Command{Use: "upload FILE", Short: "Upload a file as an artifact (the server checks its SHA-256)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sha, err := a.upload(args[0], kind, retention)
			if err != nil {
				return err
			}
			resp, err := a.call("GET", "/api/v1/artifacts/"+sha+"/meta", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, artifactFields)
		}}
	cmd.Flags().StringVar(&kind, "kind", "", "rca, sbom, package or other (recorded in the audit trail)")
	cmd.Flags().StringVar(&retention, "retention-class", "", "a retention class of the policy (default: its retention.default_class)")
	return cmd
}

func artifactShowCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "show SHA256", Short: "Show an artifact's metadata: retention, holds, purge", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/artifacts/"+url.PathEscape(args[0])+"/meta", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, artifactFields)
		}}
}

// artifactHoldCmd is "artifact hold" (on) or "artifact release" (off): a
// legal hold on one artifact (by SHA-256) or on every artifact of a release (REL-n).
func artifactHoldCmd(a *app, on bool) *cobra.Command {
	var reason string
	use, short, action := "hold", "Place a legal hold: the artifact, or every artifact of the release, is never purged", "hold"
	if !on {
		use, short, action = "release", "Lift a legal hold from an artifact or a release", "unhold"
	}
	cmd := &cobra.Command{Use: use + " SHA256|REL-n --reason TEXT", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, fields := "/api/v1/artifacts/"+url.PathEscape(args[0]), artifactFields
			if strings.HasPrefix(strings.ToUpper(args[0]), "REL-") {
				target, fields = "/api/v1/releases/"+url.PathEscape(args[0]), holdFields
			}
			resp, err := a.call("POST", target+"/"+action, nil, map[string]any{"reason": reason}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, fields)
		}}
	cmd.Flags().StringVar(&reason, "reason", "", "why (kept in the audit trail; required)")
	cmd.MarkFlagRequired("reason")
	return cmd
}

func artifactPurgeCmd(a *app) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{Use: "purge [--dry-run]", Short: "Delete expired artifacts not on hold now (admins), or list what would go", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			method, path := "POST", "/api/v1/artifacts/purge"
			if dryRun {
				method, path = "GET", "/api/v1/artifacts/expired"
			}
			resp, err := a.call(method, path, nil, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, purgeColumns)
		}}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only list what would be purged")
	return cmd
}

// fileDigest returns the hex SHA-256 of the file at path.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fault.Field("file", "cannot open %s: %v", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fault.Field("file", "cannot read %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
