package web

import (
	"context"
	"net/http"
	"strconv"

	"gopkg.in/yaml.v3"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// The policy pages: the policy in force with its text (GET /policy), its
// stored versions (newest first, paginated) and one version's text (GET
// /policy/versions/{version}); the gate's dry run is page_policy_dryrun.go.

const policyVersionsPageSize = 20

// maxEnvChoices bounds the environments offered by the dry-run form.
const maxEnvChoices = 100

type policyData struct {
	Current  policyText
	Versions []store.StoredPolicy
	Pager    pagerLink
	DryRun   dryRunData // the empty form, with the environments to choose from
}

// policyText is one policy version as a page shows it.
type policyText struct {
	Version   int64 // 0: the built-in default, never stored
	InForce   bool
	Hash      string
	YAML      string
	CreatedBy string
	CreatedAt any // time.Time; nil for the default
}

func (s *Server) policyPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	d := policyData{}
	var err error
	if d.Current, err = s.policyInForce(ctx); err != nil {
		return err
	}
	before, err := versionCursor(r.URL.Query().Get("before"))
	if err != nil {
		return err
	}
	if d.Versions, err = s.store.ListPolicyVersions(ctx, before, policyVersionsPageSize); err != nil {
		return err
	}
	if n := len(d.Versions); n == policyVersionsPageSize {
		d.Pager.Next = "/policy?before=" + strconv.FormatInt(d.Versions[n-1].Version, 10) + "#versions"
	}
	if d.DryRun.Envs, err = s.store.ListEnvironments(ctx, "", "", maxEnvChoices); err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "policy.html", "Policy", d)
}

func versionCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, fault.Field("before", "must be a policy version number")
	}
	return n, nil
}

// policyInForce returns the policy the server runs, with its stored text,
// or the built-in default's text when none was ever stored.
func (s *Server) policyInForce(ctx context.Context) (policyText, error) {
	pol, version, err := s.cfg.Policy(ctx)
	if err != nil {
		return policyText{}, err
	}
	if version == 0 {
		b, err := yaml.Marshal(pol)
		if err != nil {
			return policyText{}, fault.Wrap(err, "encode policy")
		}
		return policyText{InForce: true, Hash: pol.Hash(), YAML: string(b)}, nil
	}
	sp, err := s.store.GetPolicy(ctx, version)
	if err != nil {
		return policyText{}, err
	}
	t := textOf(sp)
	t.InForce = true
	return t, nil
}

func textOf(sp store.StoredPolicy) policyText {
	return policyText{Version: sp.Version, Hash: sp.Hash, YAML: sp.YAML, CreatedBy: sp.CreatedBy, CreatedAt: sp.CreatedAt}
}

func (s *Server) policyVersion(w http.ResponseWriter, r *http.Request, v *visit) error {
	n, err := strconv.ParseInt(r.PathValue("version"), 10, 64)
	if err != nil || n < 1 {
		return fault.NotFoundf("no policy version %q", r.PathValue("version"))
	}
	sp, err := s.store.GetPolicy(r.Context(), n)
	if err != nil {
		return err
	}
	t := textOf(sp)
	_, cur, err := s.cfg.Policy(r.Context())
	if err != nil {
		return err
	}
	t.InForce = cur == n
	return s.render(w, r, v, http.StatusOK, "policy_version.html", "Policy version "+strconv.FormatInt(n, 10), t)
}

// storedPolicy parses stored version n (0: the policy in force).
func (s *Server) storedPolicy(ctx context.Context, n int64) (*policy.Policy, int64, error) {
	if n == 0 {
		return s.cfg.Policy(ctx)
	}
	sp, err := s.store.GetPolicy(ctx, n)
	if err != nil {
		return nil, 0, err
	}
	pol, err := policy.Parse([]byte(sp.YAML))
	if err != nil {
		return nil, 0, fault.Wrap(err, "stored policy version %d does not parse", n)
	}
	return pol, n, nil
}
