package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/certsync/certsync/internal/httpx"
)

// firstBackoff is the pause before the second attempt when the receiver
// named none; it doubles for each further attempt, up to MaxRetryAfter.
const firstBackoff = time.Second

// retryAfterCeiling lets any Retry-After through the shared policy
// unchanged, so that the clock below can see one that is too long and give
// up, rather than have it cut short and wait for nothing.
const retryAfterCeiling = 24 * time.Hour

// serverErrors are the statuses besides 429 worth another POST: any 5xx.
var serverErrors = func() []int {
	var s []int
	for c := 500; c < 600; c++ {
		s = append(s, c)
	}
	return s
}()

// deliver posts body to u under the shared retry helper and returns the
// number of attempts made. A notification is neither paid nor
// irreversible, so a POST that may have arrived is sent again (idempotent
// for the policy): the worst case is a repeated message. A 429 or 5xx (and
// a transport error) is retried up to Options.Attempts, honouring
// Retry-After up to Options.MaxRetryAfter; a longer one, or a wait that
// would pass the Flush deadline, ends delivery at once. Errors name the
// URL's host only.
func (n *Notifier) deliver(ctx context.Context, u string, body []byte) (int, error) {
	host := hostOf(u)
	attempts := 0
	r := httpx.Retrier{
		Policy: httpx.Policy{
			Attempts:      n.opts.Attempts,
			Base:          firstBackoff,
			Max:           n.opts.MaxRetryAfter,
			RetryAfterCap: retryAfterCeiling,
			Statuses:      serverErrors,
			RetryErrors:   true,
		},
		Clock: waitClock{n: n},
		Rand:  func() float64 { return 0 },
	}
	res, err := r.Do(ctx, "notification to "+host, true, func(ctx context.Context) (httpx.Result, error) {
		attempts++
		return n.post(ctx, u, body)
	})
	if err != nil {
		// *url.Error quotes the whole URL; keep only what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var tooLong errWait
		if errors.As(err, &tooLong) {
			return attempts, fmt.Errorf("POST to %s: %d %s%s; %w", host, res.Status, http.StatusText(res.Status), snippet(res.Body), err)
		}
		return attempts, fmt.Errorf("POST to %s: %w", host, err)
	}
	switch {
	case res.Status >= 200 && res.Status < 300:
		return attempts, nil
	case res.Status >= 300 && res.Status < 400:
		return attempts, fmt.Errorf("POST to %s: %d %s (webhooks are not followed through redirects: set %s to the final URL)", host, res.Status, http.StatusText(res.Status), Setting)
	}
	return attempts, fmt.Errorf("POST to %s: %d %s%s", host, res.Status, http.StatusText(res.Status), snippet(res.Body))
}

// errWait ends delivery instead of a pause that is not worth waiting.
type errWait struct{ msg string }

func (e errWait) Error() string { return e.msg }

// waitClock is the retry clock of a Notifier: Options.Now and
// Options.Sleep, refusing a pause longer than Options.MaxRetryAfter (only
// a receiver's Retry-After can ask for one: the backoff stops at it) or
// one that would outlast the Flush deadline.
type waitClock struct{ n *Notifier }

func (c waitClock) Now() time.Time { return c.n.opts.Now() }

func (c waitClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > c.n.opts.MaxRetryAfter {
		return errWait{fmt.Sprintf("the receiver asked to wait %s, longer than the %s certsync waits", d, c.n.opts.MaxRetryAfter)}
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return errWait{fmt.Sprintf("no time left to wait %s for another attempt", d)}
	}
	return c.n.opts.Sleep(ctx, d)
}

// post makes one attempt and reads the start of the answer.
func (n *Notifier) post(ctx context.Context, u string, body []byte) (httpx.Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return httpx.Result{}, httpx.Final(fmt.Errorf("building the request to %s failed", hostOf(u)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "certsync-notify")
	resp, err := n.client.Do(req)
	if err != nil {
		return httpx.Result{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	discard(resp.Body)
	return httpx.Result{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// snippet returns the start of an error answer on one line (Slack answers
// "invalid_payload", "no_service"…), for the log.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return ""
	}
	return ": " + s
}
