package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"fixgate/internal/fault"
)

// metricsExposition is the content type of /metrics (Prometheus text format 0.0.4).
const metricsExposition = "text/plain; version=0.0.4; charset=utf-8"

// serveMetrics answers /metrics in the Prometheus exposition format. It needs
// no token unless the server was given one (serve --metrics-token): then the
// scraper must send it as a bearer token. It is not a user token, so it
// reads nothing but the metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request, _ *call) error {
	if s.metrics == nil {
		return fault.NotFoundf("metrics are not served by this server")
	}
	if s.metricsToken != "" {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fixgate metrics"`)
			return fault.New(fault.Unauthorized, "/metrics needs the metrics token (Authorization: Bearer <token>)")
		}
	}
	s.metrics.Handler().ServeHTTP(w, r)
	return nil
}
