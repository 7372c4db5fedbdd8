package api

import (
	"net/http"

	"fixgate/internal/auth"
)

// route is one endpoint: its pattern, the roles allowed to call it, and
// what the OpenAPI document says about it.
type route struct {
	pattern string      // Go 1.22 ServeMux pattern: "METHOD /path/{param}"
	roles   []auth.Role // who may call it (empty only when public)
	public  bool        // no authentication (health and readiness only)
	summary string
	in      any // request body example type (nil: none)
	out     any // success response type
	status  int // success status
	query   []string
	maxBody int64 // 0: MaxBody
	h       handlerFunc
}

var (
	readers   = auth.Readers
	admins    = []auth.Role{auth.Admin}
	problemRW = []auth.Role{auth.ProblemManager, auth.Engineer, auth.Admin}
	configRW  = []auth.Role{auth.Admin, auth.ReleaseManager}
)

// declareRoutes lists every endpoint of the server: this function is the
// one place routes and their roles are declared.
func (s *Server) declareRoutes() []route {
	return []route{
		{pattern: "GET /healthz", public: true, summary: "Liveness", out: health{}, status: 200, h: s.healthz},
		{pattern: "GET /readyz", public: true, summary: "Readiness (database reachable)", out: health{}, status: 200, h: s.readyz},
		{pattern: "GET /api/v1/openapi.json", roles: readers, summary: "This document", out: map[string]any{}, status: 200, h: s.openapiDoc},
		{pattern: "GET /api/v1/me", roles: readers, summary: "The caller's identity and roles", out: auth.Principal{}, status: 200, h: s.me},

		// users and tokens
		{pattern: "POST /api/v1/users", roles: admins, summary: "Create a user and its first token", in: userCreate{}, out: userWithToken{}, status: 201, h: s.createUser},
		{pattern: "GET /api/v1/users", roles: []auth.Role{auth.Admin, auth.Auditor}, summary: "List users", out: List[auth.User]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listUsers},
		{pattern: "GET /api/v1/users/{name}", roles: readers, summary: "Get a user (admins and auditors: anyone; others: themselves)", out: auth.User{}, status: 200, h: s.getUser},
		{pattern: "PATCH /api/v1/users/{name}", roles: admins, summary: "Change roles, display name, e-mail or disable", in: userPatch{}, out: auth.User{}, status: 200, h: s.patchUser},
		{pattern: "POST /api/v1/users/{name}/tokens", roles: admins, summary: "Issue another token", in: tokenCreate{}, out: tokenWithSecret{}, status: 201, h: s.createToken},
		{pattern: "DELETE /api/v1/tokens/{id}", roles: admins, summary: "Revoke a token", out: map[string]any{}, status: 200, h: s.revokeToken},

		// configuration items and environments
		{pattern: "POST /api/v1/cis", roles: configRW, summary: "Create a CI", in: ciCreate{}, out: ciOut{}, status: 201, h: s.createCI},
		{pattern: "GET /api/v1/cis", roles: readers, summary: "List CIs", out: List[ciOut]{}, status: 200, query: []string{"limit", "cursor", "kind"}, h: s.listCIs},
		{pattern: "GET /api/v1/cis/{name}", roles: readers, summary: "Get a CI", out: ciOut{}, status: 200, h: s.getCI},
		{pattern: "PATCH /api/v1/cis/{name}", roles: configRW, summary: "Update a CI", in: ciPatch{}, out: ciOut{}, status: 200, h: s.patchCI},
		{pattern: "POST /api/v1/environments", roles: configRW, summary: "Create an environment", in: envCreate{}, out: envOut{}, status: 201, h: s.createEnv},
		{pattern: "GET /api/v1/environments", roles: readers, summary: "List environments", out: List[envOut]{}, status: 200, query: []string{"limit", "cursor", "tier"}, h: s.listEnvs},
		{pattern: "GET /api/v1/environments/{name}", roles: readers, summary: "Get an environment", out: envOut{}, status: 200, h: s.getEnv},
		{pattern: "PATCH /api/v1/environments/{name}", roles: configRW, summary: "Update an environment", in: envPatch{}, out: envOut{}, status: 200, h: s.patchEnv},

		// problems
		{pattern: "POST /api/v1/problems", roles: problemRW, summary: "Create a problem", in: problemCreate{}, out: problemOut{}, status: 201, h: s.createProblem},
		{pattern: "GET /api/v1/problems", roles: readers, summary: "List problems", out: List[problemOut]{}, status: 200, query: []string{"limit", "cursor", "status", "priority", "ci", "env"}, h: s.listProblems},
		{pattern: "GET /api/v1/problems/{id}", roles: readers, summary: "Get a problem", out: problemOut{}, status: 200, h: s.getProblem},
		{pattern: "PATCH /api/v1/problems/{id}", roles: problemRW, summary: "Update a problem's fields (If-Match required)", in: problemPatch{}, out: problemOut{}, status: 200, h: s.patchProblem},
		{pattern: "POST /api/v1/problems/{id}/transitions", roles: problemRW, summary: "Move a problem through its lifecycle", in: transition{}, out: problemOut{}, status: 200, h: s.moveProblem},
		{pattern: "PUT /api/v1/problems/{id}/rca", roles: problemRW, summary: "Record the root cause analysis", in: rcaIn{}, out: problemOut{}, status: 200, h: s.putRCA},

		// audit
		{pattern: "GET /api/v1/audit/events", roles: []auth.Role{auth.Auditor, auth.Admin}, summary: "Audit events of one record", out: List[auditOut]{}, status: 200, query: []string{"record_type", "record_id", "limit"}, h: s.listAudit},
		{pattern: "GET /api/v1/audit/verify", roles: []auth.Role{auth.Auditor, auth.Admin}, summary: "Verify the audit chain", out: verifyOut{}, status: 200, h: s.verifyAudit},

		// ROUTES:records — incidents, known errors, PIRs, releases, changes, deployments, approvals, component versions, artifacts.
	}
}

var _ = http.MethodGet
