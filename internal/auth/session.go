package auth

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// SessionCookie is the web session cookie's name. The __Host- prefix makes
// browsers accept it only with Secure, Path=/ and no Domain.
const SessionCookie = "__Host-fixgate_session"

// Session lifetimes unless serve overrides them: a session ends after
// SessionIdle without a request, and SessionAbsolute after sign-in
// whatever happens (OWASP's session management guidance for sensitive
// applications).
const (
	SessionIdle     = 30 * time.Minute
	SessionAbsolute = 12 * time.Hour
)

// Session methods: how a session began.
const (
	MethodPassword = "password"
	MethodOIDC     = "oidc"
)

// NewSessionID returns a fresh random session id (256 bits) and the hash
// stored for it (HashToken): the database never holds a usable id.
func NewSessionID() (plain, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	plain = base64.RawURLEncoding.EncodeToString(b)
	return plain, HashToken(plain)
}
