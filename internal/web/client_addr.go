package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns the address a sign-in is counted, limited and audited
// under. It is the TCP peer's, unless the peer is one of the trusted
// proxies: then X-Forwarded-For is read from the right (each proxy appends
// the address it saw), skipping trusted proxies, and the first address that
// is not one is the client's. A header from an untrusted peer is ignored
// (anyone can send one), and an entry that is not an address stops the
// walk at the last trusted hop, so a forged entry can never pick another
// client's address: the worst it gives is the proxy's own.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr, trusted) {
		return peer
	}
	hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			return addr.String()
		}
		hop = hop.Unmap()
		if !isTrusted(hop, trusted) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

// forwardedFor splits X-Forwarded-For headers (a proxy may add a header or
// extend the last one) into their entries, in order.
func forwardedFor(values []string) []string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies parses addresses and CIDR prefixes (10.0.0.0/8,
// 192.0.2.7, ::1) as serve's --trusted-proxy takes them. It returns the
// first entry that is neither.
func ParseTrustedProxies(list []string) ([]netip.Prefix, string) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, s
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, ""
}
