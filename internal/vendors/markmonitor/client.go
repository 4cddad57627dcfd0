package markmonitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/certsync/certsync/internal/httpx"
	"github.com/certsync/certsync/internal/redact"
)

// Sentinel errors.
var (
	// ErrAmbiguous is httpx.ErrAmbiguous: reconcile by reading first.
	ErrAmbiguous = httpx.ErrAmbiguous
	// ErrAuth means the API key, username or password was refused.
	ErrAuth = errors.New("Markmonitor refused the credentials; check CERTSYNC_MARKMONITOR_API_KEY, _USERNAME and _PASSWORD")
	// ErrNotFound is a 404.
	ErrNotFound = errors.New("not found")
)

// APIError is an error answer of the API, with its decoded messages.
type APIError struct {
	Status   int
	Messages []string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, strings.Join(e.Messages, "; "))
}

// Unwrap maps 404 to ErrNotFound.
func (e *APIError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return ErrNotFound
	}
	return nil
}

// Client talks to the Markmonitor SSL Certs API. It is safe for concurrent
// use: one JWT, one rate limiter and one re-authentication at a time are
// shared by every goroutine.
type Client struct {
	base, authBase string
	apiKey         string
	user, pass     string
	http           *http.Client
	log            *slog.Logger
	clock          Clock
	limit          *limiter
	retry          *httpx.Retrier
	pageSize       int

	redactor *redact.Redactor

	authMu  sync.Mutex
	token   string
	expires time.Time
}

// policy is how Markmonitor answers are retried. A 429 was refused before
// any processing, so every request, paid ones included, is sent again after
// its Retry-After (and every other request of the client waits as long);
// up to 20 attempts, since a burst of 429s must not fail a run. A 5xx or a
// transport error is repeated only for requests that are idempotent: for
// an order, reissue, cancel or revoke it may mean the action was taken, so
// the caller gets ErrAmbiguous and reads before acting again. Even a
// connection that was never made does not repeat a paid action here: only
// the vendor's own 429 does.
var policy = httpx.Policy{
	Attempts: 5, ThrottledAttempts: 20,
	Base: time.Second, Max: 30 * time.Second, Jitter: 0.5,
	RetryAfterCap: 2 * time.Minute,
	Statuses:      []int{500, 502, 503, 504},
	RetryErrors:   true,
	Unsafe429:     true,
}

// ClientOptions tune a client; zero values give the defaults.
type ClientOptions struct {
	HTTP  *http.Client
	Log   *slog.Logger
	Clock Clock
	// RequestsPerMinute caps the pace; default 95, under the documented 100.
	RequestsPerMinute int
	Redactor          *redact.Redactor
}

// NewClient builds a client; it sends nothing until the first call.
func NewClient(cfg Config, o ClientOptions) *Client {
	o.HTTP = httpx.Client(o.HTTP, time.Minute)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.RequestsPerMinute <= 0 {
		o.RequestsPerMinute = 95
	}
	if o.Redactor != nil {
		o.Redactor.Add(cfg.APIKey, cfg.Password)
	}
	limit := newLimiter(o.Clock, o.RequestsPerMinute)
	return &Client{
		base:     strings.TrimRight(cfg.URL, "/"),
		authBase: strings.TrimRight(cfg.AuthURL, "/"),
		apiKey:   cfg.APIKey, user: cfg.Username, pass: cfg.Password,
		http: o.HTTP, log: o.Log, clock: o.Clock,
		limit: limit,
		retry: &httpx.Retrier{Policy: policy, Clock: o.Clock, Log: o.Log.With("vendor", "markmonitor"),
			Throttled: limit.holdUntil},
		pageSize: 500,
		redactor: o.Redactor,
	}
}

// authenticate returns a JWT: the cached one while it has more than a minute
// left, else a new one. stale, when set, is a token the API just refused:
// if another goroutine has already replaced it, that newer token is used
// instead of authenticating again (single flight).
func (c *Client) authenticate(ctx context.Context, stale string) (string, error) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.token != "" && c.token != stale && c.clock.Now().Before(c.expires.Add(-time.Minute)) {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{"username": c.user, "password": c.pass})
	var tok struct {
		Token     string `json:"token"`
		ExpiresIn int64  `json:"expiresIn"`
	}
	// Authenticating changes nothing, so it is repeated like a read.
	res, err := c.retry.Do(ctx, "authenticate", true, func(ctx context.Context) (httpx.Result, error) {
		if err := c.limit.wait(ctx); err != nil {
			return httpx.Result{}, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.authBase+"/auth/authenticate", bytes.NewReader(body))
		if err != nil {
			return httpx.Result{}, httpx.Final(err)
		}
		req.Header.Set("X-API-KEY", c.apiKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		return c.send(req)
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("authenticate: %w", err)
	case res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden:
		return "", fmt.Errorf("%w (HTTP %d)", ErrAuth, res.Status)
	case res.Status != http.StatusOK:
		return "", fmt.Errorf("authenticate: %w", apiError(res.Status, res.Body))
	}
	if err := json.Unmarshal(res.Body, &tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("authenticate: unexpected answer (HTTP %d)", res.Status)
	}
	if c.redactor != nil {
		c.redactor.Add(tok.Token)
	}
	ttl := time.Duration(tok.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 90 * time.Minute // the documented lifetime, when expiresIn is missing
	}
	c.token, c.expires = tok.Token, c.clock.Now().Add(ttl)
	c.log.Debug("markmonitor: authenticated", "expires_in", ttl)
	return c.token, nil
}

// send performs one HTTP exchange and reads the whole body.
func (c *Client) send(req *http.Request) (httpx.Result, error) {
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.log.Debug("markmonitor: request failed", "method", req.Method, "path", req.URL.Path, "error", err)
		return httpx.Result{}, err
	}
	defer resp.Body.Close()
	body, err := httpx.ReadAll(resp.Body, 64<<20)
	c.log.Debug("markmonitor: request", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode, "duration", time.Since(start))
	return httpx.Result{Status: resp.StatusCode, Header: resp.Header, Body: body}, err
}

// apiError decodes the API's error bodies: validations[] (400), errors[]
// (others), or a bare message.
func apiError(status int, body []byte) *APIError {
	var b struct {
		Validations []struct{ Field, Code, Message string } `json:"validations"`
		Errors      []struct{ Code, Message string }        `json:"errors"`
		Message     string                                  `json:"message"`
		Detail      string                                  `json:"detail"`
	}
	e := &APIError{Status: status}
	if json.Unmarshal(body, &b) == nil {
		for _, v := range b.Validations {
			e.Messages = append(e.Messages, fmt.Sprintf("%s: %s (%s)", v.Field, v.Message, v.Code))
		}
		for _, v := range b.Errors {
			e.Messages = append(e.Messages, fmt.Sprintf("%s (%s)", v.Message, v.Code))
		}
		for _, m := range []string{b.Message, b.Detail} {
			if m != "" {
				e.Messages = append(e.Messages, m)
			}
		}
	}
	if len(e.Messages) == 0 {
		s := strings.TrimSpace(string(body))
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		if s == "" {
			s = http.StatusText(status)
		}
		e.Messages = []string{s}
	}
	return e
}

// call sends one API request with the key and the JWT, re-authenticating
// once on 401 and retrying as retryable allows. out, if not nil, receives
// the JSON answer. idempotent marks requests that may be repeated after an
// ambiguous failure; for the others such a failure is ErrAmbiguous.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any, idempotent bool) error {
	body, err := c.exchange(ctx, method, path, query, in, "application/json", idempotent)
	if err != nil {
		return err
	}
	if out != nil && len(body) > 0 {
		if err := json.Unmarshal(body, out); err != nil {
			return fmt.Errorf("%s %s: cannot read the answer: %w", method, path, err)
		}
	}
	return nil
}

// exchange is call without the JSON decoding of the answer.
func (c *Client) exchange(ctx context.Context, method, path string, query url.Values, in any, accept string, idempotent bool) ([]byte, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	// early is a failure before anything was sent (authentication, the
	// pace, a cancelled run): returned as it is, never ErrAmbiguous.
	var early error
	res, err := c.retry.Do(ctx, method+" "+path, idempotent, func(ctx context.Context) (httpx.Result, error) {
		res, sent, err := c.attempt(ctx, method, u, payload, accept)
		if !sent {
			early = err
			return res, httpx.Final(err)
		}
		return res, err
	})
	switch {
	case early != nil:
		return nil, early
	case err != nil && !idempotent:
		return nil, fmt.Errorf("%s %s: %w: %v", method, path, ErrAmbiguous, err)
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	case res.Status >= 500 && !idempotent:
		return nil, fmt.Errorf("%s %s: %w: %v", method, path, ErrAmbiguous, apiError(res.Status, res.Body))
	case res.Status >= 300:
		return nil, fmt.Errorf("%s %s: %w", method, path, apiError(res.Status, res.Body))
	}
	return res.Body, nil
}

// attempt is one paced exchange with the key and the JWT, sent once more
// with a new JWT if the first answer is 401: that answer was refused before
// any side effect, so the second send is no repeat. sent is false when it
// failed before sending anything.
func (c *Client) attempt(ctx context.Context, method, u string, payload []byte, accept string) (res httpx.Result, sent bool, err error) {
	stale := ""
	for reauthed := false; ; reauthed = true {
		tok, err := c.authenticate(ctx, stale)
		if err != nil {
			return httpx.Result{}, reauthed, err
		}
		if err := c.limit.wait(ctx); err != nil {
			return httpx.Result{}, reauthed, err
		}
		var body io.Reader
		if payload != nil {
			body = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return httpx.Result{}, reauthed, err
		}
		req.Header.Set("X-API-KEY", c.apiKey)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", accept)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := c.send(req)
		if err == nil && res.Status == http.StatusUnauthorized && !reauthed {
			stale = tok
			continue
		}
		return res, true, err
	}
}

// listPagesAtOnce is how many pages of a list are fetched at the same time
// once the first page has said how many there are. The pages of a
// 10,000-order account are about twenty: read one after another at the
// API's latency they were most of a plan's wall time. Four keeps the burst
// far inside the 100 requests a minute the pacer enforces anyway.
const listPagesAtOnce = 4

// maxListPages bounds the pages a list may claim (five million orders at
// 500 a page): a wrong total must not become a huge allocation or hours
// of requests at 95 a minute.
const maxListPages = 10_000

// listAll fetches every page of a paged list: the first page, then the rest
// (as many as the first page's total says) a few at a time, concatenated in
// page order. A list that grew while it was read (a later page reports more
// pages than the first did) is read on to its new end, as a reader going
// page by page would; a page that comes back empty ends the list there.
// each, when not nil, is called with every page's items as soon as the page
// is decoded, possibly from several goroutines at once.
func listAll[T any](ctx context.Context, c *Client, path string, query url.Values, each func([]T)) ([]T, error) {
	get := func(ctx context.Context, n int) (page[T], error) {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("size", strconv.Itoa(c.pageSize))
		if n > 0 {
			q.Set("page", strconv.Itoa(n))
		}
		var p page[T]
		err := c.call(ctx, http.MethodGet, path, q, nil, &p, true)
		if err == nil && each != nil {
			each(p.Content)
		}
		return p, err
	}
	first, err := get(ctx, 0)
	if err != nil {
		return nil, err
	}
	all := first.Content
	for done, total := 1, first.totalPages(); done < total && len(all) > 0; {
		if total > maxListPages {
			return nil, fmt.Errorf("GET %s: the API says the list has %d pages of %d; certsync reads at most %d", path, total, c.pageSize, maxListPages)
		}
		pages := make([]page[T], total-done)
		// last is the last page worth asking for: a page that comes back
		// empty, or says the list now has fewer pages, ends it there, and
		// the pages after it that have not started are not asked for.
		var last atomic.Int64
		last.Store(int64(total - 1))
		shorten := func(n int64) {
			for cur := last.Load(); n < cur && !last.CompareAndSwap(cur, n); cur = last.Load() {
			}
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(listPagesAtOnce)
		for i := range pages {
			n := done + i
			g.Go(func() (err error) {
				if int64(n) > last.Load() {
					return nil // past the end: left empty, which ends the list below
				}
				if pages[i], err = get(gctx, n); err != nil {
					return err
				}
				if len(pages[i].Content) == 0 {
					shorten(int64(n - 1))
				} else {
					shorten(int64(pages[i].totalPages() - 1))
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
		more := total
		for _, p := range pages {
			if len(p.Content) == 0 {
				return all, nil
			}
			all = append(all, p.Content...)
			more = max(more, p.totalPages())
		}
		done, total = total, more
	}
	return all, nil
}

// Organizations lists every organization of the account, with contacts.
func (c *Client) Organizations(ctx context.Context) ([]Organization, error) {
	return listAll[Organization](ctx, c, "/organization", nil, nil)
}

// Orders lists every order of the account, each with its cert and chain.
func (c *Client) Orders(ctx context.Context, query url.Values) ([]Order, error) {
	var pool chains
	return listAll(ctx, c, "/order", query, func(page []Order) {
		pool.share(page)
		dropSettledHistory(page)
	})
}

// dropSettledHistory forgets the history lines of orders that are issued or
// ended: only a pending order's history is read (for the validation step it
// waits on), and at 3,000 orders the rest is about 4 MB held for nothing.
func dropSettledHistory(orders []Order) {
	for i := range orders {
		if o := &orders[i]; o.Status == StatusIssued || terminal(o.Status) {
			o.History = nil
		}
	}
}

// chains makes orders whose intermediate or root certificate is the same
// PEM share one string. Every order of an account is usually issued under
// the same one or two CAs, but each decoded answer is a copy of its own: at
// 3,000 orders that is about 7 MB. Pages are shared as soon as they are
// decoded (several at once, hence the lock), so that the copies die with
// their page rather than once the whole list is read.
type chains struct {
	mu   sync.Mutex
	seen map[string]string
}

func (p *chains) share(orders []Order) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]string{}
	}
	share := func(s *string) {
		if *s == "" {
			return
		}
		if v, ok := p.seen[*s]; ok {
			*s = v
			return
		}
		p.seen[*s] = *s
	}
	for i := range orders {
		if c := orders[i].Cert; c != nil {
			share(&c.IntermediateCert)
			share(&c.RootCert)
		}
	}
}

// Order reads one order.
func (c *Client) Order(ctx context.Context, id string) (*Order, error) {
	var o Order
	if err := c.call(ctx, http.MethodGet, "/order/"+url.PathEscape(id), nil, nil, &o, true); err != nil {
		return nil, err
	}
	return &o, nil
}

// CreateOrganization creates an organization with its contacts. Not
// idempotent: an ambiguous failure is ErrAmbiguous.
func (c *Client) CreateOrganization(ctx context.Context, o Organization) (*Organization, error) {
	var out Organization
	if err := c.call(ctx, http.MethodPost, "/organization", nil, o, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateContact adds a contact to an organization.
func (c *Client) CreateContact(ctx context.Context, ct Contact) (*Contact, error) {
	var out Contact
	if err := c.call(ctx, http.MethodPost, "/contact", nil, ct, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}

// PatchContact modifies a contact (a merge: idempotent).
func (c *Client) PatchContact(ctx context.Context, id string, ct Contact) (*Contact, error) {
	var out Contact
	if err := c.call(ctx, http.MethodPatch, "/contact/"+url.PathEscape(id), nil, ct, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteContact deletes a contact; a repeat finds it gone (404), which
// DeleteContact treats as done.
func (c *Client) DeleteContact(ctx context.Context, id string) error {
	err := c.call(ctx, http.MethodDelete, "/contact/"+url.PathEscape(id), nil, nil, nil, true)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// CreateOrder posts a new, paid-for order. It is never retried after an
// ambiguous failure: the caller reconciles by listing orders.
func (c *Client) CreateOrder(ctx context.Context, r OrderRequest) (*Order, error) {
	var out Order
	if err := c.call(ctx, http.MethodPost, "/order", nil, r, &out, false); err != nil {
		return nil, err
	}
	return &out, nil
}

// Action runs PATCH /order/{id}/{action}. idempotent says whether the
// action may be repeated after an ambiguous failure (updateAdditionalEmails
// may; reissue, cancel and revoke may not).
func (c *Client) Action(ctx context.Context, id, action string, body ActionRequest, idempotent bool) (*Order, error) {
	var out Order
	if err := c.call(ctx, http.MethodPatch, "/order/"+url.PathEscape(id)+"/"+action, nil, body, &out, idempotent); err != nil {
		return nil, err
	}
	return &out, nil
}

// Download fetches an issued order's certificates as one PEM bundle
// (format pem_all), for orders whose JSON lacks them. The API guide asks for the
// PKCS#7 Accept header even for pem_all.
func (c *Client) Download(ctx context.Context, id string) (string, error) {
	body, err := c.exchange(ctx, http.MethodGet, "/order/"+url.PathEscape(id)+"/downloadCert",
		url.Values{"format": {"pem_all"}}, nil, "application/x-pkcs7-certificates", true)
	return string(body), err
}
