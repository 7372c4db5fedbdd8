package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/store"
)

func writeJSONBody(w http.ResponseWriter, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// writeJSON answers v with status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	jsonHeader(w, status)
	writeJSONBody(w, v)
	return nil
}

// jsonHeader sends the status and the headers of every JSON answer.
func jsonHeader(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// writeRecord answers one record with its revision as the ETag.
func writeRecord(w http.ResponseWriter, status int, v any, rev int64) error {
	w.Header().Set("ETag", etag(rev))
	return writeJSON(w, status, v)
}

func etag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// List is the envelope of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ifMatch returns the revision a request expects: the If-Match header
// ("3" or W/"3"), else bodyRev. 0 means no precondition.
func ifMatch(r *http.Request, bodyRev int64) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return bodyRev, nil
	}
	h = strings.Trim(strings.TrimPrefix(h, "W/"), `"`)
	n, err := strconv.ParseInt(h, 10, 64)
	if err != nil || n <= 0 {
		return 0, fault.Field("If-Match", "must be the record's revision as an ETag, e.g. \"3\"")
	}
	return n, nil
}

// requireIfMatch is ifMatch that refuses a request carrying no revision at all.
func requireIfMatch(r *http.Request, bodyRev int64) (int64, error) {
	rev, err := ifMatch(r, bodyRev)
	if err == nil && rev == 0 {
		return 0, &fault.Error{Code: fault.PreconditionFailed, Field: "If-Match",
			Message: "send the revision you read (If-Match header or \"revision\" field) so a concurrent change is not overwritten"}
	}
	return rev, err
}

// page reads ?limit= and ?cursor= for numbered records.
func page(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return p, fault.Field("limit", "must be an integer from 1 to %d", store.MaxLimit)
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, perr := strconv.ParseInt(string(b), 10, 64)
		if err != nil || perr != nil || n < 0 {
			return p, fault.Field("cursor", "is not a cursor this server returned")
		}
		p.After = n
	}
	return p.Norm(), nil
}

// nextCursor returns the cursor after lastID when the page was full.
func nextCursor(n int, p store.Page, lastID int64) string {
	if n < p.Limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastID, 10)))
}

// namePage reads ?limit= and ?cursor= for named records (the cursor is the last name).
func namePage(r *http.Request) (after string, limit int, err error) {
	p, err := pageLimitOnly(r)
	if err != nil {
		return "", 0, err
	}
	if v := r.URL.Query().Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil {
			return "", 0, fault.Field("cursor", "is not a cursor this server returned")
		}
		after = string(b)
	}
	return after, p.Limit, nil
}

func pageLimitOnly(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return store.Page{}, fault.Field("limit", "must be an integer from 1 to %d", store.MaxLimit)
		}
		return store.Page{Limit: n}, nil
	}
	return store.Page{}.Norm(), nil
}

func nextNameCursor(n, limit int, last string) string {
	if n < limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(last))
}

// queryInt parses an optional integer query parameter in [min, max].
func queryInt(r *http.Request, name string, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, fault.Field(name, "must be an integer from %d to %d", min, max)
	}
	return n, nil
}
