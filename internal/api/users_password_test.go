package api

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"fixgate/internal/auth"
)

// TestSetPassword: an admin sets anyone's password; a person their own,
// with the current one once they have one; anyone else is refused
// (self_service, audited, whether or not the user exists); the policy names
// the field; the hash is stored, never the password; If-Match is checked.
func TestSetPassword(t *testing.T) {
	ta := newTestAPI(t)
	ctx := context.Background()
	const pw, pw2 = "correct horse battery", "another long passphrase"

	ta.problem(ta.do("admin", "PUT", "/api/v1/users/pm/password", `{"password":"short"}`), 400, "password")
	ta.problem(ta.do("admin", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw+`","extra":1}`), 400, "extra")
	u := ta.must("admin", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw+`"}`, 200)
	if u["has_password"] != true {
		t.Fatalf("has_password: %v", u)
	}
	hash, err := ta.store.PasswordHash(ctx, "pm")
	if err != nil || !auth.CheckPassword(hash, pw) || strings.Contains(hash, pw) {
		t.Fatalf("stored hash %q: %v", hash, err)
	}

	// Someone else's password: refused and audited, for a user that exists and one that does not.
	before := ta.auditCount()
	for _, target := range []string{"pm", "nobody"} {
		m := ta.problem(ta.do("eng", "PUT", "/api/v1/users/"+target+"/password", `{"password":"`+pw2+`"}`), 403, "")
		if x, _ := m["extra"].(map[string]any); x["rule"] != "self_service" {
			t.Fatalf("refusal: %v", m)
		}
	}
	if n := ta.auditCount(); n != before+2 {
		t.Fatalf("refusals audited: %d events, want %d", n, before+2)
	}

	// Themself: the current password is required once there is one, and must match.
	ta.problem(ta.do("pm", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw2+`"}`), 400, "current_password")
	ta.problem(ta.do("pm", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw2+`","current_password":"wrong password here"}`), 403, "current_password")
	ta.must("pm", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw2+`","current_password":"`+pw+`"}`, 200)
	if hash, _ := ta.store.PasswordHash(ctx, "pm"); !auth.CheckPassword(hash, pw2) {
		t.Fatal("the person's own change was not stored")
	}
	// Without a password yet, a person sets their first one with their token alone.
	ta.must("eng", "PUT", "/api/v1/users/eng/password", `{"password":"`+pw+`"}`, 200)
	// The auditor writes nothing, not even its own password (an admin sets it).
	ta.problem(ta.do("aud", "PUT", "/api/v1/users/aud/password", `{"password":"`+pw+`"}`), 403, "")
	ta.must("admin", "PUT", "/api/v1/users/aud/password", `{"password":"`+pw+`"}`, 200)

	// If-Match: a stale revision is refused.
	rev := int64(ta.must("admin", "GET", "/api/v1/users/pm", "", 200)["revision"].(float64))
	ta.problem(ta.do("admin", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw+`"}`, `If-Match: "`+strconv.FormatInt(rev-1, 10)+`"`), 412, "")
	ta.must("admin", "PUT", "/api/v1/users/pm/password", `{"password":"`+pw+`"}`, 200, `If-Match: "`+strconv.FormatInt(rev, 10)+`"`)
	evs, err := ta.store.AuditEventsFor(ctx, "user", "pm", 20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == "user.password" {
			n++
			if strings.Contains(string(e.After), "argon2") || strings.Contains(string(e.After), pw) {
				t.Fatalf("an audit event holds the password or its hash: %s", e.After)
			}
		}
	}
	if n != 3 {
		t.Fatalf("user.password events: %d, want 3", n)
	}
}
