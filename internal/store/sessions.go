package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

// Session is a signed-in browser session. The id a browser holds is never
// stored, only its hash.
type Session struct {
	ID          int64       `json:"id"`
	User        string      `json:"user"`
	Roles       []auth.Role `json:"roles"` // the roles the session began with
	Method      string      `json:"method"`
	RemoteAddr  string      `json:"remote_addr"`
	UserAgent   string      `json:"user_agent"`
	CreatedAt   time.Time   `json:"created_at"`
	LastSeenAt  time.Time   `json:"last_seen_at"`
	IdleUntil   time.Time   `json:"idle_until"`
	ExpiresAt   time.Time   `json:"expires_at"`
	EndedAt     *time.Time  `json:"ended_at,omitempty"`
	EndedReason string      `json:"ended_reason,omitempty"`
}

// SessionStart is what a new session records.
type SessionStart struct {
	User       string
	Method     string // auth.MethodPassword or auth.MethodOIDC
	RemoteAddr string
	UserAgent  string
	Idle       time.Duration
	Absolute   time.Duration
}

const sessionCols = `id, user_name, roles, method, remote_addr, user_agent, created_at, last_seen_at, idle_until, expires_at, ended_at, ended_reason`

func scanSession(sc interface{ Scan(...any) error }) (Session, error) {
	var x Session
	var roles string
	err := sc.Scan(&x.ID, &x.User, &roles, &x.Method, &x.RemoteAddr, &x.UserAgent, timeCol{&x.CreatedAt}, timeCol{&x.LastSeenAt},
		timeCol{&x.IdleUntil}, timeCol{&x.ExpiresAt}, nullTimeCol{&x.EndedAt}, &x.EndedReason)
	x.Roles = parseRoles(roles)
	return x, err
}

// StartSession records a session for st.User, who must exist and not be
// disabled, and audits session.start. It returns the session and the plain
// id for the cookie, which is not stored. The caller has authenticated the
// person (password or OIDC); the store checks only that the account may
// sign in now.
func (s *Store) StartSession(ctx context.Context, a audit.Actor, st SessionStart) (Session, string, error) {
	plain, hash := auth.NewSessionID()
	var x Session
	err := s.write(ctx, a, func(tx *Tx) error {
		u, err := tx.getUser(ctx, st.User)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fault.New(fault.Unauthorized, "user %s is disabled", u.Name)
		}
		x = Session{User: u.Name, Roles: u.Roles, Method: st.Method, RemoteAddr: st.RemoteAddr, UserAgent: st.UserAgent,
			CreatedAt: tx.now, LastSeenAt: tx.now, IdleUntil: tx.now.Add(st.Idle), ExpiresAt: tx.now.Add(st.Absolute)}
		if x.IdleUntil.After(x.ExpiresAt) {
			x.IdleUntil = x.ExpiresAt
		}
		err = tx.queryRow(ctx, `INSERT INTO sessions (hash, user_name, roles, method, remote_addr, user_agent, created_at, last_seen_at, idle_until, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			hash, x.User, joinRoles(x.Roles), x.Method, x.RemoteAddr, x.UserAgent, ts(x.CreatedAt), ts(x.LastSeenAt), ts(x.IdleUntil), ts(x.ExpiresAt)).Scan(&x.ID)
		if err != nil {
			return classify(err)
		}
		return tx.auditEvent(ctx, "session.start", "session", strconv.FormatInt(x.ID, 10), 1, nil, x)
	})
	return x, plain, err
}

// touchEvery bounds how often a session's idle deadline is pushed back: a
// page view writes at most once a minute per session.
const touchEvery = time.Minute

// SessionByID returns the principal and session for a plain session id
// (the cookie), pushing its idle deadline back by idle. Returns
// Unauthorized when the session is unknown, ended, idle or expired, or its
// user is disabled; an idle or expired session is ended on the way (audited
// as session.end with its reason).
func (s *Store) SessionByID(ctx context.Context, plain string, idle time.Duration) (auth.Principal, Session, error) {
	hash := auth.HashToken(plain)
	var x Session
	var roles, began string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT s.id, s.user_name, s.roles, s.method, s.last_seen_at, s.idle_until, s.expires_at, s.ended_at, s.ended_reason,
		u.roles, u.disabled FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.hash = $1`, hash).Scan(
		&x.ID, &x.User, &began, &x.Method, timeCol{&x.LastSeenAt}, timeCol{&x.IdleUntil}, timeCol{&x.ExpiresAt}, nullTimeCol{&x.EndedAt}, &x.EndedReason,
		&roles, &disabled)
	x.Roles = parseRoles(began)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Principal{}, x, fault.New(fault.Unauthorized, "no such session; sign in again")
	}
	if err != nil {
		return auth.Principal{}, x, errf(err, "read session")
	}
	now := s.Now()
	switch {
	case x.EndedAt != nil:
		return auth.Principal{}, x, fault.New(fault.Unauthorized, "the session has ended (%s); sign in again", x.EndedReason)
	case disabled:
		return auth.Principal{}, x, s.endExpired(ctx, x, "user disabled")
	case !now.Before(x.ExpiresAt):
		return auth.Principal{}, x, s.endExpired(ctx, x, "expired")
	case !now.Before(x.IdleUntil):
		return auth.Principal{}, x, s.endExpired(ctx, x, "idle")
	}
	if now.Sub(x.LastSeenAt) >= touchEvery {
		until := now.Add(idle)
		if until.After(x.ExpiresAt) {
			until = x.ExpiresAt
		}
		// Not audited: pushing the idle deadline back is bookkeeping, not a change of the record.
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1, idle_until = $2 WHERE id = $3 AND ended_at IS NULL`,
			ts(now), ts(until), x.ID); err != nil {
			return auth.Principal{}, x, unavailable(err, "touch session")
		}
		x.LastSeenAt, x.IdleUntil = now, until
	}
	return auth.Principal{User: x.User, Roles: parseRoles(roles)}, x, nil
}

func (s *Store) endExpired(ctx context.Context, x Session, reason string) error {
	if err := s.EndSession(ctx, audit.System("session"), x.ID, reason); err != nil && fault.CodeOf(err) != fault.NotFound {
		return err
	}
	return fault.New(fault.Unauthorized, "the session has ended (%s); sign in again", reason)
}

// EndSession ends session id with reason (sign-out, an admin's decision,
// expiry), audited as session.end. Returns NotFound when it does not exist
// or has already ended.
func (s *Store) EndSession(ctx context.Context, a audit.Actor, id int64, reason string) error {
	return s.write(ctx, a, func(tx *Tx) error {
		n, err := tx.endSessions(ctx, `id = $3`, reason, id)
		if err == nil && n == 0 {
			return fault.NotFoundf("session %d not found or already ended", id)
		}
		return err
	})
}

// endUserSessions ends every live session of user, each audited; called in
// the transaction that changes the user's roles, password, tokens or
// disables it.
func (tx *Tx) endUserSessions(ctx context.Context, user, reason string) error {
	_, err := tx.endSessions(ctx, `user_name = $3`, reason, user)
	return err
}

// endSessions ends the live sessions matching where (which uses $3 for arg)
// and audits each; it returns how many ended.
func (tx *Tx) endSessions(ctx context.Context, where, reason string, arg any) (int, error) {
	rows, err := tx.query(ctx, `UPDATE sessions SET ended_at = $1, ended_reason = $2 WHERE `+where+` AND ended_at IS NULL RETURNING `+sessionCols,
		ts(tx.now), reason, arg)
	if err != nil {
		return 0, classify(err)
	}
	var ended []Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			rows.Close()
			return 0, err
		}
		ended = append(ended, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, x := range ended {
		if err := tx.auditEvent(ctx, "session.end", "session", strconv.FormatInt(x.ID, 10), 2, nil, x); err != nil {
			return 0, err
		}
	}
	return len(ended), nil
}

// ListSessions returns sessions newest first: of one user when user is not
// empty, only live ones when live is set.
func (s *Store) ListSessions(ctx context.Context, user string, live bool, limit int) ([]Session, error) {
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE ($1 = '' OR user_name = $1) AND ($2 = FALSE OR (ended_at IS NULL AND expires_at > $3)) ORDER BY id DESC LIMIT $4`
	rows, err := s.db.QueryContext(ctx, q, user, live, ts(s.Now()), limit)
	if err != nil {
		return nil, errf(err, "list sessions")
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, errf(err, "scan session")
		}
		out = append(out, x)
	}
	return out, errf(rows.Err(), "list sessions")
}

// PasswordHash returns the stored password hash of an enabled user, "" when
// the user has none. Returns NotFound for an unknown user.
func (s *Store) PasswordHash(ctx context.Context, name string) (string, error) {
	var hash string
	var disabled bool
	err := s.db.QueryRowContext(ctx, `SELECT password_hash, disabled FROM users WHERE name = $1`, name).Scan(&hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fault.NotFoundf("user %q not found", name)
	}
	if disabled {
		return "", nil
	}
	return hash, errf(err, "read password")
}

// SetPassword stores hash (auth.HashPassword; "" removes the password) for
// user name if ifRev matches (0 skips the check), raises its revision, ends
// its sessions and audits user.password (the hash is in no event).
func (s *Store) SetPassword(ctx context.Context, a audit.Actor, name, hash string, ifRev int64) (auth.User, error) {
	var u auth.User
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getUser(ctx, name)
		if err != nil {
			return err
		}
		if err := checkRev("user "+name, before.Revision, ifRev); err != nil {
			return err
		}
		u = before
		u.Revision, u.UpdatedAt, u.HasPassword = before.Revision+1, tx.now, hash != ""
		if err := tx.updateRev(ctx, "user "+name, before.Revision, `UPDATE users SET password_hash = $1, rev = $2, updated_at = $3 WHERE name = $4 AND rev = $5`,
			hash, u.Revision, ts(tx.now), name, before.Revision); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "user.password", "user", name, u.Revision, before, u); err != nil {
			return err
		}
		return tx.endUserSessions(ctx, name, "password changed")
	})
	return u, err
}

// ChangePassword sets user name's password as by asks: auth.CheckPasswordChange
// decides (an admin for anyone; a person for themself, with the current
// password when they have one). The password is hashed outside the
// transaction, which then stores it only if the user is still at the
// revision the decision read (and at ifRev when it is not 0): a concurrent
// change answers PreconditionFailed. Audited as user.password; the user's
// sessions end.
func (s *Store) ChangePassword(ctx context.Context, a audit.Actor, by auth.Principal, name string, c auth.PasswordChange, ifRev int64) (auth.User, error) {
	if err := auth.MaySetPassword(by, name); err != nil {
		return auth.User{}, err
	}
	var stored string
	var rev int64
	err := s.db.QueryRowContext(ctx, `SELECT password_hash, rev FROM users WHERE name = $1`, name).Scan(&stored, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, fault.NotFoundf("user %q not found", name)
	}
	if err != nil {
		return auth.User{}, errf(err, "read password")
	}
	if err := checkRev("user "+name, rev, ifRev); err != nil {
		return auth.User{}, err
	}
	if err := auth.CheckPasswordChange(by, name, stored, c); err != nil {
		return auth.User{}, err
	}
	return s.SetPassword(ctx, a, name, auth.HashPassword(c.New), rev)
}

// OIDCLogin is a single sign-on under way: what the callback must find again.
type OIDCLogin struct {
	State, Nonce, Verifier string
	Next                   string // the path to return to after sign-in
	ExpiresAt              time.Time
}

// SaveOIDCLogin keeps l under the hash of a random key (the cookie's value,
// auth.HashToken) and deletes logins that have expired. It is bookkeeping
// of a sign-in under way, not a record: not audited (the sign-in's outcome is).
func (s *Store) SaveOIDCLogin(ctx context.Context, key string, l OIDCLogin) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires_at <= $1`, ts(s.Now())); err != nil {
		return unavailable(err, "expire sign-ins")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO oidc_logins (hash, state, nonce, verifier, next_path, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		auth.HashToken(key), l.State, l.Nonce, l.Verifier, l.Next, ts(l.ExpiresAt))
	return errf(err, "save sign-in")
}

// TakeOIDCLogin returns and deletes the login kept under key: a login is
// used once. Returns Unauthorized when there is none or it has expired.
func (s *Store) TakeOIDCLogin(ctx context.Context, key string) (OIDCLogin, error) {
	var l OIDCLogin
	err := s.db.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE hash = $1 RETURNING state, nonce, verifier, next_path, expires_at`,
		auth.HashToken(key)).Scan(&l.State, &l.Nonce, &l.Verifier, &l.Next, timeCol{&l.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return l, fault.New(fault.Unauthorized, "no single sign-on is under way in this browser (or it was used already)")
	}
	if err != nil {
		return l, errf(err, "read sign-in")
	}
	if !s.Now().Before(l.ExpiresAt) {
		return l, fault.New(fault.Unauthorized, "the single sign-on took too long; start again")
	}
	return l, nil
}
