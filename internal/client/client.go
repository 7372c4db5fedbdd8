// Package client calls the fixgate REST API for the CLI and pipelines.
// Server errors come back as *fault.Error carrying the problem detail.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fixgate/internal/fault"
)

// Client talks to one fixgate server with one token.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// New returns a client; baseURL is like "http://127.0.0.1:8080".
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, HTTP: &http.Client{Timeout: 60 * time.Second}}
}

// Response is a decoded answer: the raw JSON body and the ETag.
type Response struct {
	Status int
	Body   json.RawMessage
	ETag   string
}

// Do sends method path (with query) and body (JSON-encoded unless it is
// an io.Reader) and returns the response. Headers add request headers. A
// non-2xx answer returns the server's problem detail as a *fault.Error.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any, headers map[string]string) (*Response, error) {
	if c.BaseURL == "" {
		return nil, fault.Field("FIXGATE_URL", "is not set (e.g. export FIXGATE_URL=http://127.0.0.1:8080)")
	}
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd, ctype = b, "application/octet-stream"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, fault.Wrap(err, "encode request")
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fault.Field("FIXGATE_URL", "%v", err).Because(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, &fault.Error{Code: fault.Unavailable, Message: "cannot reach fixgate at " + c.BaseURL + ": " + reason(err), Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, &fault.Error{Code: fault.Unavailable, Message: "reading the answer failed", Err: err}
	}
	if resp.StatusCode >= 300 {
		return nil, problemError(resp.StatusCode, data)
	}
	return &Response{Status: resp.StatusCode, Body: data, ETag: resp.Header.Get("ETag")}, nil
}

// problemError turns a problem+json answer into a *fault.Error.
func problemError(status int, data []byte) error {
	var p struct {
		Code   string         `json:"code"`
		Detail string         `json:"detail"`
		Field  string         `json:"field"`
		Extra  map[string]any `json:"extra"`
	}
	if err := json.Unmarshal(data, &p); err != nil || p.Detail == "" {
		return &fault.Error{Code: fault.Internal, Message: fmt.Sprintf("server answered %d: %s", status, firstLine(data))}
	}
	// Detail already starts with the field name when there is one.
	return &fault.Error{Code: fault.Code(p.Code), Message: p.Detail, Extra: p.Extra}
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// JSON decodes the response body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fault.Wrap(err, "decode answer")
	}
	return nil
}

// reason is the innermost message of a transport error ("connection
// refused", "i/o timeout"), without the method and URL that url.Error adds.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return err.Error()
}
