package main

import (
	"cmp"
	"crypto/tls"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/web"
)

// signInFlags are serve's flags for the web UI's sign-in: single sign-on,
// the URL browsers use, TLS and the session lifetimes.
type signInFlags struct {
	oidcIssuer, oidcClientID, oidcSecretFile string
	oidcScopes                               []string
	publicURL                                string
	tlsCert, tlsKey                          string
	sessionIdle, sessionAbsolute             time.Duration
	trustedProxies                           []string
}

func (f *signInFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.oidcIssuer, "oidc-issuer", os.Getenv("FIXGATE_OIDC_ISSUER"), "single sign-on: the OpenID Connect provider's issuer URL, discovered at start (env FIXGATE_OIDC_ISSUER); needs --oidc-client-id, --oidc-client-secret-file and --public-url")
	fl.StringVar(&f.oidcClientID, "oidc-client-id", os.Getenv("FIXGATE_OIDC_CLIENT_ID"), "single sign-on: this server's client id at the provider (env FIXGATE_OIDC_CLIENT_ID)")
	fl.StringVar(&f.oidcSecretFile, "oidc-client-secret-file", os.Getenv("FIXGATE_OIDC_CLIENT_SECRET_FILE"), "single sign-on: file holding the client secret (env FIXGATE_OIDC_CLIENT_SECRET_FILE)")
	fl.StringSliceVar(&f.oidcScopes, "oidc-scopes", envList("FIXGATE_OIDC_SCOPES", "profile,email"), "single sign-on: scopes asked for besides openid, e.g. profile,email,groups (env FIXGATE_OIDC_SCOPES)")
	fl.StringVar(&f.publicURL, "public-url", os.Getenv("FIXGATE_PUBLIC_URL"), "the URL browsers reach this server at, e.g. https://fixgate.example.com (env FIXGATE_PUBLIC_URL); single sign-on returns to PUBLIC-URL/oidc/callback; https: pages send HSTS")
	fl.StringVar(&f.tlsCert, "tls-cert", os.Getenv("FIXGATE_TLS_CERT"), "serve HTTPS with this certificate file (PEM, with --tls-key; env FIXGATE_TLS_CERT); pages then send HSTS")
	fl.StringVar(&f.tlsKey, "tls-key", os.Getenv("FIXGATE_TLS_KEY"), "the certificate's private key file (PEM; env FIXGATE_TLS_KEY)")
	fl.StringSliceVar(&f.trustedProxies, "trusted-proxy", envList("FIXGATE_TRUSTED_PROXIES", ""), "reverse proxies (addresses or CIDR prefixes, repeatable or comma-separated) whose X-Forwarded-For names the client a sign-in is limited and audited under (env FIXGATE_TRUSTED_PROXIES); default none: the TCP peer")
	fl.DurationVar(&f.sessionIdle, "session-idle", envDuration("FIXGATE_SESSION_IDLE", auth.SessionIdle), "a web session ends after this long without a request (env FIXGATE_SESSION_IDLE)")
	fl.DurationVar(&f.sessionAbsolute, "session-absolute", envDuration("FIXGATE_SESSION_ABSOLUTE", auth.SessionAbsolute), "a web session ends this long after sign-in, however active (env FIXGATE_SESSION_ABSOLUTE)")
}

func envList(key, def string) []string {
	return strings.Split(envOr(key, def), ",")
}

// envDuration returns the duration in env key, def when unset or not a
// duration (webConfig then refuses the variable).
func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

// webConfig checks the flags and returns the pages' sign-in settings: the
// session lifetimes, whether browsers come over TLS (HSTS), and single
// sign-on when an issuer is given. Every error names its flag.
func (f *signInFlags) webConfig() (web.Config, error) {
	c := web.Config{SessionIdle: cmp.Or(f.sessionIdle, auth.SessionIdle), SessionAbsolute: cmp.Or(f.sessionAbsolute, auth.SessionAbsolute)}
	for _, k := range []string{"FIXGATE_SESSION_IDLE", "FIXGATE_SESSION_ABSOLUTE"} {
		if v := os.Getenv(k); v != "" {
			if _, err := time.ParseDuration(v); err != nil {
				return c, fault.Field(k, "must be a duration such as 30m or 12h, got %q", v)
			}
		}
	}
	if c.SessionIdle < 0 || c.SessionAbsolute < c.SessionIdle {
		return c, fault.Field("session-idle", "must be positive and at most --session-absolute (%v, %v)", c.SessionIdle, c.SessionAbsolute)
	}
	proxies, bad := web.ParseTrustedProxies(f.trustedProxies)
	if bad != "" {
		return c, fault.Field("trusted-proxy", "must be an address or a CIDR prefix such as 10.0.0.0/8, got %q", bad)
	}
	c.TrustedProxies = proxies
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return c, fault.Field("tls-cert", "--tls-cert and --tls-key go together")
	}
	if f.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey); err != nil {
			return c, fault.Field("tls-cert", "cannot load %s and %s: %v", f.tlsCert, f.tlsKey, err)
		}
	}
	pub, err := f.public()
	if err != nil {
		return c, err
	}
	c.TLS = f.tlsCert != "" || (pub != nil && pub.Scheme == "https")
	if f.oidcIssuer == "" {
		return c, nil
	}
	if f.oidcClientID == "" || f.oidcSecretFile == "" || pub == nil {
		return c, fault.Field("oidc-issuer", "single sign-on needs --oidc-client-id, --oidc-client-secret-file and --public-url too")
	}
	secret, err := os.ReadFile(f.oidcSecretFile)
	if err != nil || strings.TrimSpace(string(secret)) == "" {
		return c, fault.Field("oidc-client-secret-file", "cannot read a secret from %s (%v)", f.oidcSecretFile, err)
	}
	c.OIDC = &web.OIDCConfig{Issuer: f.oidcIssuer, ClientID: f.oidcClientID, ClientSecret: strings.TrimSpace(string(secret)),
		RedirectURL: strings.TrimSuffix(pub.String(), "/") + "/oidc/callback", Scopes: f.oidcScopes}
	return c, nil
}

// public parses --public-url: http or https, a host, no path, query or fragment.
func (f *signInFlags) public() (*url.URL, error) {
	if f.publicURL == "" {
		return nil, nil
	}
	u, err := url.Parse(f.publicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fault.Field("public-url", "must be http(s)://HOST[:PORT] with no path, got %q", f.publicURL)
	}
	return u, nil
}
