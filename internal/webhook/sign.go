package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Headers of a delivery.
const (
	HeaderEvent     = "X-Fixgate-Event"
	HeaderDelivery  = "X-Fixgate-Delivery"
	HeaderSignature = "X-Fixgate-Signature"
	HeaderTimestamp = "X-Fixgate-Timestamp"
)

// Sign returns the X-Fixgate-Signature value of body: "sha256=" and the
// hex HMAC-SHA256 of the exact body bytes under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig is body's signature under secret (constant time).
func Verify(secret string, body []byte, sig string) bool {
	got, ok := strings.CutPrefix(strings.TrimSpace(sig), "sha256=")
	if !ok {
		return false
	}
	want, _ := strings.CutPrefix(Sign(secret, body), "sha256=")
	return hmac.Equal([]byte(strings.ToLower(got)), []byte(want))
}
