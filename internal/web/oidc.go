package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// OIDCConfig configures single sign-on with OpenID Connect.
type OIDCConfig struct {
	Issuer       string // the provider's issuer URL (discovery: ISSUER/.well-known/openid-configuration)
	ClientID     string
	ClientSecret string
	RedirectURL  string   // this server's /oidc/callback as the browser reaches it
	Scopes       []string // asked for besides openid (nil: profile, email)
	// HTTPClient talks to the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// oidcCookie holds the random key of a sign-in under way (store.OIDCLogin);
// oidcLoginTTL bounds how long the person may take at the provider.
const (
	oidcCookie   = "__Host-fixgate_oidc"
	oidcLoginTTL = 10 * time.Minute
)

// oidcClient talks to the provider found by discovery at start.
type oidcClient struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	http     *http.Client
}

// newOIDCClient discovers the provider at c.Issuer and prepares the
// authorization code flow. ID tokens are verified for signature (the
// provider's keys; go-oidc refuses alg none), issuer, audience (the client
// id) and expiry at now().
func newOIDCClient(ctx context.Context, c OIDCConfig, now func() time.Time) (*oidcClient, error) {
	for field, v := range map[string]string{"oidc-issuer": c.Issuer, "oidc-client-id": c.ClientID, "oidc-client-secret": c.ClientSecret, "public-url": c.RedirectURL} {
		if v == "" {
			return nil, fault.Field(field, "is required for single sign-on")
		}
	}
	if c.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, c.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		return nil, fault.New(fault.Unavailable, "single sign-on: discovery at %s failed: %v", c.Issuer, err)
	}
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{"profile", "email"}
	}
	return &oidcClient{
		oauth: oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: c.RedirectURL,
			Scopes: append([]string{oidc.ScopeOpenID}, scopes...)},
		verifier: p.Verifier(&oidc.Config{ClientID: c.ClientID, Now: now}),
		http:     c.HTTPClient,
	}, nil
}

func (c *oidcClient) ctx(ctx context.Context) context.Context {
	if c.http != nil {
		return oidc.ClientContext(ctx, c.http)
	}
	return ctx
}

// oidcLogin starts the authorization code flow: a random state, nonce and
// PKCE verifier are kept server-side (store.SaveOIDCLogin) under the hash
// of a random key that only this browser's cookie holds, and the browser
// goes to the provider.
func (s *Server) oidcLogin(w http.ResponseWriter, r *http.Request, _ *visit) error {
	if s.oidc == nil {
		return fault.NotFoundf("single sign-on is not configured")
	}
	key, state, nonce := randomString(), randomString(), randomString()
	verifier := oauth2.GenerateVerifier()
	l := store.OIDCLogin{State: state, Nonce: nonce, Verifier: verifier, Next: safeNext(r.URL.Query().Get("next")),
		ExpiresAt: s.store.Now().Add(oidcLoginTTL)}
	if err := s.store.SaveOIDCLogin(r.Context(), key, l); err != nil {
		return err
	}
	// SameSite=Lax: the provider's redirect back is a top-level GET, which carries it.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: key, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: int(oidcLoginTTL.Seconds())})
	http.Redirect(w, r, s.oidc.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusSeeOther)
	return nil
}

// ssoRefusal is a failed single sign-on: audited with reason, shown as msg.
type ssoRefusal struct {
	status int
	user   string // the user name, when known
	reason string // for the audit trail
	msg    string // for the person
}

func (e *ssoRefusal) Error() string { return e.reason }

// ssoFailed is a refusal of a flow that went wrong (401): start again.
func ssoFailed(format string, args ...any) *ssoRefusal {
	reason := fmt.Sprintf(format, args...)
	return &ssoRefusal{status: http.StatusUnauthorized, reason: reason, msg: "Single sign-on failed; start again. (" + reason + ")"}
}

// oidcCallback finishes the flow: it checks the state, exchanges the code
// with the PKCE verifier, verifies the ID token and its nonce, maps the
// roles by the policy's oidc key, creates or updates the user and starts a
// session (method oidc). Every refusal is audited and shown on the sign-in
// page; none starts a session.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request, _ *visit) error {
	if s.oidc == nil {
		return fault.NotFoundf("single sign-on is not configured")
	}
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	name, next, err := s.oidcIdentify(r)
	if err == nil {
		return s.startSession(w, r, name, auth.MethodOIDC, next)
	}
	var ref *ssoRefusal
	if !errors.As(err, &ref) {
		return err
	}
	user := ref.user
	if user == "" {
		user = "(single sign-on)"
	}
	s.auditSignInRefusal(r, user, "single sign-on: "+ref.reason)
	return s.loginFailed(w, r, loginData{Next: "/", OIDC: true}, ref.status, ref.msg)
}

// oidcIdentify checks the callback and returns the signed-in user's name
// (created or updated) and where to go next; a refusal is an *ssoRefusal.
func (s *Server) oidcIdentify(r *http.Request) (name, next string, err error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return "", "", ssoFailed("the provider answered %s: %s", truncate(e, 100), truncate(q.Get("error_description"), 200))
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil || c.Value == "" {
		return "", "", ssoFailed("no sign-in is under way in this browser")
	}
	l, err := s.store.TakeOIDCLogin(r.Context(), c.Value)
	if err != nil {
		if fault.CodeOf(err) == fault.Unauthorized {
			return "", "", ssoFailed("%s", fault.As(err).Message)
		}
		return "", "", err
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(l.State)) != 1 {
		return "", "", ssoFailed("the state does not match the sign-in this browser started")
	}
	ctx := s.oidc.ctx(r.Context())
	tok, err := s.oidc.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(l.Verifier))
	if err != nil {
		return "", "", ssoFailed("the provider refused the code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", "", ssoFailed("the provider sent no ID token")
	}
	idt, err := s.oidc.verifier.Verify(ctx, raw)
	if err != nil {
		return "", "", ssoFailed("the ID token is not valid: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return "", "", ssoFailed("the ID token's nonce does not match the sign-in this browser started")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", "", ssoFailed("the ID token's claims cannot be read: %v", err)
	}
	name, err = s.oidcUser(r, idt.Issuer+"#"+idt.Subject, claims)
	return name, l.Next, err
}

// oidcUser maps verified claims to a user by the policy in force and
// creates or updates it (store.SignInOIDCUser, audited).
func (s *Server) oidcUser(r *http.Request, subject string, claims map[string]any) (string, error) {
	pol, _, err := s.cfg.Policy(r.Context())
	if err != nil {
		return "", err
	}
	if pol.OIDC == nil {
		return "", &ssoRefusal{status: http.StatusForbidden, reason: "the policy has no oidc key: no group maps to a role",
			msg: "Single sign-on is not set up for anyone yet: the policy maps no group to a role. Ask an administrator."}
	}
	name, err := pol.OIDC.Username(claims)
	if err != nil {
		return "", ssoFailed("the claim %s does not give a valid user name: %s", pol.OIDC.UsernameClaim, fault.As(err).Message)
	}
	roles := pol.OIDC.MapRoles(claims)
	if len(roles) == 0 {
		return "", &ssoRefusal{status: http.StatusForbidden, user: name, reason: "no group in the claim " + pol.OIDC.RoleClaim + " maps to a role",
			msg: "You signed in at the provider, but none of your groups gives you a role in fixgate, so you have no access. Ask an administrator."}
	}
	a := audit.Actor{User: name, Role: "session", RequestID: api.RequestID(r)}
	u, err := s.store.SignInOIDCUser(r.Context(), a, store.OIDCUser{Name: name, Subject: subject, Roles: roles,
		DisplayName: claimLine(claims, "name"), Email: claimLine(claims, "email")})
	switch fault.CodeOf(err) {
	case "":
		return u.Name, nil
	case fault.Forbidden, fault.Unauthorized, fault.Invalid:
		status := http.StatusUnauthorized
		if fault.CodeOf(err) == fault.Forbidden {
			status = http.StatusForbidden
		}
		return "", &ssoRefusal{status: status, user: name, reason: fault.As(err).Error(), msg: "Single sign-on refused: " + fault.As(err).Error() + "."}
	}
	return "", err
}

// claimLine returns a string claim fit for a one-line field (display name,
// e-mail), "" otherwise.
func claimLine(claims map[string]any, k string) string {
	v, _ := claims[k].(string)
	if len(v) > 200 || strings.ContainsAny(v, "\r\n") {
		return ""
	}
	return v
}

func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
