// Package web serves fixgate's pages: server-rendered html/template pages
// for people, signed in with a password or OpenID Connect, doing through
// the store's domain functions exactly what the API does.
//
// Files: server.go (Server, middleware, headers), routes.go (every page and
// its roles), render.go (templates, errors), session.go (sign-in, sign-out,
// the session cookie), and page_*.go with templates/*.html per page.
package web

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures the pages.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// Policy returns the policy in force and its stored version (api.Server.Policy).
	Policy func(ctx context.Context) (*policy.Policy, int64, error)
	// Wake tells the rollout engine a deployment changed (as api.Config.Wake).
	Wake func(id int64)
	// SessionIdle and SessionAbsolute bound sessions (0: auth.SessionIdle, auth.SessionAbsolute).
	SessionIdle, SessionAbsolute time.Duration
	// TLS says the server is reached over HTTPS: pages then send HSTS.
	TLS bool
	// OIDC, when set, offers single sign-on on the sign-in page.
	OIDC *OIDCConfig
	// Files is where artifact bytes live (the API's data directory): verified
	// downloads and the purge. Nil: no downloads, no purge from the pages.
	Files artifact.Storage
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client of a sign-in (clientAddr); empty: the TCP peer is.
	TrustedProxies []netip.Prefix
}

// Server serves the pages. Create it with New.
type Server struct {
	cfg    Config
	store  *store.Store
	log    *slog.Logger
	pages  []page
	tmpl   *templates
	limits *loginLimiter
	oidc   *oidcClient
}

// New returns the pages' server. It fails when a template does not parse.
func New(cfg Config) (*Server, error) {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = auth.SessionIdle
	}
	if cfg.SessionAbsolute == 0 {
		cfg.SessionAbsolute = auth.SessionAbsolute
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, limits: newLoginLimiter()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.pages = s.declarePages()
	t, err := parseTemplates(s.pages)
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	if cfg.OIDC != nil {
		c, err := newOIDCClient(context.Background(), *cfg.OIDC, cfg.Store.Now)
		if err != nil {
			return nil, err
		}
		s.oidc = c
	}
	return s, nil
}

// Handler returns every page, the static files and the security headers.
// It is mounted under the API's handler, which adds request ids, the access
// log, panic recovery and net/http.CrossOriginProtection (the refusal of
// cross-site form posts).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range s.pages {
		mux.Handle(p.pattern, s.endpoint(p))
	}
	mux.Handle("GET /static/", http.FileServerFS(staticFS))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, notFound(r))
	})
	return s.headers(mux)
}

// csp allows scripts, styles and images from this server only: no inline
// script or style, no framing, forms post only here.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.cfg.TLS || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		next.ServeHTTP(w, r)
	})
}

// maxForm bounds a form's body; no page takes uploads.
const maxForm = 1 << 20

// visit is what a signed-in page handler knows of its caller.
type visit struct {
	principal auth.Principal
	actor     audit.Actor
	session   store.Session
	now       time.Time
}
