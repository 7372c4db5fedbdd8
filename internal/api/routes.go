package api

import (
	"net/http"

	"fixgate/internal/auth"
	"fixgate/internal/store"
)

// route is one endpoint: its pattern, the roles allowed to call it, and
// what the OpenAPI document says about it.
type route struct {
	pattern string      // Go 1.22 ServeMux pattern: "METHOD /path/{param}"
	roles   []auth.Role // who may call it (empty only when public)
	public  bool        // no user authentication (health, readiness, and /metrics with its own optional token)
	summary string
	in      any // request body example type (nil: none)
	out     any // success response type
	status  int // success status
	query   []string
	maxBody int64  // 0: MaxBody
	ctype   string // success content type; "": application/json
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
		{pattern: "GET /metrics", public: true, summary: "Prometheus metrics (text exposition format; the metrics token when one is configured)", out: "", ctype: metricsExposition, status: 200, h: s.serveMetrics},
		{pattern: "GET /api/v1/openapi.json", roles: readers, summary: "This document", out: map[string]any{}, status: 200, h: s.openapiDoc},
		{pattern: "GET /api/v1/me", roles: readers, summary: "The caller's identity and roles", out: auth.Principal{}, status: 200, h: s.me},

		// users and tokens
		{pattern: "POST /api/v1/users", roles: admins, summary: "Create a user and its first token", in: userCreate{}, out: userWithToken{}, status: 201, h: s.createUser},
		{pattern: "GET /api/v1/users", roles: []auth.Role{auth.Admin, auth.Auditor}, summary: "List users", out: List[auth.User]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listUsers},
		{pattern: "GET /api/v1/users/{name}", roles: readers, summary: "Get a user (admins and auditors: anyone; others: themselves)", out: auth.User{}, status: 200, h: s.getUser},
		{pattern: "PATCH /api/v1/users/{name}", roles: admins, summary: "Change roles, display name, e-mail or disable", in: userPatch{}, out: auth.User{}, status: 200, h: s.patchUser},
		{pattern: "PUT /api/v1/users/{name}/password", roles: passwordSetters, summary: "Set a user's web sign-in password (admins: anyone's; others: their own, with current_password); ends the user's sessions", in: passwordIn{}, out: auth.User{}, status: 200, h: s.setPassword},
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
		{pattern: "POST /api/v1/problems/{id}/transitions", roles: problemRW, summary: "Move a problem through its lifecycle (to resolved by hand only with a deviation)", in: problemTransition{}, out: problemOut{}, status: 200, h: s.moveProblem},
		{pattern: "PUT /api/v1/problems/{id}/rca", roles: problemRW, summary: "Record the root cause analysis", in: rcaIn{}, out: problemOut{}, status: 200, h: s.putRCA},

		// audit
		{pattern: "GET /api/v1/audit/events", roles: []auth.Role{auth.Auditor, auth.Admin}, summary: "Audit events of one record", out: List[auditOut]{}, status: 200, query: []string{"record_type", "record_id", "limit"}, h: s.listAudit},
		{pattern: "GET /api/v1/audit/verify", roles: []auth.Role{auth.Auditor, auth.Admin}, summary: "Verify the audit chain", out: verifyOut{}, status: 200, h: s.verifyAudit},
		{pattern: "GET /api/v1/audit/checkpoints/latest", roles: readers, summary: "The latest signed audit checkpoint (C2SP signed note, text/plain; 404 before the first)", out: "", status: 200, h: s.latestCheckpoint},

		// component versions, artifacts, releases, changes
		{pattern: "POST /api/v1/components", roles: releaseRW, summary: "Register a component version (CI@VERSION) as a candidate", in: componentCreate{}, out: componentOut{}, status: 201, h: s.createComponent},
		{pattern: "GET /api/v1/components", roles: readers, summary: "List component versions", out: List[componentOut]{}, status: 200, query: []string{"limit", "cursor", "ci", "status"}, h: s.listComponents},
		{pattern: "GET /api/v1/components/{ref}", roles: readers, summary: "Get a component version by CV-n or CI@VERSION", out: componentOut{}, status: 200, h: s.getComponent},
		{pattern: "PATCH /api/v1/components/{ref}", roles: releaseRW, summary: "Change a candidate's digest or dependencies (If-Match required)", in: componentPatch{}, out: componentOut{}, status: 200, h: s.patchComponent},
		{pattern: "POST /api/v1/components/{ref}/transitions", roles: componentMove, summary: "Approve, mark unstable or revoke a component version", in: transition{}, out: componentOut{}, status: 200, h: s.moveComponent},
		{pattern: "POST /api/v1/artifacts", roles: artifactRW, summary: "Upload an artifact (raw body; 201 new, 200 already stored)", out: artifactOut{}, status: 201, query: []string{"name", "kind", "retention_class", "sha256"}, maxBody: 64 << 20, h: s.uploadArtifact},
		{pattern: "GET /api/v1/artifacts/{sha256}", roles: readers, summary: "Download an artifact's bytes", out: "", status: 200, h: s.downloadArtifact},
		{pattern: "GET /api/v1/artifacts/{sha256}/meta", roles: readers, summary: "An artifact's metadata", out: artifactOut{}, status: 200, h: s.getArtifactMeta},
		{pattern: "POST /api/v1/artifacts/{sha256}/hold", roles: holdRW, summary: "Place a legal hold on an artifact (never purged while held)", in: holdIn{}, out: artifactOut{}, status: 200, h: s.holdArtifact(true)},
		{pattern: "POST /api/v1/artifacts/{sha256}/unhold", roles: holdRW, summary: "Lift a legal hold from an artifact", in: holdIn{}, out: artifactOut{}, status: 200, h: s.holdArtifact(false)},
		{pattern: "GET /api/v1/artifacts/expired", roles: readers, summary: "What a purge would delete now (dry run)", out: purgeOut{}, status: 200, h: s.expiredArtifacts},
		{pattern: "POST /api/v1/artifacts/purge", roles: admins, summary: "Purge expired artifacts not on hold now; lists what went", out: purgeOut{}, status: 200, h: s.purgeArtifacts},
		{pattern: "GET /api/v1/releases/{id}/hold", roles: readers, summary: "A release's legal hold", out: releaseHoldOut{}, status: 200, h: s.getReleaseHold},
		{pattern: "POST /api/v1/releases/{id}/hold", roles: holdRW, summary: "Place a legal hold on a release (none of its artifacts is purged while held)", in: holdIn{}, out: releaseHoldOut{}, status: 200, h: s.holdRelease(true)},
		{pattern: "POST /api/v1/releases/{id}/unhold", roles: holdRW, summary: "Lift a legal hold from a release", in: holdIn{}, out: releaseHoldOut{}, status: 200, h: s.holdRelease(false)},
		{pattern: "POST /api/v1/releases", roles: releaseRW, summary: "Plan a release (next: propose the next patch version over the one live in production, answered with version_basis)", in: releaseCreate{}, out: releaseCreated{}, status: 201, h: s.createRelease},
		{pattern: "GET /api/v1/releases/plan", roles: readers, summary: "What to rebuild for a fix of the problems (resolves, repeatable): CIs in dependency order with reasons", out: releasePlanOut{}, status: 200, query: []string{"resolves"}, h: s.releasePlan},
		{pattern: "POST /api/v1/releases/{id}/tag", roles: releaseRW, summary: "Record the git tag (v<version>) and commit the client created for a release; a tag is never moved", in: releaseTagIn{}, out: releaseOut{}, status: 200, h: s.tagRelease},
		{pattern: "POST /api/v1/releases/{id}/commits", roles: releaseRW, summary: "Record the git range a client walked for a release and its commit count (the patterns report bins release size by it)", in: releaseCommitsIn{}, out: store.ReleaseCommits{}, status: 200, h: s.setReleaseCommits},
		{pattern: "GET /api/v1/releases/{id}/commits", roles: readers, summary: "The git range and commit count recorded on a release", out: store.ReleaseCommits{}, status: 200, h: s.getReleaseCommits},
		{pattern: "GET /api/v1/releases", roles: readers, summary: "List releases", out: List[releaseOut]{}, status: 200, query: []string{"limit", "cursor", "status", "type", "problem"}, h: s.listReleases},
		{pattern: "GET /api/v1/releases/{id}", roles: readers, summary: "Get a release", out: releaseOut{}, status: 200, h: s.getRelease},
		{pattern: "PATCH /api/v1/releases/{id}", roles: releaseRW, summary: "Update a planned release (If-Match required)", in: releasePatch{}, out: releaseOut{}, status: 200, h: s.patchRelease},
		{pattern: "POST /api/v1/releases/{id}/transitions", roles: releaseMovers, summary: "Move a release through its lifecycle (pipelines: deploying, deployed, failed)", in: transition{}, out: releaseOut{}, status: 200, h: s.moveRelease},
		{pattern: "POST /api/v1/releases/{id}/artifacts", roles: releaseRW, summary: "Attach an uploaded artifact to a release", in: releaseAttach{}, out: releaseOut{}, status: 200, h: s.attachReleaseArtifact},
		{pattern: "GET /api/v1/releases/{id}/notes", roles: readers, summary: "Generated release notes (format=json|md|html; markdown is md)", out: releaseNotesOut{}, status: 200, query: []string{"format"}, h: s.releaseNotes},
		{pattern: "POST /api/v1/cycles", roles: cycleRW, summary: "Create a release cycle (name, window, target environments)", in: cycleCreate{}, out: cycleOut{}, status: 201, h: s.createCycle},
		{pattern: "GET /api/v1/cycles", roles: readers, summary: "List release cycles", out: List[cycleOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listCycles},
		{pattern: "GET /api/v1/cycles/plan", roles: readers, summary: "Problems to target, ranked by recurrence over since (default 90d), and the risk of bundling them", out: CyclePlan{}, status: 200, query: []string{"since"}, h: s.cyclePlan},
		{pattern: "GET /api/v1/cycles/{id}", roles: readers, summary: "A release cycle (CYC-n or name) with each targeted problem's state and releases", out: cycleShow{}, status: 200, h: s.getCycle},
		{pattern: "POST /api/v1/cycles/{id}/problems", roles: cycleRW, summary: "Target a problem in a release cycle (If-Match or revision)", in: cycleAdd{}, out: cycleOut{}, status: 200, h: s.addCycleProblem},
		{pattern: "DELETE /api/v1/cycles/{id}/problems/{problem}", roles: cycleRW, summary: "Stop targeting a problem in a release cycle (If-Match)", out: cycleOut{}, status: 200, h: s.removeCycleProblem},
		{pattern: "POST /api/v1/changes", roles: changeRW, summary: "Raise a change", in: changeCreate{}, out: changeOut{}, status: 201, h: s.createChange},
		{pattern: "GET /api/v1/changes", roles: readers, summary: "List changes", out: List[changeOut]{}, status: 200, query: []string{"limit", "cursor", "status", "type", "release", "env"}, h: s.listChanges},
		{pattern: "GET /api/v1/changes/{id}", roles: readers, summary: "Get a change", out: changeOut{}, status: 200, h: s.getChange},
		{pattern: "PATCH /api/v1/changes/{id}", roles: changeRW, summary: "Update a change's fields (If-Match required)", in: changePatch{}, out: changeOut{}, status: 200, h: s.patchChange},
		{pattern: "POST /api/v1/changes/{id}/transitions", roles: changeMovers, summary: "Move a change through its lifecycle (pipelines: implement, review, failed)", in: transition{}, out: changeOut{}, status: 200, h: s.moveChange},
		{pattern: "POST /api/v1/changes/{id}/deviations", roles: deviationRW, summary: "Record an approved deviation from the change process", in: deviationIn{}, out: changeOut{}, status: 200, h: s.addDeviation},

		// deployments and approvals
		{pattern: "POST /api/v1/deployments/start", roles: deployRW, summary: "Start a deployment through the gate (201 either way: status running, or blocked pointing at the evaluation)", in: startIn{}, out: startOut{}, status: 201, h: s.startDeployment},
		{pattern: "POST /api/v1/deployments/{id}/promote", roles: deployRW, summary: "Promote a running deployment without waiting for the stage's analysis, or resume a paused one (the gate is evaluated first)", in: commandIn{}, out: deploymentOut{}, status: 200, h: s.promoteDeployment()},
		{pattern: "POST /api/v1/deployments/{id}/rollback", roles: deployRW, summary: "Roll a deployment back through its driver (running, paused, or succeeded inside its watch window)", in: commandIn{}, out: deploymentOut{}, status: 200, h: s.rollbackDeployment()},
		{pattern: "POST /api/v1/deployments/{id}/abort", roles: deployRW, summary: "Abort a deployment (its driver is told when it was running)", in: commandIn{}, out: deploymentOut{}, status: 200, h: s.abortDeployment()},
		{pattern: "POST /api/v1/deployments/{id}/report", roles: deployRW, summary: "Report a stage (or the rollback) of a deployment with a reported driver: succeeded or failed", in: reportIn{}, out: store.DeploymentAction{}, status: 200, h: s.reportDeployment},
		{pattern: "GET /api/v1/deployments/{id}/log", roles: readers, summary: "A deployment with its events, driver actions and measurements", out: deploymentLog{}, status: 200, h: s.deploymentLog},
		{pattern: "POST /api/v1/deployments", roles: deployRW, summary: "Record a planned deployment (pending; `POST /deployments/start` runs one through the gate)", in: deploymentCreate{}, out: deploymentOut{}, status: 201, h: s.createDeployment},
		{pattern: "GET /api/v1/deployments", roles: readers, summary: "List deployments", out: List[deploymentOut]{}, status: 200, query: []string{"limit", "cursor", "release", "env", "status"}, h: s.listDeployments},
		{pattern: "GET /api/v1/deployments/{id}", roles: readers, summary: "Get a deployment (its log: /events)", out: deploymentOut{}, status: 200, h: s.getDeployment},
		{pattern: "PATCH /api/v1/deployments/{id}", roles: deployRW, summary: "Change the path or change of a deployment that has not started (If-Match required)", in: deploymentPatch{}, out: deploymentOut{}, status: 200, h: s.patchDeployment},
		{pattern: "POST /api/v1/deployments/{id}/transitions", roles: deployRW, summary: "Move a deployment by hand: pending, blocked, failed, aborted (the engine's states are refused naming the command)", in: transition{}, out: deploymentOut{}, status: 200, h: s.moveDeployment},
		{pattern: "POST /api/v1/deployments/{id}/advance", roles: deployRW, summary: "Refused: stages advance by the rollout engine (use /promote)", in: advanceIn{}, out: deploymentOut{}, status: 200, h: s.advanceDeployment},
		{pattern: "POST /api/v1/deployments/{id}/events", roles: deployRW, summary: "Append an event to a deployment's log", in: deploymentEventIn{}, out: deployEventOut{}, status: 201, h: s.appendDeploymentEvent},
		{pattern: "GET /api/v1/deployments/{id}/events", roles: readers, summary: "A deployment's event log, oldest first", out: List[deployEventOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listDeploymentEvents},
		{pattern: "GET /api/v1/environments/{name}/live", roles: readers, summary: "What runs in an environment: the last succeeded deployment per CI (now or ?at=)", out: liveOut{}, status: 200, query: []string{"at"}, h: s.liveDeployments},
		{pattern: "POST /api/v1/approvals", roles: approvers, summary: "Approve or reject a release or change (its current revision; separation of duties enforced)", in: approvalIn{}, out: approvalOut{}, status: 201, h: s.createApproval},
		{pattern: "GET /api/v1/approvals", roles: readers, summary: "List approvals", out: List[approvalOut]{}, status: 200, query: []string{"limit", "cursor", "record", "approver"}, h: s.listApprovals},
		{pattern: "GET /api/v1/approvals/verdict", roles: readers, summary: "What a record's approvals amount to at its current revision", out: verdictOut{}, status: 200, query: []string{"record"}, h: s.approvalVerdict},
		{pattern: "GET /api/v1/approvals/{id}", roles: readers, summary: "Get an approval", out: approvalOut{}, status: 200, h: s.getApproval},

		// reports
		{pattern: "GET /api/v1/reports/kpi", roles: reportReaders, summary: "KPI report: change failure rate of problem fixes against features, recovery and flow times, recurrence, targeted releases, success criteria, teams", out: kpiOut{}, status: 200, query: []string{"since", "env", "ci"}, h: s.kpiReport},
		{pattern: "GET /api/v1/reports/patterns", roles: reportReaders, summary: "Failure patterns of problem fixes: failed problem-fix deployments by root cause category, environment, component, change model, stage reached, failing check and PIR finding tag; release size and frequency against failure and recurrence, with recommendations on stated evidence", out: patternsOut{}, status: 200, query: []string{"since", "env", "ci"}, h: s.patternsReport}, // reports_patterns.go

		// incidents, known errors (KEDB) and post-implementation reviews
		{pattern: "POST /api/v1/incidents", roles: incidentRW, summary: "Record an incident", in: incidentCreate{}, out: incidentOut{}, status: 201, h: s.createIncident},
		{pattern: "GET /api/v1/incidents", roles: readers, summary: "List incidents (since/until bound opened_at)", out: List[incidentOut]{}, status: 200, query: []string{"limit", "cursor", "status", "ci", "env", "severity", "problem", "since", "until"}, h: s.listIncidents},
		{pattern: "GET /api/v1/incidents/{id}", roles: readers, summary: "Get an incident", out: incidentOut{}, status: 200, h: s.getIncident},
		{pattern: "PATCH /api/v1/incidents/{id}", roles: incidentRW, summary: "Update an incident's fields or problem link (If-Match required)", in: incidentPatch{}, out: incidentOut{}, status: 200, h: s.patchIncident},
		{pattern: "POST /api/v1/incidents/{id}/transitions", roles: incidentRW, summary: "Resolve or reopen an incident", in: transition{}, out: incidentOut{}, status: 200, h: s.moveIncident},
		{pattern: "POST /api/v1/known-errors", roles: knownErrorRW, summary: "Record a known error (draft)", in: knownErrorCreate{}, out: knownErrorOut{}, status: 201, h: s.createKnownError},
		{pattern: "GET /api/v1/known-errors", roles: readers, summary: "Search known errors (q: text in title, symptoms, workaround; label: name=value, repeatable)", out: List[knownErrorOut]{}, status: 200, query: []string{"limit", "cursor", "status", "problem", "q", "label"}, h: s.listKnownErrors},
		{pattern: "GET /api/v1/known-errors/{id}", roles: readers, summary: "Get a known error with its outcome log", out: knownErrorOut{}, status: 200, h: s.getKnownError},
		{pattern: "PATCH /api/v1/known-errors/{id}", roles: knownErrorRW, summary: "Update a known error (If-Match required)", in: knownErrorPatch{}, out: knownErrorOut{}, status: 200, h: s.patchKnownError},
		{pattern: "POST /api/v1/known-errors/{id}/transitions", roles: knownErrorRW, summary: "Publish, retire or republish a known error", in: transition{}, out: knownErrorOut{}, status: 200, h: s.moveKnownError},
		{pattern: "POST /api/v1/known-errors/{id}/outcomes", roles: outcomeRW, summary: "Append the outcome of a fix attempt (release or deployment)", in: outcomeIn{}, out: knownErrorOut{}, status: 201, h: s.addKnownErrorOutcome},
		{pattern: "POST /api/v1/pirs", roles: pirRW, summary: "Start a post-implementation review (draft)", in: pirCreate{}, out: pirOut{}, status: 201, h: s.createPIR},
		{pattern: "GET /api/v1/pirs", roles: readers, summary: "List post-implementation reviews", out: List[pirOut]{}, status: 200, query: []string{"limit", "cursor", "status", "problem", "release"}, h: s.listPIRs},
		{pattern: "GET /api/v1/pirs/{id}", roles: readers, summary: "Get a post-implementation review", out: pirOut{}, status: 200, h: s.getPIR},
		{pattern: "PATCH /api/v1/pirs/{id}", roles: pirRW, summary: "Update a draft review (If-Match required)", in: pirPatch{}, out: pirOut{}, status: 200, h: s.patchPIR},
		{pattern: "POST /api/v1/pirs/{id}/transitions", roles: pirMovers, summary: "Complete a review (needs root_cause_eliminated and findings)", in: transition{}, out: pirOut{}, status: 200, h: s.movePIR},

		// incident import (CLI: fixgate import incidents) — F2
		{pattern: "POST /api/v1/incidents/import", roles: incidentRW, summary: "Import incidents by external_id (upsert; bad rows reported by index, good rows land)", in: importIn{}, out: importOut{}, status: 200, maxBody: 32 << 20, h: s.importIncidents},
		// outgoing webhooks (subscriptions, delivery log) — F2
		{pattern: "POST /api/v1/webhooks", roles: admins, summary: "Subscribe a URL to events (the generated secret is shown once)", in: webhookCreate{}, out: webhookCreated{}, status: 201, h: s.createWebhook},
		{pattern: "GET /api/v1/webhooks", roles: webhookReaders, summary: "List webhook subscriptions (secrets are never shown)", out: List[webhookOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listWebhooks},
		{pattern: "GET /api/v1/webhooks/{id}", roles: webhookReaders, summary: "Get a webhook subscription", out: webhookOut{}, status: 200, h: s.getWebhook},
		{pattern: "PATCH /api/v1/webhooks/{id}", roles: admins, summary: "Update a webhook subscription or rotate its secret (If-Match required)", in: webhookPatch{}, out: webhookOut{}, status: 200, h: s.patchWebhook},
		{pattern: "DELETE /api/v1/webhooks/{id}", roles: admins, summary: "Delete a webhook subscription (its delivery log stays)", out: map[string]any{}, status: 200, h: s.deleteWebhook},
		{pattern: "POST /api/v1/webhooks/{id}/ping", roles: admins, summary: "Send a signed webhook.ping now and report the answer (not retried, not logged)", out: pingOut{}, status: 200, h: s.pingWebhook},
		{pattern: "GET /api/v1/webhooks/{id}/deliveries", roles: webhookReaders, summary: "A subscription's delivery log, oldest first", out: List[deliveryOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listWebhookDeliveries},

		// policy, gate evaluations, RCA validation (release gates)
		{pattern: "GET /api/v1/policy", roles: readers, summary: "The policy in force: stored version, hash, YAML and parsed form", out: policyOut{}, status: 200, h: s.getPolicy},
		{pattern: "PUT /api/v1/policy", roles: admins, summary: "Replace the policy (raw YAML body, or JSON {yaml}); invalid: 400 naming the line, the old policy stays", in: policyIn{}, out: policyOut{}, status: 200, h: s.putPolicy},
		{pattern: "POST /api/v1/gates/evaluate", roles: gateCallers, summary: "Evaluate the release gate for a release and environment (stored; blocked or undecided is still 200)", in: gateIn{}, out: gateEvaluationOut{}, status: 200, h: s.evaluateGate},
		{pattern: "GET /api/v1/gates/evaluations", roles: readers, summary: "List gate evaluations", out: List[gateEvaluationOut]{}, status: 200, query: []string{"limit", "cursor", "release", "env", "decision"}, h: s.listGateEvaluations},
		{pattern: "GET /api/v1/gates/evaluations/{id}", roles: readers, summary: "Get a gate evaluation (GATE-n) with its verdict, input revisions and policy version", out: gateEvaluationOut{}, status: 200, h: s.getGateEvaluation},
		{pattern: "POST /api/v1/problems/{id}/rca/validations", roles: []auth.Role{auth.ProblemManager}, summary: "Validate the problem's current root cause analysis (not by its author)", in: rcaValidationIn{}, out: problemOut{}, status: 200, h: s.validateRCA},

		// signals and feedback: Alertmanager ingestion, problem signatures, closure (F1)
		{pattern: "POST /api/v1/hooks/alertmanager", roles: []auth.Role{auth.Pipeline, auth.Admin}, summary: "Alertmanager webhook (payload version 4): 200 after commit, 503 on a transient fault; resends are de-duplicated", in: alertmanagerIn{}, out: store.IngestResult{}, status: 200, maxBody: alertmanagerMaxBody, h: s.alertmanagerHook},
		{pattern: "GET /api/v1/signals", roles: readers, summary: "List received signals (alerts) with their incident, problem, signature, decision and attributed deployments", out: List[signalOut]{}, status: 200, query: []string{"limit", "cursor", "problem", "fingerprint"}, h: s.listSignals},
		{pattern: "POST /api/v1/problems/{id}/signatures", roles: problemRW, summary: "Add a signature (Prometheus-style label matchers) to a problem", in: signatureIn{}, out: signatureOut{}, status: 201, h: s.addSignature},
		{pattern: "GET /api/v1/problems/{id}/signatures", roles: readers, summary: "A problem's active signatures", out: List[signatureOut]{}, status: 200, h: s.listSignatures},
		{pattern: "DELETE /api/v1/problems/{id}/signatures/{sig}", roles: problemRW, summary: "Withdraw a signature (kept for the incidents it matched)", out: signatureOut{}, status: 200, h: s.removeSignature},
		{pattern: "GET /api/v1/problems/ready-to-close", roles: readers, summary: "Problems whose every closure condition holds", out: List[problemOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.readyToClose},
		{pattern: "GET /api/v1/problems/{id}/closure", roles: readers, summary: "Whether a problem may close, and every condition it misses", out: closureOut{}, status: 200, h: s.problemClosure},
		{pattern: "POST /api/v1/problems/{id}/close", roles: []auth.Role{auth.ProblemManager, auth.Admin}, summary: "Close a resolved problem (412 lists every missing condition: observation, recurrence, PIR, confirmation)", in: closeIn{}, out: problemOut{}, status: 200, h: s.closeProblem},
		{pattern: "POST /api/v1/problems/{id}/confirmations", roles: []auth.Role{auth.Validator}, summary: "Confirm, as a validator outside the release team, that a resolved problem's fix worked", in: confirmIn{}, out: confirmationOut{}, status: 201, h: s.confirmProblem},
		{pattern: "GET /api/v1/problems/{id}/confirmations", roles: readers, summary: "A problem's fix confirmations", out: List[confirmationOut]{}, status: 200, h: s.listConfirmations},

		// feedback (H): PIR KPIs, change-model checklists refined by completed reviews
		{pattern: "POST /api/v1/pirs/{id}/kpis/refresh", roles: pirRW, summary: "Recompute a draft review's KPIs: incidents of the problem before and after the fix over equal windows (other KPIs kept; If-Match checked when sent)", out: pirOut{}, status: 200, h: s.refreshPIRKPIs},
		{pattern: "GET /api/v1/change-models/{name}/checklist", roles: readers, summary: "The checklist a new change of this model gets: the policy's items plus those completed reviews added", out: changeModelChecklistOut{}, status: 200, h: s.changeModelChecklist},

		// release gates (I): deviations report, change risk, CAB meetings
		{pattern: "POST /api/v1/cab/meetings", roles: cabRunners, summary: "Schedule a CAB meeting (CAB-n) with its attendees", in: cabCreate{}, out: cabOut{}, status: 201, h: s.createCAB},
		{pattern: "GET /api/v1/cab/meetings", roles: readers, summary: "List CAB meetings", out: List[cabOut]{}, status: 200, query: []string{"limit", "cursor"}, h: s.listCAB},
		{pattern: "GET /api/v1/cab/meetings/{id}", roles: readers, summary: "Get a CAB meeting", out: cabOut{}, status: 200, h: s.getCAB},
		{pattern: "PATCH /api/v1/cab/meetings/{id}", roles: cabRunners, summary: "Change a scheduled or held meeting's title or attendees, or a scheduled one's date (If-Match required)", in: cabPatch{}, out: cabOut{}, status: 200, h: s.patchCAB},
		{pattern: "POST /api/v1/cab/meetings/{id}/transitions", roles: cabRunners, summary: "Move a CAB meeting: scheduled → held → closed (comment: the minutes), or scheduled → canceled (comment: the reason)", in: transition{}, out: cabOut{}, status: 200, h: s.moveCAB},
		{pattern: "GET /api/v1/cab/meetings/{id}/agenda", roles: readers, summary: "The meeting's agenda by the policy: changes in authorize whose risk class needs a CAB; whether it may approve problem fixes", out: cabAgendaOut{}, status: 200, h: s.cabAgenda},
		{pattern: "POST /api/v1/cab/meetings/{id}/decisions", roles: approvers, summary: "Record a CAB decision on an agenda change as the caller's approval linked to the meeting, while it is scheduled or held (409 naming its status otherwise; 412 naming the missing problem_manager for a problem fix)", in: cabDecisionIn{}, out: approvalOut{}, status: 201, h: s.cabDecide},
		{pattern: "GET /api/v1/problems/{id}/resolutions", roles: readers, summary: "How a problem was resolved: the production deployment and release, or the deviation", out: List[problemResolutionOut]{}, status: 200, h: s.listProblemResolutions},
		{pattern: "GET /api/v1/problems/{id}/rca/validations", roles: readers, summary: "Validations of a problem's root cause analysis, with the validators' comments and roles", out: List[rcaValidationOut]{}, status: 200, h: s.listRCAValidations},
		{pattern: "GET /api/v1/deviations", roles: readers, summary: "Deviations recorded on changes (kind=sod: separation-of-duties bypasses; record=problem: hand moves of problems to resolved)", out: List[deviationOut]{}, status: 200, query: []string{"limit", "cursor", "kind", "step", "record"}, h: s.listDeviations},

		// governance (issue 14): control assessments and ISO/IEC 20000 exports
		{pattern: "POST /api/v1/reports/controls", roles: assessors, summary: "Assess every governance control over a period (YYYY, YYYY-Qn, YYYY-MM) and store the assessment (ASSESS-n)", in: assessIn{}, out: store.Assessment{}, status: 201, h: s.assessControls},
		{pattern: "GET /api/v1/reports/controls", roles: assessors, summary: "List control assessments, newest first", out: List[store.Assessment]{}, status: 200, query: []string{"limit", "period"}, h: s.listAssessments},
		{pattern: "GET /api/v1/reports/controls/{id}", roles: assessors, summary: "Get a control assessment with every control's sample and exceptions", out: store.Assessment{}, status: 200, h: s.getAssessment},

		{pattern: "GET /api/v1/exports/iso20000/{record}", roles: assessors, summary: "ISO/IEC 20000-1 evidence of a release, change, PIR or assessment (format=md|html|pdf): each statement with its audit event, hash and covering checkpoint", out: "", status: 200, query: []string{"format"}, h: s.exportISO20000},

		// change checklists (issue 14, seed 7.6; change_checklist.go): ticked items are attestations, gate rule checklist
		{pattern: "GET /api/v1/changes/{id}/checklist", roles: readers, summary: "A change's checklist: the items of its change model that apply (frozen when it was scheduled), each ticked or not, and what is missing", out: checklistOut{}, status: 200, h: s.getChangeChecklist},
		{pattern: "POST /api/v1/changes/{id}/checklist", roles: changeRW, summary: "Tick (ticked: true, with optional evidence) or untick an item of a change's checklist as the caller's attestation (If-Match required; 400 naming item for an item not on it; 403 for an approver of the change or its release)", in: checklistIn{}, out: checklistOut{}, status: 200, h: s.editChangeChecklist},

		// ROUTES:records — incidents, known errors, PIRs, releases, changes, deployments, approvals, component versions, artifacts.
	}
}

var _ = http.MethodGet
