package delivery

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"fixgate/internal/webhook"
)

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
	if why := webhook.Forbidden(ip); why != "" {
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
