package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fixgate/internal/auth"
)

// ownBrowser is signIn with a client of its own: the browsers of
// tw.browser share one *http.Client, so the last signIn would act for all;
// the tests here need two people signed in at once.
func (tw *testWeb) ownBrowser(user string) *browser {
	tw.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := *tw.http.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &browser{tw: tw, c: &c}
	if res := b.post("/login", url.Values{"username": {user}, "password": {testPassword}}); res.status != http.StatusSeeOther {
		tw.t.Fatalf("sign in as %s: %d", user, res.status)
	}
	return b
}

// bearer answers a GET of the API with token.
func (tw *testWeb) bearer(token, path string) int {
	tw.t.Helper()
	req, _ := http.NewRequest("GET", tw.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := tw.http.Client().Do(req)
	if err != nil {
		tw.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func signedOut(b *browser) bool {
	p := b.get("/")
	return p.status == http.StatusSeeOther && strings.HasPrefix(p.header.Get("Location"), "/login")
}

var revisionRE = regexp.MustCompile(`name="revision" value="(\d+)"`)

func TestAdminPageIsForAdminsOnly(t *testing.T) {
	tw := newTestWeb(t)
	if p := tw.ownBrowser("pm").get("/admin"); p.status != http.StatusForbidden {
		t.Fatalf("/admin as pm: %d", p.status)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "GET /admin", 10)
	if err != nil || len(evs) != 1 || evs[0].Actor != "pm" || evs[0].Action != "access.denied" {
		t.Fatalf("the refusal is not audited: %+v %v", evs, err)
	}
	if p := tw.ownBrowser("aud").get("/admin/users/pm"); p.status != http.StatusForbidden {
		t.Fatalf("a user's admin page as aud: %d", p.status)
	}
	p := tw.ownBrowser("admin").get("/admin")
	for _, want := range []string{`<a href="/admin/users/pm">pm</a>`, "problem_manager", "No webhooks.", "End session 3 of admin", "End session 1 of pm"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("/admin lacks %q", want)
		}
	}
}

func TestAdminChangesRolesAndTheUsersSessionsEnd(t *testing.T) {
	tw := newTestWeb(t)
	pm := tw.ownBrowser("pm")
	admin := tw.ownBrowser("admin")
	page := admin.get("/admin/users/pm")
	rev := revisionRE.FindStringSubmatch(page.body)
	if page.status != 200 || rev == nil || !strings.Contains(page.body, `value="problem_manager" checked`) {
		t.Fatalf("user page: %d %s", page.status, page.body)
	}
	if p := admin.post("/admin/users/pm", url.Values{"revision": {rev[1]}}); p.status != http.StatusBadRequest ||
		!strings.Contains(p.body, "roles: at least one role is required") {
		t.Fatalf("no role at all: %d %s", p.status, p.body)
	}
	res := admin.post("/admin/users/pm", url.Values{"revision": {rev[1]}, "roles": {"problem_manager", "engineer"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/users/pm?done=") {
		t.Fatalf("save roles: %d %s", res.status, res.body)
	}
	u, err := tw.store.GetUser(context.Background(), "pm")
	if err != nil || !slices.Equal(u.Roles, []auth.Role{auth.Engineer, auth.ProblemManager}) {
		t.Fatalf("pm after the change: %+v %v", u, err)
	}
	if !signedOut(pm) {
		t.Fatal("pm's session outlived the change of roles")
	}
	evs, _ := tw.store.AuditEventsFor(context.Background(), "user", "pm", 20)
	if last := evs[len(evs)-1]; last.Action != "user.update" || last.Actor != "admin" {
		t.Fatalf("the change is not audited as admin's: %+v", last)
	}
	stale := admin.post("/admin/users/pm", url.Values{"revision": {rev[1]}, "roles": {"auditor"}})
	if stale.status != http.StatusPreconditionFailed || !strings.Contains(stale.body, "What changed since the form was shown") ||
		!strings.Contains(stale.body, "<td>user.update</td><td>admin (admin)</td>") || !strings.Contains(stale.body, `value="engineer" checked`) {
		t.Fatalf("stale form: %d %s", stale.status, stale.body)
	}
	if u, _ := tw.store.GetUser(context.Background(), "pm"); slices.Contains(u.Roles, auth.Auditor) {
		t.Fatal("a stale form changed the roles")
	}
}

func TestAdminIssuesAndRevokesAToken(t *testing.T) {
	tw := newTestWeb(t)
	admin := tw.ownBrowser("admin")
	res := admin.post("/admin/users/bot/tokens", url.Values{"label": {"release pipeline"}})
	secret := regexp.MustCompile(`id="secret" class="secret" readonly value="([^"]+)"`).FindStringSubmatch(res.body)
	if res.status != http.StatusCreated || secret == nil || !strings.HasPrefix(secret[1], auth.TokenPrefix) {
		t.Fatalf("issue: %d %s", res.status, res.body)
	}
	if st := tw.bearer(secret[1], "/api/v1/me"); st != 200 {
		t.Fatalf("the issued token answers %d", st)
	}
	page := admin.get("/admin/users/bot")
	id := regexp.MustCompile(`<th scope="row">(\d+)</th><td>release pipeline</td>`).FindStringSubmatch(page.body)
	if id == nil || strings.Contains(page.body, secret[1]) {
		t.Fatalf("the token list (never the secret): %s", page.body)
	}
	rev := admin.post("/admin/tokens/"+id[1]+"/revoke", url.Values{"back": {"/admin/users/bot"}})
	if rev.status != http.StatusSeeOther || !strings.HasPrefix(rev.header.Get("Location"), "/admin/users/bot?done=Token+"+id[1]+"+revoked.") {
		t.Fatalf("revoke: %d %s", rev.status, rev.header.Get("Location"))
	}
	if st := tw.bearer(secret[1], "/api/v1/me"); st != http.StatusUnauthorized {
		t.Fatalf("the revoked token answers %d", st)
	}
	if p := admin.post("/admin/tokens/"+id[1]+"/revoke", nil); p.status != http.StatusNotFound {
		t.Fatalf("revoking twice: %d", p.status)
	}
	if p := admin.post("/admin/tokens/1/revoke", url.Values{"back": {"https://evil.example/"}}); p.header.Get("Location") != "/admin?done=Token+1+revoked.#tokens" {
		t.Fatalf("back to another site: %s", p.header.Get("Location"))
	}
}

func TestAdminEndsASession(t *testing.T) {
	tw := newTestWeb(t)
	pm := tw.ownBrowser("pm")
	admin := tw.ownBrowser("admin")
	xs, err := tw.store.ListSessions(context.Background(), "pm", true, 10)
	if err != nil || len(xs) != 1 {
		t.Fatalf("pm's sessions: %+v %v", xs, err)
	}
	n := xs[0].ID
	if p := admin.get("/admin"); !strings.Contains(p.body, `action="/admin/sessions/1/end"`) || n != 1 {
		t.Fatalf("pm's session %d is not listed: %s", n, p.body)
	}
	res := admin.post("/admin/sessions/1/end", url.Values{"back": {"/admin"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin?done=Session+1+ended.#sessions" {
		t.Fatalf("end: %d %s", res.status, res.header.Get("Location"))
	}
	if !signedOut(pm) {
		t.Fatal("pm is still signed in")
	}
	evs, _ := tw.store.AuditEventsFor(context.Background(), "session", "1", 10)
	if last := evs[len(evs)-1]; last.Action != "session.end" || last.Actor != "admin" || !strings.Contains(last.After, "ended by admin") {
		t.Fatalf("the end is not audited as admin's: %+v", last)
	}
	if p := admin.get("/admin"); strings.Contains(p.body, `action="/admin/sessions/1/end"`) {
		t.Fatal("an ended session is still listed as live")
	}
	if p := admin.post("/admin/sessions/1/end", nil); p.status != http.StatusNotFound {
		t.Fatalf("ending it twice: %d", p.status)
	}
}

func TestAdminWebhooks(t *testing.T) {
	tw := newTestWeb(t)
	admin := tw.ownBrowser("admin")
	bad := admin.post("/admin/webhooks", url.Values{"url": {"ftp://example.com/x"}, "events": {"problem.recurred"}, "description": {"kept"}})
	if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, `id="wh-url" name="url" type="url" required value="ftp://example.com/x" aria-invalid="true"`) ||
		!strings.Contains(bad.body, `value="kept"`) {
		t.Fatalf("a bad URL: %d %s", bad.status, bad.body)
	}
	res := admin.post("/admin/webhooks", url.Values{"url": {"https://hooks.example.com/fixgate"}, "events": {"problem.recurred, problem.ready_to_close"}, "active": {"1"}})
	if res.status != http.StatusCreated || !strings.Contains(res.body, "The secret of webhook WH-1") || !regexp.MustCompile(`class="secret" readonly value="[^"]{16,}"`).MatchString(res.body) {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	page := admin.get("/admin")
	if !strings.Contains(page.body, "<td>problem.ready_to_close, problem.recurred</td>") {
		t.Fatalf("the webhook is not listed: %s", page.body)
	}
	if p := admin.post("/admin/webhooks/WH-1/delete", url.Values{"revision": {"7"}}); p.status != http.StatusPreconditionFailed ||
		!strings.Contains(p.body, "https://hooks.example.com/fixgate") {
		t.Fatalf("stale delete: %d %s", p.status, p.body)
	}
	rev := regexp.MustCompile(`action="/admin/webhooks/WH-1/delete"><input type="hidden" name="revision" value="(\d+)"`).FindStringSubmatch(page.body)
	if del := admin.post("/admin/webhooks/WH-1/delete", url.Values{"revision": {rev[1]}}); del.status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", del.status, del.body)
	}
	if p := admin.get("/admin"); !strings.Contains(p.body, "No webhooks.") {
		t.Fatal("a deleted webhook is listed")
	}
	evs, _ := tw.store.AuditEventsFor(context.Background(), "webhook", "WH-1", 10)
	if len(evs) != 2 || evs[0].Action != "webhook.create" || evs[1].Actor != "admin" {
		t.Fatalf("webhook audit: %+v", evs)
	}
}

// TestAdminListsPage: users, webhooks and live sessions each page on their
// own cursor, every item once.
func TestAdminListsPage(t *testing.T) {
	tw := newTestWeb(t)
	tw.ownBrowser("pm")
	tw.ownBrowser("aud")
	admin := tw.ownBrowser("admin")
	for _, u := range []string{"https://a.example.com/h", "https://b.example.com/h"} {
		tw.apiCall("admin", "POST", "/api/v1/webhooks", `{"url":"`+u+`","events":["*"]}`, 201)
	}
	old := adminPerPage
	adminPerPage = 1
	t.Cleanup(func() { adminPerPage = old })
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	item := map[string]*regexp.Regexp{
		"users":    regexp.MustCompile(`<th scope="row"><a href="/admin/users/([a-z0-9]+)">`),
		"webhooks": regexp.MustCompile(`<th scope="row">(WH-\d+)</th>`),
		"sessions": regexp.MustCompile(`End session (\d+) of`),
	}
	for _, list := range []string{"users", "webhooks", "sessions"} {
		var seen []string
		path := "/admin"
		for range 20 {
			p := admin.get(path)
			if p.status != 200 {
				t.Fatalf("%s: %d", path, p.status)
			}
			got := item[list].FindAllStringSubmatch(p.body, -1)
			if len(got) != 1 {
				t.Fatalf("%s on %s: %d items", list, path, len(got))
			}
			seen = append(seen, got[0][1])
			var n string
			for _, m := range next.FindAllStringSubmatch(p.body, -1) {
				if strings.HasSuffix(m[1], "#"+list) {
					n = strings.ReplaceAll(m[1], "&amp;", "&")
				}
			}
			if n == "" {
				break
			}
			path = n
		}
		want := map[string]string{"users": "admin aud bot cab cab2 eng pm rm val", "webhooks": "WH-1 WH-2", "sessions": "3 2 1"}[list]
		if strings.Join(seen, " ") != want {
			t.Errorf("%s paged as %v, want %s", list, seen, want)
		}
	}
}
