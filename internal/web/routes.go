package web

import (
	"net/http"

	"fixgate/internal/auth"
)

// page is one route of the UI: its pattern, who may use it, and its handler.
type page struct {
	pattern string      // ServeMux pattern: "METHOD /path/{param}"
	roles   []auth.Role // who may use it (empty only when public)
	public  bool        // no session needed (sign-in, sign-out)
	tmpl    string      // the template file it renders ("" for actions that redirect)
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
	}
}
