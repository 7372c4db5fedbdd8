package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"fixgate/internal/api"
	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// testWeb is the API with the pages over TLS (the session cookie is Secure)
// on a fresh database, with the users of newTestWeb, each with the password
// testPassword.
type testWeb struct {
	t      *testing.T
	store  *store.Store
	clock  *storetest.Clock
	api    *api.Server
	web    *Server
	http   *httptest.Server
	tokens map[string]string
	// dataDir holds artifact bytes (api.Config.DataDir, Config.Files).
	dataDir string
}

const testPassword = "correct horse battery"

// newTestWeb starts the server with the users admin (admin), pm
// (problem_manager), eng (engineer), cab and cab2 (cab_member), aud
// (auditor), rm (release_manager), val (validator) and bot (pipeline, no
// password), plus CI checkout-api and environment prod-eu.
func newTestWeb(t *testing.T) *testWeb {
	t.Helper()
	s, clock := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	tw := &testWeb{t: t, store: s, clock: clock, tokens: map[string]string{"admin": "fgt_admin"}}
	users := map[string][]auth.Role{"pm": {auth.ProblemManager}, "eng": {auth.Engineer}, "cab": {auth.CABMember}, "cab2": {auth.CABMember},
		"aud": {auth.Auditor}, "rm": {auth.ReleaseManager}, "val": {auth.Validator}, "bot": {auth.Pipeline}}
	for name, roles := range users {
		_, tok, err := s.CreateUser(ctx, audit.System("test"), auth.User{Name: name, Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		tw.tokens[name] = tok
	}
	for _, name := range []string{"admin", "pm", "eng", "cab", "cab2", "aud", "rm", "val"} {
		if _, err := s.SetPassword(ctx, audit.System("test"), name, auth.HashPassword(testPassword), 0); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	tw.dataDir = t.TempDir() // the API's uploads, the pages' downloads and purge
	tw.web, err = New(Config{Store: s, Policy: func(ctx context.Context) (*policy.Policy, int64, error) { return tw.api.Policy(ctx) },
		Files: artifact.FS{Dir: tw.dataDir}})
	if err != nil {
		t.Fatal(err)
	}
	tw.api = api.New(api.Config{Store: s, DataDir: tw.dataDir, Web: tw.web.Handler()})
	if err := tw.api.InitPolicy(ctx); err != nil {
		t.Fatal(err)
	}
	tw.http = httptest.NewTLSServer(tw.api.Handler())
	t.Cleanup(tw.http.Close)
	tw.apiCall("admin", "POST", "/api/v1/cis", `{"name":"checkout-api","kind":"service","criticality":"high"}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/environments", `{"name":"prod-eu","tier":"production","tags":["regulated"]}`, 201)
	return tw
}

// apiCall sends an API request as user and fails the test unless it answers want.
func (tw *testWeb) apiCall(user, method, path, body string, want int) string {
	tw.t.Helper()
	req, _ := http.NewRequest(method, tw.http.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tw.tokens[user])
	req.Header.Set("Content-Type", "application/json")
	res, err := tw.http.Client().Do(req)
	if err != nil {
		tw.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		tw.t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, user, res.StatusCode, want, b)
	}
	return string(b)
}

// browser is a client with its own cookie jar that does not follow redirects.
type browser struct {
	tw *testWeb
	c  *http.Client
}

func (tw *testWeb) browser() *browser {
	jar, _ := cookiejar.New(nil)
	c := *tw.http.Client() // a copy: httptest's Client is shared, and each browser has its own jar
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{tw: tw, c: &c}
}

// signIn returns a browser signed in as user with testPassword.
func (tw *testWeb) signIn(user string) *browser {
	tw.t.Helper()
	b := tw.browser()
	res := b.post("/login", url.Values{"username": {user}, "password": {testPassword}})
	if res.status != http.StatusSeeOther {
		tw.t.Fatalf("sign in as %s: %d: %s", user, res.status, res.body)
	}
	return b
}

type page_ struct {
	status int
	header http.Header
	body   string
}

func (b *browser) get(path string) page_ {
	b.tw.t.Helper()
	req, _ := http.NewRequest("GET", b.tw.http.URL+path, nil)
	return b.do(req)
}

// post sends a form as a same-origin browser would (Sec-Fetch-Site).
func (b *browser) post(path string, form url.Values) page_ {
	b.tw.t.Helper()
	req, _ := http.NewRequest("POST", b.tw.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

func (b *browser) do(req *http.Request) page_ {
	b.tw.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.tw.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page_{status: res.StatusCode, header: res.Header, body: string(body)}
}
