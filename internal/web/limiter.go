package web

import (
	"sync"
	"time"
)

// Sign-in attempts: after accountFree failures for one account, or
// addrFree failures from one address (whatever the accounts: password
// spraying), within loginWindow, that account or address must wait,
// doubling from loginBackoff up to loginMaxWait, even with the right
// password. The address allows more failures than an account, as people
// behind one NAT share it. The counts live in this process: with several
// replicas each counts its own (docs/operations.md).
const (
	accountFree  = 5
	addrFree     = 20
	loginWindow  = 15 * time.Minute
	loginBackoff = 2 * time.Second
	loginMaxWait = 5 * time.Minute
	loginKeys    = 100_000 // bound on remembered accounts and addresses
)

type loginLimiter struct {
	mu   sync.Mutex
	seen map[string]*attempts
}

type attempts struct {
	failures int
	first    time.Time
	last     time.Time
}

func newLoginLimiter() *loginLimiter { return &loginLimiter{seen: map[string]*attempts{}} }

// wait returns how long the account and address must still wait before
// another attempt (0: may try now).
func (l *loginLimiter) wait(account, addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return max(l.waitKey("u:"+account, accountFree, now), l.waitKey("a:"+addr, addrFree, now))
}

func (l *loginLimiter) waitKey(k string, free int, now time.Time) time.Duration {
	a := l.seen[k]
	if a == nil || now.Sub(a.first) > loginWindow {
		return 0
	}
	if a.failures < free {
		return 0
	}
	d := loginBackoff << min(a.failures-free, 16)
	d = min(d, loginMaxWait)
	if until := a.last.Add(d); until.After(now) {
		return until.Sub(now)
	}
	return 0
}

// failed counts a failed attempt for the account and the address.
func (l *loginLimiter) failed(account, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > loginKeys {
		for k, a := range l.seen {
			if now.Sub(a.first) > loginWindow {
				delete(l.seen, k)
			}
		}
	}
	for _, k := range []string{"u:" + account, "a:" + addr} {
		a := l.seen[k]
		if a == nil || now.Sub(a.first) > loginWindow {
			a = &attempts{first: now}
			l.seen[k] = a
		}
		a.failures++
		a.last = now
	}
}

// succeeded forgets the account's failures (not the address's).
func (l *loginLimiter) succeeded(account, _ string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, "u:"+account)
}
