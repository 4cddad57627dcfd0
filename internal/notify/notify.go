// Package notify tells people what a certsync run could not settle by
// itself: a failed run or change, an item that needs a person, drift found
// by a plan-only run, pending domain validation, and certificates close to
// renewal or expiry. Events go as JSON, with a Slack-compatible text, to the
// webhook URLs of CERTSYNC_NOTIFY_URL.
//
// A run collects events with Add and sends them with Flush: one POST per
// URL per Flush, each condition (kind and address) at most once per
// Notifier, retried briefly on a busy or unreachable receiver, and bounded
// by a deadline so a dead webhook never holds up certsync. Every string is
// passed through the project's redactor, PEM text is removed, and the
// webhook URLs (which embed tokens) are themselves registered as secrets and
// never logged beyond their host.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/redact"
)

// Defaults of Options.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultAttempts      = 3
	DefaultMaxRetryAfter = 5 * time.Second
	DefaultMaxEvents     = 100
)

// ErrNotDelivered wraps every delivery failure Flush returns.
var ErrNotDelivered = errors.New("notification not delivered")

// errUnsafeBody means the final redaction of a body broke its JSON (a secret
// overlapping JSON syntax); such a body is not sent.
var errUnsafeBody = errors.New("redacting a secret left the body unusable, so it was not sent")

// Options tune a Notifier. The zero value is usable.
type Options struct {
	// RunID is stamped on every event and the payload, so a receiver can
	// tie the events of one run together.
	RunID string
	// Redactor cleans every string of every event. New registers the
	// webhook URLs with it, so they are redacted wherever this redactor
	// is used (the CLI's log and output streams). Nil means a private one,
	// which still keeps the URLs out of payloads and the Notifier's logs.
	Redactor *redact.Redactor
	// Log receives a WARN line per undelivered POST (host only) and a DEBUG
	// line per delivered one. Nil discards.
	Log *slog.Logger
	// HTTP is the client to post with; nil means a new one. Redirects are
	// never followed: a webhook that redirects is misconfigured.
	HTTP *http.Client
	// Timeout bounds one Flush, all URLs and retries included
	// (DefaultTimeout when zero).
	Timeout time.Duration
	// Attempts is the most POSTs per URL per Flush (DefaultAttempts when
	// zero).
	Attempts int
	// MaxRetryAfter is the longest Retry-After honoured; a receiver that
	// asks for longer is given up on (DefaultMaxRetryAfter when zero).
	MaxRetryAfter time.Duration
	// MaxEvents caps the events of one payload; events past it are counted
	// in Payload.EventsNotShown (DefaultMaxEvents when zero).
	MaxEvents int
	// Now is the clock for event times and HTTP-date Retry-After values
	// (time.Now when nil).
	Now func() time.Time
	// Sleep waits between attempts and returns early with an error when
	// ctx ends (httpx.Sleep when nil). Tests inject one that only records.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Notifier collects the events of one run and sends them. Create one per
// run (a scheduled `run` creates one per tick): dedupe is per Notifier. A
// nil *Notifier is valid and does nothing, so callers need no checks when
// notifications are off. Methods are safe for concurrent use.
type Notifier struct {
	urls   []string
	opts   Options
	client *http.Client

	mu       sync.Mutex
	seen     map[string]bool
	pending  []Event
	notShown map[Severity]int
}

// New returns a Notifier posting to urls (as ParseURLs returns them; they
// are checked again). No URLs gives a nil Notifier and no error:
// notifications are off. The URLs are registered with opts.Redactor before
// they are checked, so not even a refused one can be printed in full.
func New(urls []string, opts Options) (*Notifier, error) {
	if opts.Redactor == nil {
		opts.Redactor = &redact.Redactor{}
	}
	for _, u := range urls {
		opts.Redactor.Add(secretForms(u)...)
	}
	urls, err := checkURLs(urls)
	if err != nil {
		return nil, err
	}
	if len(urls) == 0 {
		return nil, nil
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultAttempts
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.MaxEvents <= 0 {
		opts.MaxEvents = DefaultMaxEvents
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = httpx.Sleep
	}
	var c http.Client
	if opts.HTTP != nil {
		c = *opts.HTTP
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Notifier{
		urls:     urls,
		opts:     opts,
		client:   &c,
		seen:     map[string]bool{},
		notShown: map[Severity]int{},
	}, nil
}

// Add queues e for the next Flush unless an event of the same kind and
// address was already added to this Notifier (sent or not): a condition is
// reported once per run. It fills in Severity, Time and RunID, never blocks
// on the network and never fails; an event without a Kind is ignored.
func (n *Notifier) Add(e Event) {
	if n == nil || e.Kind == "" {
		return
	}
	if e.Severity == "" {
		e.Severity = e.Kind.defaultSeverity()
	}
	if e.Time.IsZero() {
		e.Time = n.opts.Now()
	}
	e.Time = e.Time.UTC()
	e.RunID = n.opts.RunID
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen[e.key()] {
		return
	}
	n.seen[e.key()] = true
	if len(n.pending) >= n.opts.MaxEvents {
		n.notShown[e.Severity]++
		return
	}
	n.pending = append(n.pending, e)
}

// Flush posts the queued events, as one Payload, to every URL at once and
// returns when all are done or Options.Timeout has passed, whichever is
// first (ctx can end it sooner: pass context.WithoutCancel of the run's
// context if a cancelled run must still be reported). With nothing queued
// it sends nothing. The queue is emptied either way: an event whose POST
// failed is not sent again, since a receiver may have shown it already.
// Each failure is logged at WARN naming the URL's host only; the returned
// error joins them, each wrapping ErrNotDelivered. Callers normally log it
// and carry on: a notification failure does not fail a run.
func (n *Notifier) Flush(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	events, notShown := n.pending, n.notShown
	n.pending, n.notShown = nil, map[Severity]int{}
	n.mu.Unlock()
	if len(events) == 0 && len(notShown) == 0 {
		return nil
	}
	body, err := encode(buildPayload(n.opts.RunID, events, notShown, n.opts.Redactor), n.opts.Redactor)
	if err != nil {
		n.opts.Log.Warn("notification not sent", "error", err.Error())
		return fmt.Errorf("%w: %w", ErrNotDelivered, err)
	}
	ctx, cancel := context.WithTimeout(ctx, n.opts.Timeout)
	defer cancel()
	errs := make([]error, len(n.urls))
	var wg sync.WaitGroup
	for i, u := range n.urls {
		wg.Go(func() {
			host := hostOf(u)
			attempts, err := n.deliver(ctx, u, body)
			if err != nil {
				msg := n.opts.Redactor.String(err.Error())
				n.opts.Log.Warn("notification not delivered", "host", host, "attempts", attempts, "error", msg)
				errs[i] = fmt.Errorf("%w to %s after %d attempt(s): %s", ErrNotDelivered, host, attempts, msg)
				return
			}
			n.opts.Log.Debug("notification delivered", "host", host, "attempts", attempts, "events", len(events))
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// discard drains a little of a body so the connection can be reused.
func discard(r io.Reader) { _, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10)) }
