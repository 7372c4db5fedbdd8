package store

import (
	"sync"
	"time"

	"fixgate/internal/auth"
)

// authTTL bounds how long a cached principal is trusted. Revoking a token or
// changing a user purges this replica's cache at once; other replicas
// notice within authTTL.
const authTTL = 5 * time.Second

// authCache maps token hashes to principals for authTTL.
type authCache struct {
	mu      sync.Mutex
	entries map[string]authEntry
}

type authEntry struct {
	p       auth.Principal
	expires time.Time
}

func (c *authCache) get(hash string, now time.Time) (auth.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || now.After(e.expires) {
		return auth.Principal{}, false
	}
	return e.p, true
}

func (c *authCache) put(hash string, p auth.Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[string]authEntry{}
	}
	c.entries[hash] = authEntry{p: p, expires: now.Add(authTTL)}
}

// purge forgets every cached principal (after any token or user change).
func (c *authCache) purge() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
