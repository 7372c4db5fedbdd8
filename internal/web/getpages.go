package web

import "strings"

// GetPages returns the patterns of the pages a signed-in person opens
// with GET ("GET /releases/{id}"), in the order declarePages declares
// them: what `go run ./bench -case pages` renders. Downloads (file) are
// not pages and are left out.
func (s *Server) GetPages() []string {
	var out []string
	for _, p := range s.pages {
		if !p.public && !p.file && strings.HasPrefix(p.pattern, "GET ") {
			out = append(out, p.pattern)
		}
	}
	return out
}
