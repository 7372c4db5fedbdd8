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

// Bootstrap creates the user "admin" with an admin token when the database
// has no users. token is used when not empty, otherwise one is generated.
// Returns the plain token and true only when it created the user.
func (s *Store) Bootstrap(ctx context.Context, token string) (string, bool, error) {
	var created bool
	plain, hash := auth.NewToken()
	if token != "" {
		plain, hash = token, auth.HashToken(token)
	}
	err := s.write(ctx, audit.System("bootstrap"), func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		u := auth.User{Name: "admin", DisplayName: "Administrator", Roles: []auth.Role{auth.Admin}}
		if err := tx.insertUser(ctx, &u); err != nil {
			return err
		}
		created = true
		_, err := tx.insertToken(ctx, u.Name, hash, "bootstrap")
		return err
	})
	if !created {
		plain = ""
	}
	return plain, created, err
}

// CreateUser stores a validated user and issues its first token. Returns
// Conflict if the name is taken.
func (s *Store) CreateUser(ctx context.Context, a audit.Actor, u auth.User) (auth.User, string, error) {
	plain, hash := auth.NewToken()
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.insertUser(ctx, &u); err != nil {
			return err
		}
		_, err := tx.insertToken(ctx, u.Name, hash, "initial")
		return err
	})
	if err != nil {
		return auth.User{}, "", err
	}
	return u, plain, nil
}

func (tx *Tx) insertUser(ctx context.Context, u *auth.User) error {
	return tx.insertLinkedUser(ctx, u, "")
}

// insertLinkedUser inserts u linked to a single sign-on identity (oidcSubject; "" for none).
func (tx *Tx) insertLinkedUser(ctx context.Context, u *auth.User, oidcSubject string) error {
	u.Revision, u.CreatedAt, u.UpdatedAt = 1, tx.now, tx.now
	_, err := tx.exec(ctx, `INSERT INTO users (name, display_name, email, roles, disabled, rev, created_at, updated_at, oidc_subject)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		u.Name, u.DisplayName, u.Email, joinRoles(u.Roles), u.Disabled, u.Revision, ts(tx.now), ts(tx.now), oidcSubject)
	if err != nil {
		return duplicateOf(err, "user "+u.Name)
	}
	return tx.auditEvent(ctx, "user.create", "user", u.Name, u.Revision, nil, u)
}

func (tx *Tx) insertToken(ctx context.Context, user, hash, label string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO tokens (user_name, hash, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		user, hash, label, ts(tx.now)).Scan(&id)
	if err != nil {
		return 0, classify(err)
	}
	t := auth.Token{ID: id, User: user, Label: label, CreatedAt: tx.now}
	return id, tx.auditEvent(ctx, "token.create", "token", strconv.FormatInt(id, 10), 1, nil, t)
}

// CreateToken issues a new token for user. Returns NotFound for an unknown user.
func (s *Store) CreateToken(ctx context.Context, a audit.Actor, user, label string) (auth.Token, string, error) {
	plain, hash := auth.NewToken()
	var tok auth.Token
	err := s.write(ctx, a, func(tx *Tx) error {
		if _, err := tx.getUser(ctx, user); err != nil {
			return err
		}
		id, err := tx.insertToken(ctx, user, hash, label)
		tok = auth.Token{ID: id, User: user, Label: label, CreatedAt: tx.now}
		if err != nil {
			return err
		}
		return tx.endUserSessions(ctx, user, "tokens changed")
	})
	return tok, plain, err
}

// RevokeToken revokes token id. Returns NotFound if it does not exist or is already revoked.
func (s *Store) RevokeToken(ctx context.Context, a audit.Actor, id int64) error {
	defer s.authc.purge()
	return s.write(ctx, a, func(tx *Tx) error {
		var user string
		err := tx.queryRow(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING user_name`, ts(tx.now), id).Scan(&user)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("token %d not found or already revoked", id)
		}
		if err != nil {
			return classify(err)
		}
		if err := tx.auditEvent(ctx, "token.revoke", "token", strconv.FormatInt(id, 10), 2, nil, map[string]any{"revoked_at": tx.now}); err != nil {
			return err
		}
		return tx.endUserSessions(ctx, user, "tokens changed")
	})
}

// Authenticate returns the principal for a plain token. Returns
// Unauthorized for an unknown or revoked token or a disabled user.
func (s *Store) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	hash := auth.HashToken(token)
	now := time.Now() // wall clock, not the injected one: cache expiry is operational
	if p, ok := s.authc.get(hash, now); ok {
		return p, nil
	}
	var name, roles string
	err := s.queryRowHot(ctx, `SELECT u.name, u.roles FROM tokens t JOIN users u ON u.name = t.user_name
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND u.disabled = $2`, hash, false).Scan(&name, &roles)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Principal{}, fault.New(fault.Unauthorized, "invalid or revoked token")
	}
	if err != nil {
		return auth.Principal{}, unavailable(err, "authenticate")
	}
	p := auth.Principal{User: name, Roles: parseRoles(roles)}
	s.authc.put(hash, p, now)
	return p, nil
}

const userCols = `name, display_name, email, roles, disabled, rev, created_at, updated_at, password_hash <> ''`

func scanUser(sc interface{ Scan(...any) error }) (auth.User, error) {
	var u auth.User
	var roles string
	err := sc.Scan(&u.Name, &u.DisplayName, &u.Email, &roles, &u.Disabled, &u.Revision, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.HasPassword)
	u.Roles = parseRoles(roles)
	return u, err
}

func (tx *Tx) getUser(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`+tx.forUpdate(), name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fault.NotFoundf("user %q not found", name)
	}
	return u, err
}

// GetUser returns the user. Returns NotFound if there is none.
func (s *Store) GetUser(ctx context.Context, name string) (auth.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fault.NotFoundf("user %q not found", name)
	}
	return u, errf(err, "get user")
}

// ListUsers returns users ordered by name, after the cursor name.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]auth.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE name > $1 ORDER BY name LIMIT $2`, after, limit)
	if err != nil {
		return nil, errf(err, "list users")
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, errf(err, "scan user")
		}
		out = append(out, u)
	}
	return out, errf(rows.Err(), "list users")
}

// UpdateUser applies fn to the stored user and saves it if ifRev matches
// (0 skips the check). Returns NotFound, PreconditionFailed on a stale
// revision, or fn's error.
func (s *Store) UpdateUser(ctx context.Context, a audit.Actor, name string, ifRev int64, fn func(*auth.User) error) (auth.User, error) {
	defer s.authc.purge()
	var u auth.User
	err := s.write(ctx, a, func(tx *Tx) error {
		var err error
		u, err = tx.updateUser(ctx, name, ifRev, fn)
		return err
	})
	return u, err
}

// updateUser is UpdateUser inside tx: it audits user.update and ends the
// user's sessions when it is disabled or its roles change.
func (tx *Tx) updateUser(ctx context.Context, name string, ifRev int64, fn func(*auth.User) error) (auth.User, error) {
	before, err := tx.getUser(ctx, name)
	if err != nil {
		return before, err
	}
	if err := checkRev("user "+name, before.Revision, ifRev); err != nil {
		return before, err
	}
	u := before
	u.Roles = append([]auth.Role(nil), before.Roles...)
	if err := fn(&u); err != nil {
		return u, err
	}
	u.Name, u.Revision, u.UpdatedAt = before.Name, before.Revision+1, tx.now
	err = tx.updateRev(ctx, "user "+name, before.Revision, `UPDATE users SET display_name = $1, email = $2, roles = $3, disabled = $4,
		rev = $5, updated_at = $6 WHERE name = $7 AND rev = $8`,
		u.DisplayName, u.Email, joinRoles(u.Roles), u.Disabled, u.Revision, ts(tx.now), u.Name, before.Revision)
	if err != nil {
		return u, err
	}
	if err := tx.auditEvent(ctx, "user.update", "user", u.Name, u.Revision, before, u); err != nil {
		return u, err
	}
	if u.Disabled && !before.Disabled {
		return u, tx.endUserSessions(ctx, name, "user disabled")
	}
	if joinRoles(u.Roles) != joinRoles(before.Roles) {
		return u, tx.endUserSessions(ctx, name, "roles changed")
	}
	return u, nil
}

// checkRev returns PreconditionFailed when want is set and differs from have.
func checkRev(what string, have, want int64) error {
	if want != 0 && want != have {
		return &fault.Error{Code: fault.PreconditionFailed,
			Message: what + " has changed: it is at revision " + strconv.FormatInt(have, 10) + ", not " + strconv.FormatInt(want, 10) + "; read it again",
			Extra:   map[string]any{"current_revision": have}}
	}
	return nil
}

func joinRoles(rs []auth.Role) string {
	xs := make([]string, len(rs))
	for i, r := range rs {
		xs[i] = string(r)
	}
	return joinList(xs)
}

func parseRoles(s string) []auth.Role {
	var out []auth.Role
	for _, x := range splitList(s) {
		out = append(out, auth.Role(x))
	}
	return out
}

// OIDCUser is who a verified single sign-on identity is in fixgate: the
// user name (from the policy's username claim), the identity it is linked
// to (issuer and subject), and exactly the roles the policy maps.
type OIDCUser struct {
	Name        string
	Subject     string // "ISSUER#SUBJECT": stable and unique at the provider
	DisplayName string
	Email       string
	Roles       []auth.Role
}

// SignInOIDCUser creates or updates the user a single sign-on maps to, in
// one transaction, audited (user.create, or user.update when the roles,
// display name or e-mail differ; a change of roles ends the user's other
// sessions). A new user gets no token. An existing account is updated only
// when it is linked to the same identity: one linked to no identity (a
// local account) or to another is refused with rule sso_link, so that no
// one takes over an account by choosing its name at the provider. Returns
// Unauthorized for a disabled user.
func (s *Store) SignInOIDCUser(ctx context.Context, a audit.Actor, o OIDCUser) (auth.User, error) {
	u := auth.User{Name: o.Name, DisplayName: o.DisplayName, Email: o.Email, Roles: o.Roles}
	if err := u.Validate(); err != nil {
		return u, err
	}
	if o.Subject == "" {
		return u, fault.Field("subject", "is required")
	}
	defer s.authc.purge()
	err := s.write(ctx, a, func(tx *Tx) error {
		var linked string
		err := tx.queryRow(ctx, `SELECT oidc_subject FROM users WHERE name = $1`+tx.forUpdate(), o.Name).Scan(&linked)
		if errors.Is(err, sql.ErrNoRows) {
			var other string
			err := tx.queryRow(ctx, `SELECT name FROM users WHERE oidc_subject = $1`, o.Subject).Scan(&other)
			if err == nil {
				return fault.Refused("sso_link", "this single sign-on identity is linked to the account %s, not %s (did the username change at the provider?)", other, o.Name)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return classify(err)
			}
			return tx.insertLinkedUser(ctx, &u, o.Subject)
		}
		if err != nil {
			return classify(err)
		}
		if linked != o.Subject {
			return fault.Refused("sso_link", "the account %s exists and is not linked to this single sign-on identity", o.Name)
		}
		before, err := tx.getUser(ctx, o.Name)
		if err != nil {
			return err
		}
		if before.Disabled {
			return fault.New(fault.Unauthorized, "user %s is disabled", o.Name)
		}
		if joinRoles(before.Roles) == joinRoles(u.Roles) && before.DisplayName == u.DisplayName && before.Email == u.Email {
			u = before
			return nil
		}
		u, err = tx.updateUser(ctx, o.Name, before.Revision, func(x *auth.User) error {
			x.Roles, x.DisplayName, x.Email = u.Roles, u.DisplayName, u.Email
			return nil
		})
		return err
	})
	return u, err
}
