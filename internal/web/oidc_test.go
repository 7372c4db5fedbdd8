package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"fixgate/internal/auth"
)

// testIdP is an OpenID Connect provider for the tests: discovery, JWKS,
// /authorize (which signs the person in at once) and /token (which checks
// the client secret, the redirect URI and the PKCE verifier). The ID token
// it issues has the claims of claims(), which a test changes to break it.
type testIdP struct {
	t       *testing.T
	srv     *httptest.Server
	key     *rsa.PrivateKey
	now     func() time.Time
	mu      sync.Mutex
	codes   map[string]idpCode
	claims  func(c map[string]any) // changes the ID token's claims (nil: keep)
	noneAlg bool                   // sign with alg none
}

type idpCode struct{ nonce, challenge, redirect string }

const (
	idpClientID     = "fixgate"
	idpClientSecret = "s3cret"
)

var idpKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func newTestIdP(t *testing.T, now func() time.Time) *testIdP {
	p := &testIdP{t: t, key: idpKey, now: now, codes: map[string]idpCode{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIdP) discovery(w http.ResponseWriter, r *http.Request) {
	u := p.srv.URL
	json.NewEncoder(w).Encode(map[string]any{"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token",
		"jwks_uri": u + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"}})
}

func (p *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != idpClientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	code := randomString()
	p.mu.Lock()
	p.codes[code] = idpCode{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	p.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	p.mu.Lock()
	c, found := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case id != idpClientID || secret != idpClientSecret:
		http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
		return
	case !found || c.redirect != r.PostFormValue("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge:
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	now := p.now()
	claims := map[string]any{"iss": p.srv.URL, "aud": idpClientID, "sub": "sub-alice", "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": c.nonce, "preferred_username": "alice", "name": "Alice Example", "email": "alice@example.com", "groups": []string{"sre", "everyone"}}
	if p.claims != nil {
		p.claims(claims)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + randomString(), "token_type": "Bearer", "expires_in": 300, "id_token": p.sign(claims)})
}

func (p *testIdP) sign(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	if p.noneAlg {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`)) + "." + enc(payload) + "."
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		p.t.Fatal(err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		p.t.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return raw
}

// ssoPolicy maps the group sre to engineer and admins to admin.
const ssoPolicy = "oidc:\n  roles:\n    sre: engineer\n    admins: admin\n"

// newSSOWeb is newTestWeb with single sign-on at a testIdP and the policy ssoPolicy.
func newSSOWeb(t *testing.T) (*testWeb, *testIdP) {
	tw := newTestWeb(t)
	idp := newTestIdP(t, tw.store.Now)
	c, err := newOIDCClient(context.Background(), OIDCConfig{Issuer: idp.srv.URL, ClientID: idpClientID, ClientSecret: idpClientSecret,
		RedirectURL: tw.http.URL + "/oidc/callback", HTTPClient: idp.srv.Client()}, tw.store.Now)
	if err != nil {
		t.Fatal(err)
	}
	tw.web.oidc = c
	body, _ := json.Marshal(map[string]string{"yaml": ssoPolicy})
	tw.apiCall("admin", "PUT", "/api/v1/policy", string(body), 200)
	return tw, idp
}

// ssoSignIn drives the flow in browser b: /oidc/login?next=, the provider,
// then the callback (after tamper, when set, changes its query). It returns
// the callback's answer.
func ssoSignIn(t *testing.T, b *browser, idp *testIdP, next string, tamper func(url.Values)) page_ {
	t.Helper()
	start := b.get("/oidc/login?next=" + url.QueryEscape(next))
	if start.status != http.StatusSeeOther || !strings.HasPrefix(start.header.Get("Location"), idp.srv.URL+"/authorize?") {
		t.Fatalf("/oidc/login: %d %s %s", start.status, start.header.Get("Location"), start.body)
	}
	c := new(http.Client)
	*c = *idp.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Get(start.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound || back.Path != "/oidc/callback" {
		t.Fatalf("provider: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	q := back.Query()
	if tamper != nil {
		tamper(q)
	}
	return b.get("/oidc/callback?" + q.Encode())
}

func sessionCookieSet(p page_) bool {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == auth.SessionCookie && c.Value != "" {
			return true
		}
	}
	return false
}

func TestSSOSignInCreatesUserWithMappedRoles(t *testing.T) {
	tw, idp := newSSOWeb(t)
	b := tw.browser()
	p := ssoSignIn(t, b, idp, "/problems?status=open", nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/problems?status=open" || !sessionCookieSet(p) {
		t.Fatalf("callback: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	if d := b.get("/"); d.status != 200 || !strings.Contains(d.body, "alice") || !strings.Contains(d.body, "engineer") {
		t.Fatalf("dashboard after single sign-on: %d %s", d.status, d.body)
	}
	ctx := context.Background()
	u, err := tw.store.GetUser(ctx, "alice")
	if err != nil || !slices.Equal(u.Roles, []auth.Role{auth.Engineer}) || u.DisplayName != "Alice Example" || u.HasPassword {
		t.Fatalf("user: %+v %v", u, err)
	}
	evs, err := tw.store.AuditEventsFor(ctx, "user", "alice", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "user.create" {
		t.Fatalf("user.create not audited: %+v %v", evs, err)
	}
	ss, err := tw.store.ListSessions(ctx, "alice", true, 10)
	if err != nil || len(ss) != 1 || ss[0].Method != auth.MethodOIDC {
		t.Fatalf("sessions: %+v %v", ss, err)
	}

	// Signing in again with other groups sets exactly the mapped roles and ends the older session.
	idp.claims = func(c map[string]any) { c["groups"] = []string{"admins"} }
	b2 := tw.browser()
	if p := ssoSignIn(t, b2, idp, "/", nil); p.status != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d %s", p.status, p.body)
	}
	if u, _ := tw.store.GetUser(ctx, "alice"); !slices.Equal(u.Roles, []auth.Role{auth.Admin}) {
		t.Fatalf("roles after the second sign-in: %v", u.Roles)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("the session from before the roles changed still works: %d", p.status)
	}
	if p := b2.get("/"); p.status != 200 {
		t.Fatalf("the new session: %d", p.status)
	}
}

// TestSSORefusals: each broken flow is refused with no session, shown on
// the sign-in page and audited as a sign_in refusal naming the reason.
func TestSSORefusals(t *testing.T) {
	tw, idp := newSSOWeb(t)
	cases := []struct {
		name   string
		claims func(map[string]any)
		none   bool
		tamper func(url.Values)
		status int
		reason string
	}{
		{name: "wrong issuer", claims: func(c map[string]any) { c["iss"] = "https://evil.example" }, status: 401, reason: "issued by a different provider"},
		{name: "wrong audience", claims: func(c map[string]any) { c["aud"] = "another-client" }, status: 401, reason: "expected audience"},
		{name: "expired token", claims: func(c map[string]any) { c["exp"] = tw.store.Now().Add(-time.Minute).Unix() }, status: 401, reason: "token is expired"},
		{name: "bad nonce", claims: func(c map[string]any) { c["nonce"] = "not-the-nonce" }, status: 401, reason: "nonce does not match"},
		{name: "bad state", tamper: func(q url.Values) { q.Set("state", "forged") }, status: 401, reason: "state does not match"},
		{name: "alg none", none: true, status: 401, reason: "ID token is not valid"},
		{name: "no mapped role", claims: func(c map[string]any) { c["groups"] = []string{"marketing"} }, status: 403, reason: "no group in the claim groups maps to a role"},
		{name: "local account", claims: func(c map[string]any) { c["preferred_username"] = "pm" }, status: 403, reason: "not linked to this single sign-on identity"},
		{name: "invalid user name", claims: func(c map[string]any) { c["preferred_username"] = "Alice@Example" }, status: 401, reason: "does not give a valid user name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idp.claims, idp.noneAlg = c.claims, c.none
			b := tw.browser()
			p := ssoSignIn(t, b, idp, "/", c.tamper)
			if p.status != c.status || sessionCookieSet(p) || !strings.Contains(p.body, "Sign in") || !strings.Contains(p.body, `role="alert"`) {
				t.Fatalf("callback: %d, want %d with no session; %s", p.status, c.status, p.body)
			}
			if d := b.get("/"); d.status != http.StatusSeeOther {
				t.Fatalf("signed in after a refusal: %d", d.status)
			}
			evs, err := tw.store.AuditEventsFor(context.Background(), "request", "GET /oidc/callback", 100)
			if err != nil || len(evs) == 0 || !strings.Contains(string(evs[len(evs)-1].After), c.reason) || !strings.Contains(string(evs[len(evs)-1].After), `"rule":"sign_in"`) {
				t.Fatalf("refusal not audited with %q: %v", c.reason, err)
			}
		})
	}
	ss, err := tw.store.ListSessions(context.Background(), "", true, 100)
	if err != nil || len(ss) != 0 {
		t.Fatalf("sessions after refusals: %+v %v", ss, err)
	}
	if _, err := tw.store.GetUser(context.Background(), "alice"); err == nil {
		t.Fatal("a refused sign-in created the user")
	}
}

// TestSSOCallbackNeedsItsBrowser: a callback without the cookie of the
// browser that started it, or replayed, is refused.
func TestSSOCallbackNeedsItsBrowser(t *testing.T) {
	tw, idp := newSSOWeb(t)
	var stolen url.Values
	p := ssoSignIn(t, tw.browser(), idp, "/", func(q url.Values) { stolen = url.Values{"code": q["code"], "state": q["state"]} })
	if p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", p.status, p.body)
	}
	for _, b := range []*browser{tw.browser()} {
		if p := b.get("/oidc/callback?" + stolen.Encode()); p.status != http.StatusUnauthorized || sessionCookieSet(p) {
			t.Fatalf("callback from another browser: %d", p.status)
		}
	}
}

func TestSSOWithoutPolicyKeyGivesNoAccess(t *testing.T) {
	tw, idp := newSSOWeb(t)
	tw.apiCall("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 2\n"}`, 200)
	p := ssoSignIn(t, tw.browser(), idp, "/", nil)
	if p.status != http.StatusForbidden || sessionCookieSet(p) || !strings.Contains(p.body, "maps no group to a role") {
		t.Fatalf("callback without an oidc key: %d %s", p.status, p.body)
	}
}
