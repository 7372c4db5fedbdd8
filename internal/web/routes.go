package web

import (
	"net/http"

	"fixgate/internal/approval"
	"fixgate/internal/auth"
)

// page is one route of the UI: its pattern, who may use it, and its handler.
type page struct {
	pattern string      // ServeMux pattern: "METHOD /path/{param}"
	roles   []auth.Role // who may use it (empty only when public)
	public  bool        // no session needed (sign-in, sign-out)
	tmpl    string      // the template file it renders ("" for actions that redirect)
	file    bool        // answers a file, not a page (a download): no page walk opens it
	h       pageFunc
}

type pageFunc func(w http.ResponseWriter, r *http.Request, v *visit) error

var (
	readers    = auth.Readers
	admins     = []auth.Role{auth.Admin}
	auditors   = []auth.Role{auth.Auditor, auth.Admin}
	approvers  = []auth.Role{auth.CABMember, auth.ReleaseManager, auth.ProblemManager, auth.Engineer, auth.Validator, auth.Admin}
	deployers  = []auth.Role{auth.ReleaseManager, auth.Admin}
	problemRW  = []auth.Role{auth.ProblemManager, auth.Engineer, auth.Admin}
	sessionRW  = []auth.Role{auth.Admin}
	everyoneIn = auth.AllRoles
)

// declarePages lists every page of the UI: this function is the one place
// pages and their roles are declared. Actions (POST) go through the same
// store functions as the API, so their rules, revisions and audit are the
// same.
func (s *Server) declarePages() []page {
	return []page{
		// sign-in (session.go, oidc.go)
		{pattern: "GET /login", public: true, tmpl: "login.html", h: s.loginForm},
		{pattern: "POST /login", public: true, tmpl: "login.html", h: s.login},
		{pattern: "POST /logout", roles: everyoneIn, h: s.logout},
		{pattern: "GET /oidc/login", public: true, h: s.oidcLogin},
		{pattern: "GET /oidc/callback", public: true, tmpl: "login.html", h: s.oidcCallback},

		// dashboard, problems, known errors, audit (page_dashboard.go, page_problems*.go, page_knownerrors.go,
		// page_audit.go). Actions have the roles of the API routes they mirror.
		{pattern: "GET /{$}", roles: readers, tmpl: "dashboard.html", h: s.dashboard},

		// deployments (page_deployments.go, page_deployments_live.go): the list, one deployment with its
		// stages, measurements, events and driver output, its self-refreshing status region, and the
		// commands of POST /api/v1/deployments/{id}/promote|rollback|abort with the API's roles
		{pattern: "GET /deployments", roles: readers, tmpl: "deployments.html", h: s.deployments},
		{pattern: "GET /deployments/{id}", roles: readers, tmpl: "deployment.html", h: s.deployment},
		{pattern: "GET /deployments/{id}/live", roles: readers, tmpl: "deployment.html", h: s.deploymentLive},
		{pattern: "POST /deployments/{id}/promote", roles: deployCommanders, tmpl: "deployment.html", h: s.deploymentCommand("promote")},
		{pattern: "POST /deployments/{id}/rollback", roles: deployCommanders, tmpl: "deployment.html", h: s.deploymentCommand("rollback")},
		{pattern: "POST /deployments/{id}/abort", roles: deployCommanders, tmpl: "deployment.html", h: s.deploymentCommand("abort")},

		// administration (page_admin.go, page_admin_users.go, page_admin_webhooks.go): users and roles, tokens,
		// webhooks, live sessions; each action the store call of its API route (admins only there too)
		{pattern: "GET /admin", roles: admins, tmpl: "admin.html", h: s.admin},
		{pattern: "GET /admin/users/{name}", roles: admins, tmpl: "admin_user.html", h: s.adminUser},
		{pattern: "POST /admin/users/{name}", roles: admins, tmpl: "admin_user.html", h: s.updateUser},
		{pattern: "POST /admin/users/{name}/tokens", roles: admins, tmpl: "admin_secret.html", h: s.issueToken},
		{pattern: "POST /admin/tokens/{id}/revoke", roles: admins, h: s.revokeToken},
		{pattern: "POST /admin/webhooks", roles: admins, tmpl: "admin_secret.html", h: s.createWebhook},
		{pattern: "POST /admin/webhooks/{id}/delete", roles: admins, tmpl: "admin.html", h: s.deleteWebhook},
		{pattern: "POST /admin/sessions/{id}/end", roles: sessionRW, h: s.endSession},

		// releases, the CAB board and the policy (page_releases*.go, page_cab*.go, page_policy*.go): gate
		// verdicts are dry runs (nothing recorded), so every reader may see them; decisions go through
		// store.CreateApproval and store.DecideInMeeting as the API's, with the API's approving roles.
		{pattern: "GET /releases", roles: readers, tmpl: "releases.html", h: s.releaseList},
		{pattern: "GET /releases/{id}", roles: readers, tmpl: "release.html", h: s.releasePage},
		{pattern: "POST /releases/{id}/approve", roles: approvers, tmpl: "release.html", h: s.releaseDecide(approval.Approve)},
		{pattern: "POST /releases/{id}/reject", roles: approvers, tmpl: "release.html", h: s.releaseDecide(approval.Reject)},
		{pattern: "GET /cab", roles: readers, tmpl: "cab.html", h: s.cabBoard},
		{pattern: "POST /cab/{id}/decide", roles: approvers, tmpl: "cab.html", h: s.cabDecide},
		{pattern: "GET /policy", roles: readers, tmpl: "policy.html", h: s.policyPage},
		{pattern: "GET /policy/versions/{version}", roles: readers, tmpl: "policy_version.html", h: s.policyVersion},
		{pattern: "GET /policy/dry-run", roles: readers, tmpl: "policy_dryrun.html", h: s.policyDryRun},
		// changes (page_changes*.go): the list, one change with its approvals and checklist; ticks through
		// store.CheckChangeItem and UncheckChangeItem as POST /api/v1/changes/{id}/checklist, with its roles
		{pattern: "GET /changes", roles: readers, tmpl: "changes.html", h: s.changeList},
		{pattern: "GET /changes/{id}", roles: readers, tmpl: "change.html", h: s.changePage},
		{pattern: "POST /changes/{id}/checklist/check", roles: changeWorkers, tmpl: "change.html", h: s.checklistEdit(true)},
		{pattern: "POST /changes/{id}/checklist/uncheck", roles: changeWorkers, tmpl: "change.html", h: s.checklistEdit(false)},

		// problem-fix releases (issue 13: page_release_plan.go, page_cycles*.go, page_retention.go,
		// page_artifacts_download.go, page_releases_evidence.go, page_releases_hold.go): what to rebuild and the
		// release that does it, release cycles and their ranked plan, a release's legal hold, artifact retention
		// and holds, verified downloads; each action the store call of its API route, with that route's roles.
		{pattern: "GET /release-plan", roles: readers, tmpl: "release_plan.html", h: s.releasePlanPage},
		{pattern: "POST /release-plan/release", roles: releaseCreators, tmpl: "release_plan.html", h: s.createPlannedRelease},
		{pattern: "GET /cycles", roles: readers, tmpl: "cycles.html", h: s.cycleList},
		{pattern: "POST /cycles", roles: cycleEditors, tmpl: "cycles.html", h: s.createCycle},
		{pattern: "GET /cycles/plan", roles: readers, tmpl: "cycle_plan.html", h: s.cyclePlan},
		{pattern: "GET /cycles/{id}", roles: readers, tmpl: "cycle.html", h: s.cyclePage},
		{pattern: "POST /cycles/{id}/problems", roles: cycleEditors, tmpl: "cycle.html", h: s.targetProblem},
		{pattern: "POST /cycles/{id}/problems/{problem}/remove", roles: cycleEditors, tmpl: "cycle.html", h: s.untargetProblem},
		{pattern: "POST /releases/{id}/hold", roles: holders, tmpl: "release.html", h: s.releaseHold(true)},
		{pattern: "POST /releases/{id}/unhold", roles: holders, tmpl: "release.html", h: s.releaseHold(false)},
		{pattern: "GET /artifacts", roles: readers, tmpl: "retention.html", h: s.retentionPage},
		{pattern: "POST /artifacts/purge", roles: admins, tmpl: "retention.html", h: s.purgeNow},
		{pattern: "POST /artifacts/{sha256}/hold", roles: holders, tmpl: "retention.html", h: s.artifactHold(true)},
		{pattern: "POST /artifacts/{sha256}/unhold", roles: holders, tmpl: "retention.html", h: s.artifactHold(false)},
		{pattern: "GET /artifacts/{sha256}", roles: readers, file: true, h: s.downloadArtifact},

		{pattern: "GET /problems", roles: readers, tmpl: "problems.html", h: s.problems},
		{pattern: "GET /problems/{id}", roles: readers, tmpl: "problem.html", h: s.problemDetail},
		{pattern: "POST /problems/{id}/move", roles: problemRW, tmpl: "problem.html", h: s.moveProblem},
		{pattern: "POST /problems/{id}/rca", roles: problemRW, tmpl: "problem.html", h: s.recordRCA},
		{pattern: "POST /problems/{id}/rca/validate", roles: problemValidators, tmpl: "problem.html", h: s.validateRCA},
		{pattern: "POST /problems/{id}/close", roles: problemClosers, tmpl: "problem.html", h: s.closeProblem},
		{pattern: "POST /problems/{id}/confirm", roles: fixConfirmers, tmpl: "problem.html", h: s.confirmFix},
		{pattern: "GET /problems/{id}/signatures/preview", roles: readers, tmpl: "signature_preview.html", h: s.previewSignature},
		{pattern: "POST /problems/{id}/signatures", roles: problemRW, tmpl: "problem.html", h: s.addSignature},
		{pattern: "POST /problems/{id}/signatures/{sig}/remove", roles: problemRW, tmpl: "problem.html", h: s.removeSignature},
		{pattern: "GET /known-errors", roles: readers, tmpl: "knownerrors.html", h: s.knownErrors},
		{pattern: "GET /audit", roles: auditors, tmpl: "audit.html", h: s.auditLog},
		{pattern: "POST /audit/verify", roles: auditors, tmpl: "audit.html", h: s.verifyAudit},

		// failure patterns of problem fixes (page_report_patterns.go, templates/report_patterns.html): the report
		// of GET /api/v1/reports/patterns with its roles, the deployments behind each number, its CSV (?format=csv)
		{pattern: "GET /reports/patterns", roles: patternsReaders, tmpl: "report_patterns.html", h: s.reportPatterns},
		// reports (page_reports*.go, templates/reports*.html): the KPI report of GET /api/v1/reports/kpi with
		// its charts, ?format=csv|pdf; control assessments with the roles of /api/v1/reports/controls (auditor,
		// admin): the list, "assess a period" (store.AssessControls), one assessment and its ISO/IEC 20000
		// exports (?format=md|html|pdf)
		{pattern: "GET /reports", roles: reportReaders, tmpl: "reports.html", h: s.reportsPage},
		{pattern: "GET /reports/controls", roles: auditors, tmpl: "reports_controls.html", h: s.assessmentsPage},
		{pattern: "POST /reports/controls", roles: auditors, tmpl: "reports_controls.html", h: s.assessPeriod},
		{pattern: "GET /reports/controls/{id}", roles: auditors, tmpl: "reports_assessment.html", h: s.assessmentPage},
	}
}
