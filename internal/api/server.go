// Package api translates HTTP to domain and store calls: routes, auth,
// request decoding, problem+json errors and the OpenAPI document.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/metrics"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// Server holds what handlers need. Create it with New.
type Server struct {
	store        *store.Store
	log          *slog.Logger
	dataDir      string
	routes       []route
	policy       policyHolder     // the gate policy in force (internal/api/policy.go)
	metrics      *metrics.Metrics // nil: /metrics answers 404 and nothing is counted
	metricsToken string
	wake         func(id int64) // tells the rollout engine a deployment changed (nil: it polls)
	web          http.Handler   // the pages (internal/web); nil: only the API
}

// Config configures a Server.
type Config struct {
	Store   *store.Store
	Logger  *slog.Logger
	DataDir string // where artifacts are kept
	// Policy, when set (serve --policy FILE), is stored as the current policy
	// version at start; PolicyYAML is its text. Without it the server runs the
	// latest stored policy, or policy.Default().
	Policy     *policy.Policy
	PolicyYAML []byte
	// Metrics, when set, are served at /metrics; MetricsToken, when set, is
	// the bearer token a scraper must send.
	Metrics      *metrics.Metrics
	MetricsToken string
	// Wake, when set, is told the id of a deployment a request started or
	// changed, so the rollout engine steps it at once (engine.Runner.Wake).
	Wake func(id int64)
	// Web, when set, serves every path outside /api/ that no route has: the
	// pages of internal/web, behind the same request id, access log,
	// recovery and cross-origin protection.
	Web http.Handler
}

// New returns a server over cfg.Store.
func New(cfg Config) *Server {
	s := &Server{store: cfg.Store, log: cfg.Logger, dataDir: cfg.DataDir, metrics: cfg.Metrics, metricsToken: cfg.MetricsToken, wake: cfg.Wake, web: cfg.Web}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.policy.start = cfg.Policy
	s.policy.startYAML = cfg.PolicyYAML
	s.routes = s.declareRoutes()
	if s.dataDir != "" && s.store != nil {
		s.store.SetArtifactStorage(s.artifacts()) // the notes stored at approval, uploads checked against purges
	}
	return s
}

// call is what an authenticated handler knows about its caller.
type call struct {
	principal auth.Principal
	actor     audit.Actor
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

type ctxKey int

const requestIDKey ctxKey = 1

func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// Handler returns the HTTP handler with every route and middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, s.endpoint(rt))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.web != nil && !strings.HasPrefix(r.URL.Path, "/api/") {
			s.web.ServeHTTP(w, r)
			return
		}
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeError(w, r, &fault.Error{Code: fault.MethodNotAllowed, Message: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + allow})
			return
		}
		writeError(w, r, fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	return s.withRequestID(s.accessLog(s.recover(http.NewCrossOriginProtection().Handler(mux))))
}

// allowedMethods lists the methods that have a route for r's path, or ""
// when none has (the path itself is unknown). The catch-all "/" hides
// ServeMux's own 405, so it is computed here.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
			if m == "GET" {
				allow = append(allow, "HEAD")
			}
		}
	}
	return strings.Join(allow, ", ")
}

// checkQuery refuses a query parameter that the route does not declare,
// naming it, so that a misspelt filter never silently lists everything.
func checkQuery(r *http.Request, declared []string) error {
	for name := range r.URL.Query() {
		if !slices.Contains(declared, name) {
			if len(declared) == 0 {
				return fault.Field(name, "unknown query parameter: %s takes none", r.URL.Path)
			}
			return fault.Field(name, "unknown query parameter; %s takes %s", r.URL.Path, strings.Join(declared, ", "))
		}
	}
	return nil
}

// endpoint wraps a route with its body limit, authentication and role check.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(MaxBody)
		if rt.maxBody > 0 {
			limit = rt.maxBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := checkQuery(r, rt.query); err != nil {
			writeError(w, r, err)
			return
		}
		if rt.public {
			if err := rt.h(w, r, nil); err != nil {
				writeError(w, r, err)
			}
			return
		}
		c, err := s.authenticate(r, rt)
		if err != nil {
			if fault.CodeOf(err) == fault.Unauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="fixgate"`)
			}
			writeError(w, r, err)
			return
		}
		if err := rt.h(w, r, c); err != nil {
			writeError(w, r, s.refused(r, c.actor, err))
		}
	})
}

// authenticate resolves the bearer token and checks the route's roles. A
// wrong role is answered 403 and recorded as an audit event.
func (s *Server) authenticate(r *http.Request, rt route) (*call, error) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, fault.New(fault.Unauthorized, "missing bearer token (Authorization: Bearer <token>)")
	}
	p, err := s.store.Authenticate(r.Context(), strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	noteActor(r, p.User)
	role, ok := p.ActingRole(rt.roles)
	if !ok {
		a := audit.Actor{User: p.User, Role: joinRoleNames(p.Roles), RequestID: requestID(r)}
		return nil, s.refused(r, a, fault.Refused("role", "%s %s needs one of the roles %s; %s has %s",
			r.Method, r.URL.Path, joinRoleNames(rt.roles), p.User, joinRoleNames(p.Roles)))
	}
	return &call{principal: p, actor: audit.Actor{User: p.User, Role: string(role), RequestID: requestID(r)}}, nil
}

// refused is the one place an authenticated request's refusal is audited:
// for a Forbidden err (a wrong role, separation of duties, any rule a
// handler or the store applies; the store has rolled the request's
// transaction back), it writes one access.denied event naming the rule and
// the reason, then returns err. Other errors pass through. If the event
// cannot be written, that error is returned instead: a refusal is never
// unseen.
func (s *Server) refused(r *http.Request, a audit.Actor, err error) error {
	rule := fault.RuleOf(err)
	if rule == "" {
		return err
	}
	if aerr := s.store.AuditRefusal(r.Context(), a, r.Method, r.URL.Path, rule, fault.As(err).Message); aerr != nil {
		return fmt.Errorf("audit the refusal (%v): %w", err, aerr)
	}
	return err
}

func joinRoleNames(rs []auth.Role) string {
	xs := make([]string, len(rs))
	for i, r := range rs {
		xs[i] = string(r)
	}
	return strings.Join(xs, ",")
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "value", v, "path", r.URL.Path, "stack", string(debug.Stack()))
				writeError(w, r, fault.New(fault.Internal, "panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// NewHTTPServer returns an http.Server for h with timeouts and header limits set.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10}
}
