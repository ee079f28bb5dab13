package collect

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Doer sends HTTP requests. The application passes its one SSRF-safe
// client (internal/fetch), which refuses loopback, private and metadata
// addresses on the first request and on every redirect.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// ErrStatus is wrapped by the error of a response whose status says the
// poll failed.
var ErrStatus = errors.New("unexpected HTTP status")

// maxWait bounds how long a source's own rate-limit answer may park it.
const maxWait = 24 * time.Hour

// WaitError says the source asked to be left alone until a time: a 429 or
// 503 with Retry-After, or X's rate-limit headers.
type WaitError struct {
	Until time.Time
	Err   error
}

func (e *WaitError) Error() string {
	return fmt.Sprintf("%v; retry after %s", e.Err, e.Until.UTC().Format(time.RFC3339))
}

func (e *WaitError) Unwrap() error { return e.Err }

// Response is a successful response, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// NotBefore is set when the response says the next request would be
	// refused before then (X's x-rate-limit-remaining: 0).
	NotBefore time.Time
}

// Fetch sends req with the environment's client and reads the answer: a
// 2xx or 304 response whole, or an error. A body cut short of its
// Content-Length is an error (io.ErrUnexpectedEOF), so that a truncated
// page is retried rather than half read.
func (e Env) Fetch(req *http.Request) (*Response, error) {
	if e.UserAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", e.UserAgent)
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", redact(req), err)
	}
	defer resp.Body.Close()
	now := e.Time()
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusNotModified {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		err := fmt.Errorf("get %s: %w: %s", redact(req), ErrStatus, resp.Status)
		if until, ok := waitUntil(resp, now); ok {
			return nil, &WaitError{Until: until, Err: err}
		}
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", redact(req), err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if resp.Header.Get("x-rate-limit-remaining") == "0" {
		r.NotBefore, _ = rateReset(resp.Header, now)
	}
	return r, nil
}

// redact names a request in errors and logs without its query, which may
// carry a search or a token.
func redact(req *http.Request) string {
	u := *req.URL
	u.RawQuery, u.User = "", nil
	return u.String()
}

// waitUntil reads Retry-After (seconds or an HTTP date) of a 429 or 503,
// or X's x-rate-limit-reset of a 429.
func waitUntil(resp *http.Response, now time.Time) (time.Time, bool) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return time.Time{}, false
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return now.Add(min(time.Duration(secs)*time.Second, maxWait)), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return clampTime(t, now), true
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return rateReset(resp.Header, now)
	}
	return time.Time{}, false
}

// rateReset reads x-rate-limit-reset, the Unix second a rate-limit window
// opens again.
func rateReset(h http.Header, now time.Time) (time.Time, bool) {
	secs, err := strconv.ParseInt(h.Get("x-rate-limit-reset"), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return clampTime(time.Unix(secs, 0), now), true
}

// clampTime keeps t between now and now plus maxWait.
func clampTime(t, now time.Time) time.Time {
	switch {
	case t.Before(now):
		return now
	case t.After(now.Add(maxWait)):
		return now.Add(maxWait)
	}
	return t
}
