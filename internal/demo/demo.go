// Package demo loads a realistic scenario into an empty database: services
// with dependencies, three environments, recurring incidents, problems in
// every state, known errors, problem-fix and feature releases, changes,
// approvals, PIRs and 90 days of deployments. It writes through the store,
// so every record passes the domain rules and is audited; the store's clock
// walks through the 90 days as the story unfolds.
package demo

import (
	"context"
	"fmt"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// UserToken is a demo user and the token it can use.
type UserToken struct {
	Name  string
	Roles []auth.Role
	Token string
}

// Result tells what Load created.
type Result struct {
	AdminToken string
	Users      []UserToken
	Password   string // every demo person's web UI password (not ci-bot's: pipelines use tokens)
	Records    int64  // audit events written
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// loader carries the first error: after it, every step is skipped.
type loader struct {
	ctx   context.Context
	st    *store.Store
	clk   *clock
	start time.Time
	err   error
	users map[string]audit.Actor
	res   Result
	// pol (stored as polVersion) is the policy deployments start under
	pol        *policy.Policy
	polVersion int64
}

// Load fills the empty database at dsn with the scenario ending at now.
// Returns Conflict if the database already holds users.
func Load(ctx context.Context, dsn string, now time.Time) (Result, error) {
	now = now.UTC().Truncate(time.Hour)
	clk := &clock{t: now.Add(-90 * 24 * time.Hour)}
	st, err := store.Open(ctx, dsn, store.WithClock(clk.now))
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	if us, err := st.ListUsers(ctx, "", 1); err != nil || len(us) > 0 {
		if err == nil {
			err = fault.Conflictf("the database already holds data; the demo loads only into an empty database")
		}
		return Result{}, err
	}
	l := &loader{ctx: ctx, st: st, clk: clk, start: clk.t, users: map[string]audit.Actor{}}
	l.people()
	l.at(0, 7)
	l.savePolicy(historyPolicy())
	l.catalogue()
	l.story()
	l.savePolicy(demoPolicy()) // today's: every rule of the built-in gate
	if l.err != nil {
		return Result{}, l.err
	}
	n, broken, err := st.VerifyAudit(ctx)
	if err != nil || broken != nil {
		return Result{}, fmt.Errorf("demo: audit chain does not verify: %v %v", broken, err)
	}
	l.res.Records = n
	return l.res, nil
}

// at moves the clock to day d (0 = 90 days ago) at hour h, UTC.
func (l *loader) at(d, h int) {
	l.clk.t = l.start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
}

// as returns the actor for a demo user.
func (l *loader) as(user string) audit.Actor { return l.users[user] }

// check records the first error, naming the step.
func (l *loader) check(step string, err error) bool {
	if err != nil && l.err == nil {
		l.err = fmt.Errorf("demo: %s: %w", step, err)
	}
	return l.err == nil
}

func (l *loader) people() {
	tok, _, err := l.st.Bootstrap(l.ctx, "")
	if !l.check("bootstrap", err) {
		return
	}
	l.res.AdminToken = tok
	l.users["admin"] = audit.Actor{User: "admin", Role: string(auth.Admin), RequestID: "demo"}
	for _, u := range []struct {
		name, display string
		roles         []auth.Role
	}{
		{"pat", "Pat Problem-Manager", []auth.Role{auth.ProblemManager}},
		{"rita", "Rita Release-Manager", []auth.Role{auth.ReleaseManager}},
		{"erin", "Erin Engineer", []auth.Role{auth.Engineer}},
		{"eli", "Eli Engineer", []auth.Role{auth.Engineer}},
		{"carl", "Carl CAB", []auth.Role{auth.CABMember}},
		{"cora", "Cora CAB and Engineer", []auth.Role{auth.CABMember, auth.Engineer}},
		{"vera", "Vera Validator", []auth.Role{auth.Validator}},
		{"aud", "Audrey Auditor", []auth.Role{auth.Auditor}},
		{"ci-bot", "CI/CD pipeline", []auth.Role{auth.Pipeline}},
	} {
		created, tok, err := l.st.CreateUser(l.ctx, l.as("admin"), auth.User{Name: u.name, DisplayName: u.display, Roles: u.roles})
		if !l.check("user "+u.name, err) {
			return
		}
		l.users[u.name] = audit.Actor{User: u.name, Role: string(created.Roles[0]), RequestID: "demo"}
		l.res.Users = append(l.res.Users, UserToken{Name: u.name, Roles: created.Roles, Token: tok})
	}
	l.passwords()
}

// passwords gives admin and every demo person one random password for the
// web UI, hashed once (argon2id takes tens of milliseconds).
func (l *loader) passwords() {
	plain, _ := auth.NewSessionID() // 256 random bits, URL-safe
	l.res.Password = plain[:16]
	hash := auth.HashPassword(l.res.Password)
	for _, name := range []string{"admin", "pat", "rita", "erin", "eli", "carl", "cora", "vera", "aud"} {
		if _, err := l.st.SetPassword(l.ctx, l.as("admin"), name, hash, 0); !l.check("password of "+name, err) {
			return
		}
	}
}
