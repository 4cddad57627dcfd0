package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// retryable marks a failure worth another attempt: a transport error, a 5xx
// or a 429. A notification is not a paid or irreversible action, so a POST
// that may have arrived is sent again; the worst case is a repeated message.
type retryable struct {
	err   error
	after time.Duration // the receiver's Retry-After, 0 if none
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// backoff is the pause before attempt n+1 when the receiver named none.
func backoff(n int) time.Duration { return time.Duration(n) * time.Second }

// deliver posts body to u, retrying as Options allow, and returns the
// number of attempts made.
//
// TODO(merge): this bounded loop is a stand-in for the shared retry helper
// being written in internal/httpx; switch to it when it lands (keep: the
// attempt cap, the Retry-After cap, giving up when the wait would pass the
// deadline, and errors that never hold the URL).
func (n *Notifier) deliver(ctx context.Context, u string, body []byte) (int, error) {
	for attempt := 1; ; attempt++ {
		err := n.post(ctx, u, body)
		if err == nil {
			return attempt, nil
		}
		var r *retryable
		if !errors.As(err, &r) || attempt >= n.opts.Attempts || ctx.Err() != nil {
			return attempt, err
		}
		wait := r.after
		if wait > n.opts.MaxRetryAfter {
			return attempt, fmt.Errorf("%w; the receiver asked to wait %s, longer than the %s certsync waits", err, wait, n.opts.MaxRetryAfter)
		}
		if wait <= 0 {
			wait = backoff(attempt)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return attempt, fmt.Errorf("%w; no time left to wait %s for another attempt", err, wait)
		}
		if serr := n.opts.Sleep(ctx, wait); serr != nil {
			return attempt, fmt.Errorf("%w; then: %w", err, serr)
		}
	}
}

// post makes one attempt. Its errors never hold the URL: only its host.
func (n *Notifier) post(ctx context.Context, u string, body []byte) error {
	host := hostOf(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the request to %s failed", host)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "certsync-notify")
	resp, err := n.client.Do(req)
	if err != nil {
		// *url.Error quotes the whole URL; keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return &retryable{err: fmt.Errorf("POST to %s: %w", host, err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		discard(resp.Body)
		return nil
	}
	snippet := readSnippet(resp.Body)
	discard(resp.Body)
	err = fmt.Errorf("POST to %s: %s%s", host, resp.Status, snippet)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &retryable{err: err, after: retryAfter(resp.Header.Get("Retry-After"), n.opts.Now())}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("%w (webhooks are not followed through redirects: set %s to the final URL)", err, Setting)
	}
	return err
}

// readSnippet returns the start of an error answer on one line (Slack
// answers "invalid_payload", "no_service"…), for the log.
func readSnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 200))
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return ""
	}
	return ": " + s
}

// retryAfter reads a Retry-After header: seconds or an HTTP date. Missing,
// unreadable or past values give 0.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		// Any value past a day is "too long" to the caller; capping here
		// keeps the multiplication from overflowing.
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
