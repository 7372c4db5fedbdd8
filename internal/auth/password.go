package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"fixgate/internal/fault"
)

// Password hashing parameters: argon2id at OWASP's recommended minimum
// (19 MiB, 2 passes, 1 lane). They are written into every hash, so raising
// them later keeps old hashes verifiable.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MinPasswordLength and MaxPasswordLength bound a password (NIST SP 800-63B:
// at least 8, allow at least 64).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// CheckPasswordPolicy refuses a password that is too short, too long, not
// UTF-8 or holds a control character, naming the field "password".
func CheckPasswordPolicy(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return fault.Field("password", "must be valid UTF-8")
	case n < MinPasswordLength:
		return fault.Field("password", "must have at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		return fault.Field("password", "must have at most %d characters", MaxPasswordLength)
	case strings.ContainsFunc(pw, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fault.Field("password", "must not contain control characters (a trailing newline included)")
	}
	return nil
}

// HashPassword returns the argon2id hash of pw as a PHC string
// ($argon2id$v=19$m=…,t=…,p=…$salt$key). It does not check the policy.
func HashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether pw matches hash (a PHC string from
// HashPassword). An empty or malformed hash never matches. The comparison
// is constant-time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyPasswordHash is checked against when a sign-in names an unknown
// user or one without a password, so that the answer takes as long as for
// a known user and does not tell which names exist.
var DummyPasswordHash = HashPassword("fixgate-dummy-password")
