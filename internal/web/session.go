package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// endpoint wraps a page with its session check and role check. A page
// asked for without a session redirects to /login (GET) or answers 401; a
// wrong role answers 403 and is audited, as in the API.
func (s *Server) endpoint(p page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.public {
			if err := p.h(w, r, nil); err != nil {
				s.fail(w, r, nil, err)
			}
			return
		}
		v, err := s.signedIn(r)
		if err != nil {
			if r.Header.Get("HX-Request") == "true" {
				// A region that refreshes itself (htmx) must not swap the sign-in page into
				// itself: htmx follows HX-Redirect with a full page load.
				w.Header().Set("HX-Redirect", "/login")
				s.fail(w, r, nil, err)
				return
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		role, ok := v.principal.ActingRole(p.roles)
		if !ok {
			a := audit.Actor{User: v.principal.User, Role: joinRoles(v.principal.Roles)}
			err := fault.Refused("role", "%s %s needs one of the roles %s; %s has %s", r.Method, r.URL.Path,
				joinRoles(p.roles), v.principal.User, joinRoles(v.principal.Roles))
			s.fail(w, r, v, s.refused(r, a, err))
			return
		}
		v.actor.Role = string(role)
		if err := p.h(w, r, v); err != nil {
			s.fail(w, r, v, s.refused(r, v.actor, err))
		}
	})
}

// signedIn resolves the session cookie.
func (s *Server) signedIn(r *http.Request) (*visit, error) {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil || c.Value == "" {
		return nil, fault.New(fault.Unauthorized, "not signed in")
	}
	p, x, err := s.store.SessionByID(r.Context(), c.Value, s.cfg.SessionIdle)
	if err != nil {
		return nil, err
	}
	api.NoteActor(r, p.User)
	return &visit{principal: p, session: x, now: s.store.Now(),
		actor: audit.Actor{User: p.User, Role: joinRoles(p.Roles), RequestID: api.RequestID(r)}}, nil
}

// refused audits a Forbidden err of a signed-in person (access.denied with
// its rule), as the API does; other errors pass through.
func (s *Server) refused(r *http.Request, a audit.Actor, err error) error {
	rule := fault.RuleOf(err)
	if rule == "" {
		return err
	}
	if aerr := s.store.AuditRefusal(r.Context(), a, r.Method, r.URL.Path, rule, fault.As(err).Message); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func joinRoles(rs []auth.Role) string {
	xs := make([]string, len(rs))
	for i, r := range rs {
		xs[i] = string(r)
	}
	return strings.Join(xs, ",")
}

type loginData struct {
	Next     string
	Username string
	OIDC     bool
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, _ *visit) error {
	return s.render(w, r, nil, http.StatusOK, "login.html", "Sign in", loginData{Next: safeNext(r.URL.Query().Get("next")), OIDC: s.oidc != nil})
}

// login checks a username and password and starts a session. Every
// outcome is audited: session.start, or session.refused naming the account
// and the reason. Attempts are limited per account and per address.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	name, pw := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	data := loginData{Next: next, Username: name, OIDC: s.oidc != nil}
	addr := clientAddr(r, s.cfg.TrustedProxies)
	now := s.store.Now()
	if wait := s.limits.wait(name, addr, now); wait > 0 {
		s.auditSignInRefusal(r, name, "too many attempts")
		return s.loginFailed(w, r, data, http.StatusTooManyRequests, "Too many sign-in attempts; try again in "+wait.Round(time.Second).String()+".")
	}
	hash, err := s.store.PasswordHash(r.Context(), name)
	if err != nil && fault.CodeOf(err) != fault.NotFound {
		return err
	}
	if hash == "" {
		auth.CheckPassword(auth.DummyPasswordHash, pw) // same time as a known user
		s.limits.failed(name, addr, now)
		s.auditSignInRefusal(r, name, "unknown user, disabled, or no password")
		return s.loginFailed(w, r, data, http.StatusUnauthorized, "Wrong username or password.")
	}
	if !auth.CheckPassword(hash, pw) {
		s.limits.failed(name, addr, now)
		s.auditSignInRefusal(r, name, "wrong password")
		return s.loginFailed(w, r, data, http.StatusUnauthorized, "Wrong username or password.")
	}
	s.limits.succeeded(name, addr)
	return s.startSession(w, r, name, auth.MethodPassword, next)
}

func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, data loginData, status int, msg string) error {
	return s.renderView(w, r, nil, status, "login.html", &view{Title: "Sign in", Path: r.URL.Path, Data: data, Error: msg})
}

// startSession records a session for user and sets its cookie, then
// redirects to next.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user, method, next string) error {
	a := audit.Actor{User: user, Role: "session", RequestID: api.RequestID(r)}
	_, plain, err := s.store.StartSession(r.Context(), a, store.SessionStart{User: user, Method: method,
		RemoteAddr: clientAddr(r, s.cfg.TrustedProxies), UserAgent: truncate(r.UserAgent(), 200), Idle: s.cfg.SessionIdle, Absolute: s.cfg.SessionAbsolute})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: plain, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.cfg.SessionAbsolute.Seconds())})
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) auditSignInRefusal(r *http.Request, name, reason string) {
	a := audit.Actor{User: "anonymous", Role: "session", RequestID: api.RequestID(r)}
	if err := s.store.AuditRefusal(r.Context(), a, r.Method, r.URL.Path, "sign_in", "sign-in as "+truncate(name, 100)+" from "+clientAddr(r, s.cfg.TrustedProxies)+" refused: "+reason); err != nil {
		s.log.Error("audit sign-in refusal", "err", err)
	}
}

// logout ends the caller's session and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := s.store.EndSession(r.Context(), v.actor, v.session.ID, "signed out"); err != nil && fault.CodeOf(err) != fault.NotFound {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a redirect target on this server: a path, never a scheme,
// host or protocol-relative URL. Backslashes and control characters are
// refused anywhere: browsers read a backslash as "/" and drop tabs and line
// breaks, so "/\evil.example" and "/<tab>/evil.example" would leave.
func safeNext(next string) string {
	bad := strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
	if bad || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || len(next) > 2000 {
		return "/"
	}
	return next
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
