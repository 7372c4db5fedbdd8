package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// special are ranges refused besides those netip classifies.
var special = []struct {
	p   netip.Prefix
	why string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("255.255.255.255/32"), "broadcast"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
}

// Forbidden returns why ip may not be a webhook target without
// allow_private ("loopback", "private" …), or "" when it may.
func Forbidden(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	case ip.IsPrivate():
		return "private"
	}
	for _, s := range special {
		if s.p.Contains(ip) {
			return s.why
		}
	}
	return ""
}

// RefusedError is a dial the SSRF guard refused.
type RefusedError struct {
	Addr string
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: %s address (allow_private is off)", e.Addr, e.Why)
}

// control runs after DNS resolution, on the address actually dialed.
func control(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &RefusedError{Addr: address, Why: "unparsable"}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &RefusedError{Addr: address, Why: "unparsable"}
	}
	if why := Forbidden(ip); why != "" {
		return &RefusedError{Addr: address, Why: why}
	}
	return nil
}

// NewClient returns the HTTP client of deliveries. Unless allowPrivate,
// its dialer refuses private, loopback, link-local, unspecified and
// multicast addresses when connecting (after DNS, so a rebinding name
// cannot slip through). It uses no proxy from the environment (the proxy
// would be dialed instead of the target) and follows no redirects (a 3xx
// answer is a failed delivery).
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = control
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
