package api

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"fixgate/internal/problem"
)

// answerCache keeps the encoded answer of problems recently read by GET,
// keyed by id, revision and update time. Every change to a problem raises
// its revision and update time in the same statement (store.UpdateProblem),
// so equal keys have equal content; the store, not this cache, decides
// which revision is current.
type answerCache struct {
	mu sync.Mutex
	m  map[answerKey][]byte
}

type answerKey struct {
	id      string
	rev     int64
	updated time.Time
}

// maxCachedAnswers bounds the cache; when full it starts again empty.
const maxCachedAnswers = 10_000

// encode returns p as writeJSON would send it (HTML-escaped JSON and a
// newline), from the cache when p's revision was encoded before.
func (c *answerCache) encode(p problem.Problem) ([]byte, error) {
	k := answerKey{p.ID, p.Revision, p.UpdatedAt}
	c.mu.Lock()
	b, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedAnswers {
		c.m = make(map[answerKey][]byte)
	}
	c.m[k] = b
	c.mu.Unlock()
	return b, nil
}

// writeEncoded answers a record already encoded, with its revision as the ETag.
func writeEncoded(w http.ResponseWriter, status int, body []byte, rev int64) error {
	w.Header().Set("ETag", etag(rev))
	jsonHeader(w, status)
	_, err := w.Write(body)
	return err
}
